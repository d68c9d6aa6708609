package org.dpmammo.backend.cpu;

/**
 * The gradient of ReLU and LeakyReLU over a run of floats: out = g where x > 0, else g·slope (0 for ReLU, exactly, even
 * where g is infinite). The scalar loops in {@link Kernels} are the fallback; {@link VectorRectifier} is the SIMD one,
 * picked with the GEMM kernel. The scalar select on the sign of x is a branch the JIT does not vectorise, and with
 * activations of either sign at random it mispredicts about half the time: ten times slower than the forward's max.
 */
interface RectifierKernel {
    void backward(float[] x, int xo, float[] g, int go, float[] out, int oo, int n, float slope);
}
