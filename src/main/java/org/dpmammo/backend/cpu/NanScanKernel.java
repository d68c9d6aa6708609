package org.dpmammo.backend.cpu;

/** The SIMD NaN scan, an interface so that {@link Kernels} links no jdk.incubator.vector class. */
interface NanScanKernel {
    /** Whether any of d[from, to) is NaN. */
    boolean hasNaN(float[] d, int from, int to);
}
