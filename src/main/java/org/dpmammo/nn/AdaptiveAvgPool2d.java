package org.dpmammo.nn;

import org.dpmammo.autograd.NnOps;
import org.dpmammo.autograd.Variable;

/** Average pooling of [N, C, H, W] to [N, C, outH, outW] with PyTorch's adaptive bins (Swin's global pool is 1×1). */
public final class AdaptiveAvgPool2d extends Module {
    public final int outH, outW;

    public AdaptiveAvgPool2d(int outH, int outW) {
        this.outH = outH;
        this.outW = outW;
    }

    public AdaptiveAvgPool2d(int out) {
        this(out, out);
    }

    @Override
    public Variable forward(Variable x) {
        return NnOps.adaptiveAvgPool2d(x, outH, outW);
    }
}
