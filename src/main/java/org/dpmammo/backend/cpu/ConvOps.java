package org.dpmammo.backend.cpu;

import org.dpmammo.tensor.Shape;
import org.dpmammo.tensor.Tensor;
import org.dpmammo.util.Parallel;

/**
 * The CPU backend's convolution at the tensor level: validates shapes, names the op in errors, and hands compact
 * arrays to {@link Conv2dKernels} (im2col + SGEMM). The unfolded columns are the same matrices the DP per-example
 * rules multiply, so {@link #unfold} shares the kernels' im2col.
 */
final class ConvOps {
    private ConvOps() {}

    private static Conv2dShape shape(String op, int[] xs, int outC, int kH, int kW, int strideH, int strideW, int padH, int padW) {
        if (xs.length != 4) throw new IllegalArgumentException(op + ": input " + Shape.str(xs) + " is not [N, C, H, W]");
        try {
            return new Conv2dShape(xs[0], xs[1], xs[2], xs[3], outC, kH, kW, strideH, strideW, padH, padW);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(op + ": " + e.getMessage() + " for input " + Shape.str(xs));
        }
    }

    static Tensor forward(Tensor x, Tensor w, Tensor bias, int strideH, int strideW, int padH, int padW) {
        int[] xs = x.shapeRef(), ws = w.shapeRef();
        if (ws.length != 4 || xs.length != 4 || xs[1] != ws[1]) {
            throw new IllegalArgumentException("conv2d: input " + Shape.str(xs) + " and weight " + Shape.str(ws)
                    + " do not match (expected [N, C, H, W] and [O, C, kH, kW])");
        }
        if (bias != null && bias.numel() != ws[0]) throw new IllegalArgumentException("conv2d: bias of " + bias.numel() + " for " + ws[0] + " output channels");
        Conv2dShape s = shape("conv2d", xs, ws[0], ws[2], ws[3], strideH, strideW, padH, padW);
        float[] y = new float[s.batch() * s.outC() * s.outH() * s.outW()];
        Conv2dKernels.forward(s, x.compact().data(), w.compact().data(), bias == null ? null : bias.compact().data(), y);
        return Tensor.of(y, s.batch(), s.outC(), s.outH(), s.outW());
    }

    static Tensor backwardInput(Tensor g, Tensor w, int h, int wd, int strideH, int strideW, int padH, int padW) {
        int[] gs = g.shapeRef(), ws = w.shapeRef();
        Conv2dShape s = shape("conv2d backward", new int[] {gs[0], ws[1], h, wd}, ws[0], ws[2], ws[3], strideH, strideW, padH, padW);
        if (gs.length != 4 || gs[1] != ws[0] || gs[2] != s.outH() || gs[3] != s.outW()) {
            throw new IllegalArgumentException("conv2d backward: gradient " + Shape.str(gs) + " does not fit weight " + Shape.str(ws) + " and input " + h + "x" + wd);
        }
        float[] dx = new float[s.batch() * s.inC() * h * wd];
        Conv2dKernels.backwardData(s, g.compact().data(), w.compact().data(), dx);
        return Tensor.of(dx, s.batch(), s.inC(), h, wd);
    }

    static Tensor backwardWeight(Tensor x, Tensor g, int kH, int kW, int strideH, int strideW, int padH, int padW) {
        int[] xs = x.shapeRef(), gs = g.shapeRef();
        Conv2dShape s = shape("conv2d weight gradient", xs, gs.length == 4 ? gs[1] : -1, kH, kW, strideH, strideW, padH, padW);
        if (gs.length != 4 || gs[0] != xs[0] || gs[2] != s.outH() || gs[3] != s.outW()) {
            throw new IllegalArgumentException("conv2d weight gradient: gradient " + Shape.str(gs) + " does not fit input " + Shape.str(xs));
        }
        float[] dw = new float[s.outC() * s.inC() * kH * kW];
        Conv2dKernels.backwardWeight(s, x.compact().data(), g.compact().data(), dw, null);
        return Tensor.of(dw, s.outC(), s.inC(), kH, kW);
    }

    static Tensor unfold(Tensor x, int kH, int kW, int strideH, int strideW, int padH, int padW) {
        Conv2dShape s = shape("unfold", x.shapeRef(), 1, kH, kW, strideH, strideW, padH, padW);
        int rows = s.colRows(), cols = s.colCols(), per = s.inC() * s.inH() * s.inW();
        float[] xd = x.compact().data();
        float[] out = new float[s.batch() * rows * cols];
        Parallel.forRange(s.batch(), 1, (n0, n1) -> {
            for (int i = n0; i < n1; i++) Conv2dKernels.im2col(s, xd, i * per, out, i * rows * cols, cols);
        });
        return Tensor.of(out, s.batch(), rows, cols);
    }
}
