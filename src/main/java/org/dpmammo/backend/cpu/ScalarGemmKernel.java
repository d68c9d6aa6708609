package org.dpmammo.backend.cpu;

/**
 * The micro-kernel used where the Vector API module is absent ({@code java -jar} without --add-modules): a 4×4
 * tile in sixteen scalar accumulators (plus eight operands, the most that stays in the 16 xmm registers), with
 * Math.fma, which C2 compiles to one vfmadd instruction on FMA hardware.
 *
 * <p>Tried in the kernel lab (one core, kc = 256, Zen 3): a 4×16 tile accumulated in a float[] row by row, meant for
 * C2's superword pass, 2.8 GFLOP/s (C2 did not vectorise it); scalar locals 4×4 with mul+add 6.0, 2×8 4.6, 3×4 3.3,
 * 4×3 3.4; 4×4 with Math.fma 6.7, kept.
 */
final class ScalarGemmKernel implements GemmKernel {
    private static final int MR = 4, NR = 4;

    @Override
    public String name() {
        return "scalar-" + MR + "x" + NR;
    }

    @Override
    public int mr() {
        return MR;
    }

    @Override
    public int nr() {
        return NR;
    }

    /** the Vector API kernel's blocking; at 6-7 GFLOP/s the kernel, not the caches, is the limit. */
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
        float c00 = 0f, c01 = 0f, c02 = 0f, c03 = 0f;
        float c10 = 0f, c11 = 0f, c12 = 0f, c13 = 0f;
        float c20 = 0f, c21 = 0f, c22 = 0f, c23 = 0f;
        float c30 = 0f, c31 = 0f, c32 = 0f, c33 = 0f;
        for (int p = 0; p < kc; p++) {
            int ap = aOff + p * MR, bp = bOff + p * NR;
            float b0 = b[bp + 0], b1 = b[bp + 1], b2 = b[bp + 2], b3 = b[bp + 3];
            float a0 = a[ap + 0];
            c00 = Math.fma(a0, b0, c00); c01 = Math.fma(a0, b1, c01); c02 = Math.fma(a0, b2, c02); c03 = Math.fma(a0, b3, c03);
            float a1 = a[ap + 1];
            c10 = Math.fma(a1, b0, c10); c11 = Math.fma(a1, b1, c11); c12 = Math.fma(a1, b2, c12); c13 = Math.fma(a1, b3, c13);
            float a2 = a[ap + 2];
            c20 = Math.fma(a2, b0, c20); c21 = Math.fma(a2, b1, c21); c22 = Math.fma(a2, b2, c22); c23 = Math.fma(a2, b3, c23);
            float a3 = a[ap + 3];
            c30 = Math.fma(a3, b0, c30); c31 = Math.fma(a3, b1, c31); c32 = Math.fma(a3, b2, c32); c33 = Math.fma(a3, b3, c33);
        }
        c[cOff + 0 * ldc + 0] = alpha * c00; c[cOff + 0 * ldc + 1] = alpha * c01; c[cOff + 0 * ldc + 2] = alpha * c02; c[cOff + 0 * ldc + 3] = alpha * c03;
        c[cOff + 1 * ldc + 0] = alpha * c10; c[cOff + 1 * ldc + 1] = alpha * c11; c[cOff + 1 * ldc + 2] = alpha * c12; c[cOff + 1 * ldc + 3] = alpha * c13;
        c[cOff + 2 * ldc + 0] = alpha * c20; c[cOff + 2 * ldc + 1] = alpha * c21; c[cOff + 2 * ldc + 2] = alpha * c22; c[cOff + 2 * ldc + 3] = alpha * c23;
        c[cOff + 3 * ldc + 0] = alpha * c30; c[cOff + 3 * ldc + 1] = alpha * c31; c[cOff + 3 * ldc + 2] = alpha * c32; c[cOff + 3 * ldc + 3] = alpha * c33;
    }

    /** C += alpha·A·B. */
    @Override
    public void multiplyAdd(int kc, float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int ldc, float alpha) {
        float c00 = 0f, c01 = 0f, c02 = 0f, c03 = 0f;
        float c10 = 0f, c11 = 0f, c12 = 0f, c13 = 0f;
        float c20 = 0f, c21 = 0f, c22 = 0f, c23 = 0f;
        float c30 = 0f, c31 = 0f, c32 = 0f, c33 = 0f;
        for (int p = 0; p < kc; p++) {
            int ap = aOff + p * MR, bp = bOff + p * NR;
            float b0 = b[bp + 0], b1 = b[bp + 1], b2 = b[bp + 2], b3 = b[bp + 3];
            float a0 = a[ap + 0];
            c00 = Math.fma(a0, b0, c00); c01 = Math.fma(a0, b1, c01); c02 = Math.fma(a0, b2, c02); c03 = Math.fma(a0, b3, c03);
            float a1 = a[ap + 1];
            c10 = Math.fma(a1, b0, c10); c11 = Math.fma(a1, b1, c11); c12 = Math.fma(a1, b2, c12); c13 = Math.fma(a1, b3, c13);
            float a2 = a[ap + 2];
            c20 = Math.fma(a2, b0, c20); c21 = Math.fma(a2, b1, c21); c22 = Math.fma(a2, b2, c22); c23 = Math.fma(a2, b3, c23);
            float a3 = a[ap + 3];
            c30 = Math.fma(a3, b0, c30); c31 = Math.fma(a3, b1, c31); c32 = Math.fma(a3, b2, c32); c33 = Math.fma(a3, b3, c33);
        }
        c[cOff + 0 * ldc + 0] += alpha * c00; c[cOff + 0 * ldc + 1] += alpha * c01; c[cOff + 0 * ldc + 2] += alpha * c02; c[cOff + 0 * ldc + 3] += alpha * c03;
        c[cOff + 1 * ldc + 0] += alpha * c10; c[cOff + 1 * ldc + 1] += alpha * c11; c[cOff + 1 * ldc + 2] += alpha * c12; c[cOff + 1 * ldc + 3] += alpha * c13;
        c[cOff + 2 * ldc + 0] += alpha * c20; c[cOff + 2 * ldc + 1] += alpha * c21; c[cOff + 2 * ldc + 2] += alpha * c22; c[cOff + 2 * ldc + 3] += alpha * c23;
        c[cOff + 3 * ldc + 0] += alpha * c30; c[cOff + 3 * ldc + 1] += alpha * c31; c[cOff + 3 * ldc + 2] += alpha * c32; c[cOff + 3 * ldc + 3] += alpha * c33;
    }
}
