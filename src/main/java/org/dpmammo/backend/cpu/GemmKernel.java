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

    /** Depth of one packed slice (Sgemm's KC): a KC×NR B panel should stay in L1 while the tiles sweep over it. */
    int kc();

    /** Rows of one packed A block (Sgemm's MC), a multiple of MR: MC×KC floats should stay in L2. */
    int mc();

    /**
     * C[i, j] = alpha·Σ_p A[p·MR + i]·B[p·NR + j] over the full MR×NR tile at {@code c[cOff + i·ldc + j]}, written
     * without reading C, so NaN there does not leak (BLAS beta = 0).
     */
    void multiply(int kc, float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int ldc, float alpha);

    /**
     * C[i, j] += alpha·Σ_p A[p·MR + i]·B[p·NR + j]. Separate from {@link #multiply} rather than a flag, so that neither
     * has a branch C2 could deoptimise on; a general beta is applied to C by the caller beforehand.
     */
    void multiplyAdd(int kc, float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int ldc, float alpha);
}
