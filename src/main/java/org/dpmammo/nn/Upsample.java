package org.dpmammo.nn;

import org.dpmammo.autograd.Ops;
import org.dpmammo.autograd.Variable;

/**
 * Nearest-neighbour upsampling of [B, C, H, W] by an integer factor (PyTorch's {@code nn.Upsample(scale_factor=s)}):
 * every pixel becomes an s×s block. Built from a broadcast, so its backward sums each block's gradient.
 */
public final class Upsample extends Module {
    public final int factor;

    public Upsample(int factor) {
        if (factor < 1) throw new IllegalArgumentException("upsampling factor must be positive, got " + factor);
        this.factor = factor;
    }

    @Override
    public Variable forward(Variable x) {
        int[] s = x.value().shapeRef();
        if (s.length != 4) throw new IllegalArgumentException("upsample: expected [B, C, H, W], got rank " + s.length);
        if (factor == 1) return x;
        int b = s[0], c = s[1], h = s[2], w = s[3], f = factor;
        Variable blocks = Ops.expand(Ops.reshape(x, b, c, h, 1, w, 1), b, c, h, f, w, f);
        return Ops.reshape(Ops.contiguous(blocks), b, c, h * f, w * f);
    }
}
