package org.dpmammo.backend.cpu;

import org.dpmammo.tensor.Shape;
import org.dpmammo.tensor.Tensor;

/**
 * Tensor-level 2-D convolution for the CPU backend: im2col per image, then one GEMM. The unfolded columns are
 * the same matrices the DP per-example gradient rules multiply, so both paths share {@link #im2col}.
 */
public final class ConvOps {
    private ConvOps() {}

    static int outSize(int in, int k, int stride, int pad) {
        return (in + 2 * pad - k) / stride + 1;
    }

    private static void check(String op, int[] xs, int[] ws, int strideH, int strideW, int padH, int padW) {
        if (xs.length != 4 || ws.length != 4 || xs[1] != ws[1]) {
            throw new IllegalArgumentException(op + ": input " + Shape.str(xs) + " and weight " + Shape.str(ws)
                    + " do not match (expected [N, C, H, W] and [O, C, kH, kW])");
        }
        if (strideH <= 0 || strideW <= 0 || padH < 0 || padW < 0) {
            throw new IllegalArgumentException(op + ": stride must be positive and padding non-negative");
        }
        if (xs[2] + 2 * padH < ws[2] || xs[3] + 2 * padW < ws[3]) {
            throw new IllegalArgumentException(op + ": kernel " + ws[2] + "x" + ws[3] + " larger than padded input " + Shape.str(xs));
        }
    }

    /**
     * Unfolds one image x[c, h, w] (at xOff) into cols[(c·kH + i)·kW + j][oh·OW + ow], zero where the window
     * falls into the padding.
     */
    public static void im2col(float[] x, int xOff, int c, int h, int w, int kH, int kW, int strideH, int strideW,
            int padH, int padW, int oh, int ow, float[] cols, int colOff) {
        int plane = oh * ow;
        for (int ch = 0; ch < c; ch++) {
            for (int ki = 0; ki < kH; ki++) {
                for (int kj = 0; kj < kW; kj++) {
                    int row = colOff + ((ch * kH + ki) * kW + kj) * plane;
                    for (int y = 0; y < oh; y++) {
                        int iy = y * strideH - padH + ki;
                        int dst = row + y * ow;
                        if (iy < 0 || iy >= h) {
                            java.util.Arrays.fill(cols, dst, dst + ow, 0f);
                            continue;
                        }
                        int src = xOff + (ch * h + iy) * w;
                        for (int xx = 0; xx < ow; xx++) {
                            int ix = xx * strideW - padW + kj;
                            cols[dst + xx] = ix >= 0 && ix < w ? x[src + ix] : 0f;
                        }
                    }
                }
            }
        }
    }

    /** The adjoint of {@link #im2col}: adds each column entry back into the image position it came from. */
    public static void col2im(float[] cols, int colOff, int c, int h, int w, int kH, int kW, int strideH, int strideW,
            int padH, int padW, int oh, int ow, float[] x, int xOff) {
        int plane = oh * ow;
        for (int ch = 0; ch < c; ch++) {
            for (int ki = 0; ki < kH; ki++) {
                for (int kj = 0; kj < kW; kj++) {
                    int row = colOff + ((ch * kH + ki) * kW + kj) * plane;
                    for (int y = 0; y < oh; y++) {
                        int iy = y * strideH - padH + ki;
                        if (iy < 0 || iy >= h) continue;
                        int dst = xOff + (ch * h + iy) * w;
                        int src = row + y * ow;
                        for (int xx = 0; xx < ow; xx++) {
                            int ix = xx * strideW - padW + kj;
                            if (ix >= 0 && ix < w) x[dst + ix] += cols[src + xx];
                        }
                    }
                }
            }
        }
    }

    public static Tensor forward(Tensor xt, Tensor wt, Tensor bias, int strideH, int strideW, int padH, int padW) {
        int[] xs = xt.shapeRef(), ws = wt.shapeRef();
        check("conv2d", xs, ws, strideH, strideW, padH, padW);
        int n = xs[0], c = xs[1], h = xs[2], w = xs[3], o = ws[0], kH = ws[2], kW = ws[3];
        int oh = outSize(h, kH, strideH, padH), ow = outSize(w, kW, strideW, padW);
        int ckk = c * kH * kW, plane = oh * ow;
        Tensor x = xt.compact(), wc = wt.compact();
        float[] b = bias == null ? null : bias.compact().data();
        if (b != null && b.length != o) throw new IllegalArgumentException("conv2d: bias of " + b.length + " for " + o + " output channels");
        float[] out = new float[n * o * plane];
        Parallel.forRange(n, 1, (n0, n1) -> {
            float[] cols = new float[ckk * plane];
            for (int i = n0; i < n1; i++) {
                im2col(x.data(), i * c * h * w, c, h, w, kH, kW, strideH, strideW, padH, padW, oh, ow, cols, 0);
                int yo = i * o * plane;
                Sgemm.sgemm(false, false, o, plane, ckk, 1f, wc.data(), 0, ckk, cols, 0, plane, 0f, out, yo, plane);
                if (b != null) {
                    for (int oc = 0; oc < o; oc++) {
                        float bv = b[oc];
                        for (int p = yo + oc * plane, e = p + plane; p < e; p++) out[p] += bv;
                    }
                }
            }
        });
        return Tensor.of(out, n, o, oh, ow);
    }

