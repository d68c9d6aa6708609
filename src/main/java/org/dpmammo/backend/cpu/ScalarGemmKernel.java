package org.dpmammo.backend.cpu;

/**
 * The micro-kernel used where the Vector API module is absent ({@code java -jar} without --add-modules), written
 * so that C2's superword pass can vectorise it on its own: the inner loop runs along a row of a small accumulator
 * tile with a constant trip count.
 */
final class ScalarGemmKernel implements GemmKernel {
    private static final int MR = 4, NR = 16;

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

    @Override
    public void kernel(int kc, float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int ldc, float alpha, boolean accumulate) {
        float[] acc = new float[MR * NR];
        for (int p = 0; p < kc; p++) {
            int ap = aOff + p * MR, bp = bOff + p * NR;
            for (int i = 0; i < MR; i++) {
                float ai = a[ap + i];
                int r = i * NR;
                for (int j = 0; j < NR; j++) acc[r + j] += ai * b[bp + j];
            }
        }
        for (int i = 0; i < MR; i++) {
            int ci = cOff + i * ldc, r = i * NR;
            if (accumulate) for (int j = 0; j < NR; j++) c[ci + j] += alpha * acc[r + j];
            else for (int j = 0; j < NR; j++) c[ci + j] = alpha * acc[r + j];
        }
    }
}
