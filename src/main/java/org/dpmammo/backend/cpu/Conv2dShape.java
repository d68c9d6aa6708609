package org.dpmammo.backend.cpu;

/**
 * The geometry of one 2-D convolution over NCHW float tensors, groups = 1: x [batch, inC, inH, inW] convolved with
 * w [outC, inC, kH, kW] gives y [batch, outC, outH, outW], outH = (inH + 2·padH − kH) / strideH + 1 (floor, as in
 * PyTorch).
 */
public record Conv2dShape(int batch, int inC, int inH, int inW, int outC, int kH, int kW,
                          int strideH, int strideW, int padH, int padW) {
    public Conv2dShape {
        if (batch < 0 || inC < 1 || inH < 1 || inW < 1 || outC < 1 || kH < 1 || kW < 1 || strideH < 1 || strideW < 1
                || padH < 0 || padW < 0)
            throw new IllegalArgumentException("bad convolution " + describe(batch, inC, inH, inW, outC, kH, kW, strideH, strideW, padH, padW));
        if (inH + 2 * padH < kH || inW + 2 * padW < kW)
            throw new IllegalArgumentException("kernel " + kH + "x" + kW + " larger than padded input " + (inH + 2 * padH) + "x" + (inW + 2 * padW));
    }

    /** A square kernel with equal strides and padding, the common case. */
    public static Conv2dShape of(int batch, int inC, int inH, int inW, int outC, int k, int stride, int pad) {
        return new Conv2dShape(batch, inC, inH, inW, outC, k, k, stride, stride, pad, pad);
    }

    public int outH() {
        return (inH + 2 * padH - kH) / strideH + 1;
    }

    public int outW() {
        return (inW + 2 * padW - kW) / strideW + 1;
    }

    /** Rows of one image's im2col matrix: inC·kH·kW, the GEMM's inner dimension. */
    public int colRows() {
        return inC * kH * kW;
    }

    /** Columns of one image's im2col matrix: outH·outW output positions. */
    public int colCols() {
        return outH() * outW();
    }

    public long inputSize() {
        return (long) batch * inC * inH * inW;
    }

    public long outputSize() {
        return (long) batch * outC * outH() * outW();
    }

    public long weightSize() {
        return (long) outC * inC * kH * kW;
    }

    /** Multiply-adds × 2 of the forward pass (also of each of the two backward GEMMs). */
    public double flops() {
        return 2.0 * batch * outC * colCols() * colRows();
    }

    @Override
    public String toString() {
        return describe(batch, inC, inH, inW, outC, kH, kW, strideH, strideW, padH, padW);
    }

    private static String describe(int batch, int inC, int inH, int inW, int outC, int kH, int kW, int sH, int sW, int pH, int pW) {
        return batch + "x" + inC + "x" + inH + "x" + inW + " -> " + outC + " k" + kH + "x" + kW + " s" + sH + "x" + sW + " p" + pH + "x" + pW;
    }
}