    public static Tensor unfold(Tensor xt, int kH, int kW, int strideH, int strideW, int padH, int padW) {
        int[] xs = xt.shapeRef();
        if (xs.length != 4) throw new IllegalArgumentException("unfold: input " + Shape.str(xs) + " is not [N, C, H, W]");
        check("unfold", xs, new int[] {1, xs[1], kH, kW}, strideH, strideW, padH, padW);
        int n = xs[0], c = xs[1], h = xs[2], w = xs[3];
        int oh = outSize(h, kH, strideH, padH), ow = outSize(w, kW, strideW, padW);
        int ckk = c * kH * kW, plane = oh * ow;
        Tensor x = xt.compact();
        float[] cols = new float[n * ckk * plane];
        Parallel.forRange(n, 1, (n0, n1) -> {
            for (int i = n0; i < n1; i++) {
                im2col(x.data(), i * c * h * w, c, h, w, kH, kW, strideH, strideW, padH, padW, oh, ow, cols, i * ckk * plane);
            }
        });
        return Tensor.of(cols, n, ckk, plane);
    }

    public static Tensor backwardInput(Tensor gt, Tensor wt, int h, int w, int strideH, int strideW, int padH, int padW) {
        int[] gs = gt.shapeRef(), ws = wt.shapeRef();
        int n = gs[0], o = ws[0], c = ws[1], kH = ws[2], kW = ws[3];
        int oh = gs[2], ow = gs[3];
        if (gs[1] != o || oh != outSize(h, kH, strideH, padH) || ow != outSize(w, kW, strideW, padW)) {
            throw new IllegalArgumentException("conv2d backward: gradient " + Shape.str(gs) + " does not fit weight "
                    + Shape.str(ws) + " and input " + h + "x" + w);
        }
        int ckk = c * kH * kW, plane = oh * ow;
        Tensor g = gt.compact(), wc = wt.compact();
        float[] dx = new float[n * c * h * w];
        Parallel.forRange(n, 1, (n0, n1) -> {
            float[] cols = new float[ckk * plane];
            for (int i = n0; i < n1; i++) {
                Sgemm.sgemm(true, false, ckk, plane, o, 1f, wc.data(), 0, ckk, g.data(), i * o * plane, plane, 0f, cols, 0, plane);
                col2im(cols, 0, c, h, w, kH, kW, strideH, strideW, padH, padW, oh, ow, dx, i * c * h * w);
            }
        });
        return Tensor.of(dx, n, c, h, w);
    }

    public static Tensor backwardWeight(Tensor xt, Tensor gt, int kH, int kW, int strideH, int strideW, int padH, int padW) {
        int[] xs = xt.shapeRef(), gs = gt.shapeRef();
        int n = xs[0], c = xs[1], h = xs[2], w = xs[3], o = gs[1], oh = gs[2], ow = gs[3];
        if (gs[0] != n || oh != outSize(h, kH, strideH, padH) || ow != outSize(w, kW, strideW, padW)) {
            throw new IllegalArgumentException("conv2d weight gradient: gradient " + Shape.str(gs) + " does not fit input " + Shape.str(xs));
        }
        int ckk = c * kH * kW, plane = oh * ow;
        Tensor x = xt.compact(), g = gt.compact();
        int chunks = Math.max(1, Math.min(n, Parallel.threads()));
        float[][] partial = new float[chunks][];
        // Each chunk of images accumulates its own dW, summed at the end, so threads never share an accumulator.
        Parallel.forRange(chunks, 1, (c0, c1) -> {
            float[] cols = new float[ckk * plane];
            for (int ch = c0; ch < c1; ch++) {
                float[] dw = new float[o * ckk];
                for (int i = (int) ((long) n * ch / chunks), e = (int) ((long) n * (ch + 1) / chunks); i < e; i++) {
                    im2col(x.data(), i * c * h * w, c, h, w, kH, kW, strideH, strideW, padH, padW, oh, ow, cols, 0);
                    Sgemm.sgemm(false, true, o, ckk, plane, 1f, g.data(), i * o * plane, plane, cols, 0, plane, 1f, dw, 0, ckk);
                }
                partial[ch] = dw;
            }
        });
        float[] dw = partial[0];
        for (int ch = 1; ch < chunks; ch++) for (int i = 0; i < dw.length; i++) dw[i] += partial[ch][i];
        return Tensor.of(dw, o, c, kH, kW);
    }
}
