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
     * C[i, j] (+)= alpha·Σ_p A[p·MR + i]·B[p·NR + j] over the full MR×NR tile at {@code c[cOff + i·ldc + j]}: added to
     * C when {@code accumulate}, otherwise written without reading C, so NaN there does not leak. A general beta is
     * applied by the caller beforehand; keeping it out leaves the kernel one branch, so C2 does not deoptimise it
     * when a new beta shows up.
     */
    void kernel(int kc, float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int ldc, float alpha, boolean accumulate);
}
