package org.dpmammo.backend.cpu;

/**
 * The geometry of one 2-D transposed convolution, NCHW, groups = 1, PyTorch's ConvTranspose2d without
 * output_padding: x [batch, inC, inH, inW] with w [inC, outC, kH, kW] gives y [batch, outC, outH, outW],
 * outH = (inH − 1)·strideH − 2·padH + kH.
 *
 * <p>It is the data gradient of the convolution {@link #asConv()} that maps y's shape back to x's, with the same
 * weight array: that convolution's weight layout [its outC = inC here, its inC = outC here, kH, kW] is exactly
 * PyTorch's transposed-convolution layout.
 */
public record ConvTranspose2dShape(int batch, int inC, int inH, int inW, int outC, int kH, int kW,
                                   int strideH, int strideW, int padH, int padW) {
    public ConvTranspose2dShape {
        if (batch < 0 || inC < 1 || inH < 1 || inW < 1 || outC < 1 || kH < 1 || kW < 1 || strideH < 1 || strideW < 1
                || padH < 0 || padW < 0)
            throw new IllegalArgumentException("bad transposed convolution " + batch + "x" + inC + "x" + inH + "x" + inW + " -> " + outC);
        if ((inH - 1) * strideH - 2 * padH + kH < 1 || (inW - 1) * strideW - 2 * padW + kW < 1)
            throw new IllegalArgumentException("transposed convolution output would be empty (padding too large)");
    }

    /** A square kernel with equal strides and padding. */
    public static ConvTranspose2dShape of(int batch, int inC, int inH, int inW, int outC, int k, int stride, int pad) {
        return new ConvTranspose2dShape(batch, inC, inH, inW, outC, k, k, stride, stride, pad, pad);
    }

    public int outH() {
        return (inH - 1) * strideH - 2 * padH + kH;
    }

    public int outW() {
        return (inW - 1) * strideW - 2 * padW + kW;
    }

    /** The convolution from y's shape to x's shape whose data gradient this transposed convolution is. */
    public Conv2dShape asConv() {
        return new Conv2dShape(batch, outC, outH(), outW(), inC, kH, kW, strideH, strideW, padH, padW);
    }

    public long inputSize() {
        return (long) batch * inC * inH * inW;
    }

    public long outputSize() {
        return (long) batch * outC * outH() * outW();
    }

    public long weightSize() {
        return (long) inC * outC * kH * kW;
    }

    /** Multiply-adds × 2 of the forward pass (also of each of the two backward GEMMs). */
    public double flops() {
        return asConv().flops();
    }
}
