package org.dpmammo.models.swin;

import org.dpmammo.autograd.NnOps;
import org.dpmammo.autograd.Ops;
import org.dpmammo.autograd.Variable;
import org.dpmammo.nn.Init;
import org.dpmammo.nn.Linear;
import org.dpmammo.nn.Module;
import org.dpmammo.nn.Parameter;
import org.dpmammo.tensor.Shape;
import org.dpmammo.tensor.Tensor;
import org.dpmammo.util.Rng;

/**
 * Multi-head self-attention inside (shifted) windows with a learned relative-position bias, torchvision's
 * ShiftedWindowAttention (v1): members qkv, proj, relative_position_bias_table and the int64 buffer
 * relative_position_index, so the state dict keys match.
 *
 * <p>Shapes: input and output [N, H, W, C]; windows are kept as [N, nW, T, C] so that axis 0 stays the example
 * (the Linear layers' per-example rules then see one example per row block); heads h, head width d = C/h.
 */
public final class WindowAttention extends Module {
    public final int dim, heads, window, shift;
    public final Linear qkv, proj;
    public final Parameter relativePositionBiasTable;
    private final int[] index;

    public WindowAttention(int dim, int heads, int window, int shift, Rng rng) {
        if (dim % heads != 0) throw new IllegalArgumentException("attention: width " + dim + " is not divisible by " + heads + " heads");
        this.dim = dim;
        this.heads = heads;
        this.window = window;
        this.shift = shift;
        qkv = registerModule("qkv", new Linear(dim, 3 * dim, rng));
        proj = registerModule("proj", new Linear(dim, dim, rng));
        int side = 2 * window - 1;
        relativePositionBiasTable = registerParameter("relative_position_bias_table", new Parameter(Tensor.zeros(side * side, heads)));
        Init.truncNormal(relativePositionBiasTable, 0.02, rng);
        index = WindowGeometry.relativePositionIndex(window);
        float[] asFloat = new float[index.length];
        for (int i = 0; i < index.length; i++) asFloat[i] = index[i];
        registerBuffer("relative_position_index", Tensor.of(asFloat, index.length), true);
    }

    /** The bias [h, T, T] gathered from the table; differentiable in the table. */
    Variable relativePositionBias() {
        int t = window * window;
        Variable b = Ops.indexSelect(relativePositionBiasTable, 0, index);
        return Ops.permute(Ops.reshape(b, t, t, heads), 2, 0, 1);
    }

    @Override
    public Variable forward(Variable x) {
        int[] s = x.value().shapeRef();
        if (s.length != 4 || s[3] != dim || s[1] % window != 0 || s[2] % window != 0) {
            throw new IllegalArgumentException("window attention (width " + dim + ", window " + window + "): input " + Shape.str(s));
        }
        int n = s[0], h = s[1], w = s[2], t = window * window, nW = (h / window) * (w / window), d = dim / heads;
        int sh = WindowGeometry.effectiveShift(h, w, window, shift);
        Variable y = x;
        if (sh > 0) y = Ops.roll(Ops.roll(y, -sh, 1), -sh, 2);
        Variable win = Ops.reshape(NnOps.windowPartition(y, window), n, nW, t, dim);
        // [N, nW, T, 3C] → [3, N, nW, h, T, d]
        Variable qkvAll = Ops.permute(Ops.reshape(qkv.forward(win), n, nW, t, 3, heads, d), 3, 0, 1, 4, 2, 5);
        Variable q = Ops.mulScalar(part(qkvAll, 0, n, nW, t, d), (float) Math.pow(d, -0.5));
        Variable k = part(qkvAll, 1, n, nW, t, d), v = part(qkvAll, 2, n, nW, t, d);
        Variable attn = Ops.add(Ops.matmul(q, k, false, true), relativePositionBias()); // [N, nW, h, T, T]
        attn = sh > 0 ? NnOps.softmax(attn, WindowGeometry.shiftMask(h, w, window, sh)) : NnOps.softmax(attn);
        Variable out = Ops.reshape(Ops.permute(Ops.matmul(attn, v), 0, 1, 3, 2, 4), n, nW, t, dim);
        out = proj.forward(out);
        out = NnOps.windowReverse(Ops.reshape(out, n * nW, t, dim), window, n, h, w);
        if (sh > 0) out = Ops.roll(Ops.roll(out, sh, 1), sh, 2);
        return out;
    }

    private static Variable part(Variable qkvAll, int which, int n, int nW, int t, int d) {
        return Ops.reshape(Ops.slice(qkvAll, 0, which, which + 1), n, nW, -1, t, d);
    }
}
