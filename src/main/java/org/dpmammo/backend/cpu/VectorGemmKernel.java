package org.dpmammo.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API micro-kernel for 256-bit vectors (AVX2): a 6×16 register tile held in twelve 256-bit accumulators,
 * fed per k step by two vector loads of B and six broadcasts of A (15 of the 16 AVX2 registers). Like every class
 * here that names jdk.incubator.vector, {@link Sgemm} loads it by name only after finding the module in the boot
 * layer. On AVX-512 CPUs {@link VectorGemmKernel512} is used instead unless {@code -Ddpmammo.simd=vector256}.
 *
 * <p>Written out by hand, twice (store and accumulate), without helper methods or branches: a vector passed to a
 * call that C2 does not inline is boxed on the heap (2.7× slower in the lab), and a branch that C2 has not yet
 * seen taken deoptimises the whole kernel back to the interpreter, where Vector API code runs a hundred times
 * slower until C2 recompiles it (seconds under load). Shapes tried are listed in {@link Sgemm}'s header.
 */
final class VectorGemmKernel implements GemmKernel {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_256;
    private static final int MR = 6, NR = 16;

    /** Whether this JVM runs 256-bit vectors natively rather than emulating them. */
    static boolean nativeWidthOk() {
        return FloatVector.SPECIES_PREFERRED.vectorBitSize() >= 256;
    }

    @Override
    public String name() {
        return "vector256-" + MR + "x" + NR;
    }

    @Override
    public int mr() {
        return MR;
    }

    @Override
    public int nr() {
        return NR;
    }

    /** a KC×NR B panel (16 KiB) stays in a 32 KiB L1, MC×KC (144 KiB) in a 512 KiB L2 (BLIS's Zen choice). */
    @Override
    public int kc() {
        return 256;
    }

    @Override
    public int mc() {
        return 144;
    }

