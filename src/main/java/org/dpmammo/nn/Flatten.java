package org.dpmammo.nn;

import org.dpmammo.autograd.Ops;
import org.dpmammo.autograd.Variable;
import org.dpmammo.tensor.Shape;

/** Merges axes startDim…endDim into one, as PyTorch's Flatten (default 1…−1: [N, C, H, W] → [N, C·H·W]). */
public final class Flatten extends Module {
    public final int startDim, endDim;

    public Flatten(int startDim, int endDim) {
        this.startDim = startDim;
        this.endDim = endDim;
    }

    public Flatten() {
        this(1, -1);
    }

    @Override
    public Variable forward(Variable x) {
        int[] s = x.value().shapeRef();
        int a = Shape.axis(startDim, s.length, "Flatten"), b = Shape.axis(endDim, s.length, "Flatten");
        if (a > b) throw new IllegalArgumentException("Flatten: start axis " + startDim + " after end axis " + endDim + " for rank " + s.length);
        int[] out = new int[s.length - (b - a)];
        int k = 0;
        for (int i = 0; i < a; i++) out[k++] = s[i];
        int merged = 1;
        for (int i = a; i <= b; i++) merged *= s[i];
        out[k++] = merged;
        for (int i = b + 1; i < s.length; i++) out[k++] = s[i];
        return Ops.reshape(x, out);
    }
}
