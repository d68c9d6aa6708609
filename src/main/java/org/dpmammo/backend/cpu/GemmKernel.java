package org.dpmammo.backend.cpu;

/**
 * The register-tiled inner core of {@link Sgemm}: multiplies one packed MR×kc panel of A by one packed kc×NR panel
 * of B and merges the MR×NR result into C. Everything around it (blocking, packing, edges, threads) is shared, so a
 * kernel is only this loop and the kernels can be swapped and compared one for one.
 */
interface GemmKernel {
    /** A short name for {@link Sgemm#implementation()} and the benchmark tables. */
    String name();

    /** Rows of the register tile; A panels are packed MR wide. */
    int mr();

    /** Columns of the register tile; B panels are packed NR wide. */
    int nr();

    /**
     * C[i, j] = alpha·Σ_p A[p·MR + i]·B[p·NR + j] + beta·C[i, j] over the full MR×NR tile at {@code c[cOff + i·ldc + j]}.
     * {@code beta == 0} writes without reading C, so NaN there does not leak; {@code beta == 1} accumulates.
     */
    void kernel(int kc, float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int ldc, float alpha, float beta);
}