    /** C = alpha·A·B, C not read. */
    @Override
    public void multiply(int kc, float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int ldc, float alpha) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c00 = z, c01 = z;
        FloatVector c10 = z, c11 = z;
        FloatVector c20 = z, c21 = z;
        FloatVector c30 = z, c31 = z;
        FloatVector c40 = z, c41 = z;
        FloatVector c50 = z, c51 = z;
        for (int p = 0; p < kc; p++) {
            int ap = aOff + p * MR, bp = bOff + p * NR;
            FloatVector b0 = FloatVector.fromArray(S, b, bp);
            FloatVector b1 = FloatVector.fromArray(S, b, bp + 8);
            FloatVector a0 = FloatVector.broadcast(S, a[ap + 0]);
            c00 = a0.fma(b0, c00);
            c01 = a0.fma(b1, c01);
            FloatVector a1 = FloatVector.broadcast(S, a[ap + 1]);
            c10 = a1.fma(b0, c10);
            c11 = a1.fma(b1, c11);
            FloatVector a2 = FloatVector.broadcast(S, a[ap + 2]);
            c20 = a2.fma(b0, c20);
            c21 = a2.fma(b1, c21);
            FloatVector a3 = FloatVector.broadcast(S, a[ap + 3]);
            c30 = a3.fma(b0, c30);
            c31 = a3.fma(b1, c31);
            FloatVector a4 = FloatVector.broadcast(S, a[ap + 4]);
            c40 = a4.fma(b0, c40);
            c41 = a4.fma(b1, c41);
            FloatVector a5 = FloatVector.broadcast(S, a[ap + 5]);
            c50 = a5.fma(b0, c50);
            c51 = a5.fma(b1, c51);
        }
        FloatVector va = FloatVector.broadcast(S, alpha);
        c00.mul(va).intoArray(c, cOff + 0 * ldc);
        c01.mul(va).intoArray(c, cOff + 0 * ldc + 8);
        c10.mul(va).intoArray(c, cOff + 1 * ldc);
        c11.mul(va).intoArray(c, cOff + 1 * ldc + 8);
        c20.mul(va).intoArray(c, cOff + 2 * ldc);
        c21.mul(va).intoArray(c, cOff + 2 * ldc + 8);
        c30.mul(va).intoArray(c, cOff + 3 * ldc);
        c31.mul(va).intoArray(c, cOff + 3 * ldc + 8);
        c40.mul(va).intoArray(c, cOff + 4 * ldc);
        c41.mul(va).intoArray(c, cOff + 4 * ldc + 8);
        c50.mul(va).intoArray(c, cOff + 5 * ldc);
        c51.mul(va).intoArray(c, cOff + 5 * ldc + 8);
    }

    /** C += alpha·A·B. */
    @Override
    public void multiplyAdd(int kc, float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int ldc, float alpha) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c00 = z, c01 = z;
        FloatVector c10 = z, c11 = z;
        FloatVector c20 = z, c21 = z;
        FloatVector c30 = z, c31 = z;
        FloatVector c40 = z, c41 = z;
        FloatVector c50 = z, c51 = z;
        for (int p = 0; p < kc; p++) {
            int ap = aOff + p * MR, bp = bOff + p * NR;
            FloatVector b0 = FloatVector.fromArray(S, b, bp);
            FloatVector b1 = FloatVector.fromArray(S, b, bp + 8);
            FloatVector a0 = FloatVector.broadcast(S, a[ap + 0]);
            c00 = a0.fma(b0, c00);
            c01 = a0.fma(b1, c01);
            FloatVector a1 = FloatVector.broadcast(S, a[ap + 1]);
            c10 = a1.fma(b0, c10);
            c11 = a1.fma(b1, c11);
            FloatVector a2 = FloatVector.broadcast(S, a[ap + 2]);
            c20 = a2.fma(b0, c20);
            c21 = a2.fma(b1, c21);
            FloatVector a3 = FloatVector.broadcast(S, a[ap + 3]);
            c30 = a3.fma(b0, c30);
            c31 = a3.fma(b1, c31);
            FloatVector a4 = FloatVector.broadcast(S, a[ap + 4]);
            c40 = a4.fma(b0, c40);
            c41 = a4.fma(b1, c41);
            FloatVector a5 = FloatVector.broadcast(S, a[ap + 5]);
            c50 = a5.fma(b0, c50);
            c51 = a5.fma(b1, c51);
        }
        FloatVector va = FloatVector.broadcast(S, alpha);
        c00.fma(va, FloatVector.fromArray(S, c, cOff + 0 * ldc)).intoArray(c, cOff + 0 * ldc);
        c01.fma(va, FloatVector.fromArray(S, c, cOff + 0 * ldc + 8)).intoArray(c, cOff + 0 * ldc + 8);
        c10.fma(va, FloatVector.fromArray(S, c, cOff + 1 * ldc)).intoArray(c, cOff + 1 * ldc);
        c11.fma(va, FloatVector.fromArray(S, c, cOff + 1 * ldc + 8)).intoArray(c, cOff + 1 * ldc + 8);
        c20.fma(va, FloatVector.fromArray(S, c, cOff + 2 * ldc)).intoArray(c, cOff + 2 * ldc);
        c21.fma(va, FloatVector.fromArray(S, c, cOff + 2 * ldc + 8)).intoArray(c, cOff + 2 * ldc + 8);
        c30.fma(va, FloatVector.fromArray(S, c, cOff + 3 * ldc)).intoArray(c, cOff + 3 * ldc);
        c31.fma(va, FloatVector.fromArray(S, c, cOff + 3 * ldc + 8)).intoArray(c, cOff + 3 * ldc + 8);
        c40.fma(va, FloatVector.fromArray(S, c, cOff + 4 * ldc)).intoArray(c, cOff + 4 * ldc);
        c41.fma(va, FloatVector.fromArray(S, c, cOff + 4 * ldc + 8)).intoArray(c, cOff + 4 * ldc + 8);
        c50.fma(va, FloatVector.fromArray(S, c, cOff + 5 * ldc)).intoArray(c, cOff + 5 * ldc);
        c51.fma(va, FloatVector.fromArray(S, c, cOff + 5 * ldc + 8)).intoArray(c, cOff + 5 * ldc + 8);
    }
}
