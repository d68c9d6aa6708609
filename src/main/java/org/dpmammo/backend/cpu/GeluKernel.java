package org.dpmammo.backend.cpu;

/**
 * GELU over a run of floats, x·Φ(x) and its gradient g·(Φ(x) + x·φ(x)), to float precision. The scalar loops in
 * {@link Kernels} are the fallback; {@link VectorGelu} is the SIMD one, picked with the GEMM kernel (same
 * {@code -Ddpmammo.simd} switch), because GELU runs on every MLP activation of a transformer.
 */
interface GeluKernel {
    void forward(float[] x, int xo, float[] out, int oo, int n);

    void backward(float[] x, int xo, float[] g, int go, float[] out, int oo, int n);
}
