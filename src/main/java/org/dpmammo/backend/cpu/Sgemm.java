package org.dpmammo.backend.cpu;

import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import org.dpmammo.util.Parallel;

/**
 * Single-precision GEMM on row-major float arrays, BLAS semantics: C = alpha·op(A)·op(B) + beta·C, where op(X) is X
 * or Xᵀ. m×k times k×n into m×n; {@code lda}, {@code ldb}, {@code ldc} are the row strides of the arrays as stored
 * (A is stored m×k, or k×m when transposed). {@code beta == 0} overwrites C without reading it; {@code alpha == 0}
 * or {@code k == 0} only scales C, without reading A or B.
 *
 * <p>Structure (the Goto/BLIS loop nest): for each NC-wide column block of C and each KC-deep slice of k, B's slice
 * is packed once into NR-wide panels shared by all threads; the rows of C are cut into MC-row blocks, each thread
 * packs the A block it works on into MR-wide panels (kept in L2) and sweeps the micro-kernel over MR×NR tiles,
 * reusing each KC×NR B panel from L1 across the A block. Work is handed out dynamically in (row block × column
 * range) tasks, so shapes with few row blocks (conv weights times wide im2col matrices) still use every thread.
 * Ragged edges are computed on zero-padded panels into a scratch tile and merged, so the micro-kernel never
 * branches.
 *
 * <p>Kernel selection: {@code -Ddpmammo.simd=auto|vector|vector256|vector512|scalar} (default auto). Auto and
 * vector pick the Vector API kernel of the widest native vector (512 bits where the CPU has AVX-512, else 256)
 * when the jdk.incubator.vector module is in the boot layer; vector256 keeps the 256-bit kernel on an AVX-512 CPU;
 * without native 256-bit vectors auto picks the scalar kernel. Forcing a vector kernel that cannot run falls back
 * (to 256 bits, or to scalar) with one line on stderr. Each kernel brings its own MR×NR and blocking (KC, MC).
 *
 * <p>Kernel lab (AMD EPYC Zen 3, AVX2, 16 ymm registers; one core; the micro-kernel alone on L1-resident panels,
 * kc = 256; best of 6 runs, on a machine shared with other builds, so ±15%). Vector API micro-kernel shapes, in
 * GFLOP/s: 6×16 (12 accumulators) 75-83, kept; 5×16 62-68; 8×8 57-62; 4×16 52; 4×24 39 and 3×32 32-38 (16
 * registers live, C2 spills). A plain FMA loop with no loads reached 65-80 on the same machine, so 6×16 runs near
 * peak. Two pitfalls cost more than the shape: a store helper taking FloatVector arguments that C2 did not inline
 * (vectors boxed: 24-30 GFLOP/s), and one kernel with an accumulate flag, which C2 deoptimised the first time the
 * flag changed (the kernel then ran interpreted for seconds). Turning the Vector API's index checks off
 * (jdk.incubator.vector.VECTOR_ACCESS_OOB_CHECK=0) gave no gain beyond the noise, so they stay on.
 * Whole-GEMM numbers against OpenBLAS are in docs/BENCHMARKS.md.
 */
public final class Sgemm {
    /** Columns of one packed B block, rounded down to whole NR panels: KC×NC floats (4 MiB) live in L3. */
    static final int NC = 4080;
    /** Below this many flops a GEMM runs on the calling thread: forking costs more than it saves. */
    static final long PARALLEL_MIN_FLOPS = 1L << 21;
    /** Panels of B packed row by row together: 64 × NR floats (4 KiB at NR = 16) read contiguously per row. */
    static final int PACK_B_GROUP = 64;

    private static final GemmKernel SCALAR = new ScalarGemmKernel();
    private static final boolean VECTOR_MODULE = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    private static final GemmKernel VECTOR256 = loadVectorKernel("org.dpmammo.backend.cpu.VectorGemmKernel");
    private static final GemmKernel VECTOR512 = loadVectorKernel("org.dpmammo.backend.cpu.VectorGemmKernel512");
    private static final GemmKernel DEFAULT = select(System.getProperty("dpmammo.simd", "auto"));

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private Sgemm() {}

    /** The kernel in use, e.g. {@code vector512-14x32}, {@code vector256-6x16} or {@code scalar-4x4}. */
    public static String implementation() {
        return DEFAULT.name();
    }

    /**
     * The vector width in bits of the kernel in use (512 or 256), or 0 for the scalar kernel. The other SIMD loops
     * ({@link VectorGelu}, {@link VectorRectifier}) use the same width, so one property switches them all.
     */
    static int vectorBits() {
        return DEFAULT == VECTOR512 ? 512 : DEFAULT == VECTOR256 ? 256 : 0;
    }

    /** The scalar kernel, always available; for tests that compare both paths in one JVM. */
    static GemmKernel scalarKernel() {
        return SCALAR;
    }

    /** The 256-bit Vector API kernel, or null where the module is absent. */
    static GemmKernel vector256Kernel() {
        return VECTOR256;
    }

    /** The 512-bit Vector API kernel, or null where the module is absent (it loads, emulated, on narrower CPUs). */
    static GemmKernel vector512Kernel() {
        return VECTOR512;
    }

    /** Whether this JVM runs vectors of {@code bits} natively (false without the module). */
    static boolean nativeVectorBits(int bits) {
        GemmKernel k = bits >= 512 ? VECTOR512 : VECTOR256;
        if (k == null) return false;
        try {
            return (Boolean) k.getClass().getDeclaredMethod("nativeWidthOk").invoke(null);
        } catch (ReflectiveOperationException e) {
            return false;
        }
    }

    static GemmKernel select(String simd) {
        switch (simd.trim().toLowerCase(Locale.ROOT)) {
            case "scalar":
                return SCALAR;
            case "vector512":
                if (nativeVectorBits(512)) return VECTOR512;
                if (VECTOR_MODULE) System.err.println("dpmammo: -Ddpmammo.simd=vector512 but this CPU has no native "
                        + "512-bit vectors; using the 256-bit kernel");
                return select("vector");
            case "vector256":
            case "vector":
                if (VECTOR256 == null) {
                    System.err.println("dpmammo: -Ddpmammo.simd=" + simd.trim() + " but jdk.incubator.vector is not "
                            + "available (run java with --add-modules jdk.incubator.vector); using the scalar kernel");
                    return SCALAR;
                }
                return simd.trim().equalsIgnoreCase("vector") && nativeVectorBits(512) ? VECTOR512 : VECTOR256;
            case "auto":
                if (VECTOR256 == null) {
                    // `java -jar` does not load incubator modules, and the scalar path is 2–3× slower: say so once,
                    // since a training run that silently takes three times as long looks like a bug.
                    System.err.println("dpmammo: SIMD GEMM off (jdk.incubator.vector not loaded); "
                            + "run java --add-modules jdk.incubator.vector -jar ... for 2-3x faster training");
                    return SCALAR;
                }
                if (nativeVectorBits(512)) return VECTOR512;
                return nativeVectorBits(256) ? VECTOR256 : SCALAR;
            default:
                throw new IllegalArgumentException("-Ddpmammo.simd must be auto, vector, vector256, vector512 or scalar, not '"
                        + simd + "'");
        }
    }

    /**
     * Loads a Vector API kernel by name, so that no class this one links against names jdk.incubator.vector and
     * {@code java -jar} without the module never touches it.
     */
    private static GemmKernel loadVectorKernel(String className) {
        if (!VECTOR_MODULE) return null;
        try {
            return (GemmKernel) Class.forName(className).getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException | LinkageError e) {
            return null;
        }
    }

    /** C = alpha·op(A)·op(B) + beta·C with the selected kernel, on the backend's threads. */
    public static void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                             float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                             float beta, float[] c, int cOff, int ldc) {
        gemm(DEFAULT, true, transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
    }

    /**
     * {@code batch} independent GEMMs of one shape; item i reads A at {@code aOff + i·strideA}, B at
     * {@code bOff + i·strideB} and writes C at {@code cOff + i·strideC}. Many small products (attention's 49×32×49
     * per window and head) go one whole product per thread; a few large ones go one after another, each threaded.
     */
    public static void sgemmBatched(boolean transA, boolean transB, int m, int n, int k, float alpha,
                                    float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                                    float beta, float[] c, int cOff, int ldc,
                                    int batch, long strideA, long strideB, long strideC) {
        gemmBatched(DEFAULT, transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc,
                batch, strideA, strideB, strideC);
    }

    static void gemmBatched(GemmKernel kern, boolean transA, boolean transB, int m, int n, int k, float alpha,
                            float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                            float beta, float[] c, int cOff, int ldc,
                            int batch, long strideA, long strideB, long strideC) {
        if (batch < 0) throw new IllegalArgumentException("batch " + batch + " < 0");
        if (batch == 0) return;
        // Every item's offset must be a valid int index; the per-item call checks the extent.
        long lastA = aOff + (batch - 1) * strideA, lastB = bOff + (batch - 1) * strideB, lastC = cOff + (batch - 1) * strideC;
        if (lastA < 0 || lastA > Integer.MAX_VALUE || lastB < 0 || lastB > Integer.MAX_VALUE || lastC < 0 || lastC > Integer.MAX_VALUE)
            throw new IllegalArgumentException("batched GEMM offsets out of int range (batch " + batch + ")");
        long flops = 2L * m * n * k;
        boolean perItem = batch >= 2 * Parallel.threads() || flops < PARALLEL_MIN_FLOPS;
        if (!perItem) {
            for (int i = 0; i < batch; i++)
                gemm(kern, true, transA, transB, m, n, k, alpha, a, (int) (aOff + i * strideA), lda,
                        b, (int) (bOff + i * strideB), ldb, beta, c, (int) (cOff + i * strideC), ldc);
            return;
        }
        int grain = (int) Math.max(1, Math.min(batch, PARALLEL_MIN_FLOPS / Math.max(1, flops)));
        Parallel.forRange(batch, grain, (lo, hi) -> {
            for (int i = lo; i < hi; i++)
                gemm(kern, false, transA, transB, m, n, k, alpha, a, (int) (aOff + i * strideA), lda,
                        b, (int) (bOff + i * strideB), ldb, beta, c, (int) (cOff + i * strideC), ldc);
        });
    }

    static void gemm(GemmKernel kern, boolean threads, boolean transA, boolean transB, int m, int n, int k, float alpha,
                     float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                     float beta, float[] c, int cOff, int ldc) {
        if (m < 0 || n < 0 || k < 0) throw new IllegalArgumentException("negative GEMM size " + m + "x" + n + "x" + k);
        checkMatrix("C", c, cOff, m, n, ldc);
        if (m == 0 || n == 0) return;
        if (k == 0 || alpha == 0f) {
            scale(c, cOff, ldc, m, n, beta);
            return;
        }
        checkMatrix("A", a, aOff, transA ? k : m, transA ? m : k, lda);
        checkMatrix("B", b, bOff, transB ? n : k, transB ? k : n, ldb);
        boolean parallel = threads && Parallel.threads() > 1 && 2L * m * n * k >= PARALLEL_MIN_FLOPS;
        new Job(kern, parallel, transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc).run();
    }

    private static void checkMatrix(String name, float[] x, int off, int rows, int cols, int ld) {
        if (rows == 0 || cols == 0) return;
        if (off < 0) throw new IndexOutOfBoundsException(name + " offset " + off + " < 0");
        if (rows > 1 && ld < cols) throw new IllegalArgumentException("ld" + name.toLowerCase(Locale.ROOT) + " " + ld + " < " + cols + " columns");
        long last = off + (long) (rows - 1) * ld + cols - 1;
        if (last >= x.length)
            throw new IndexOutOfBoundsException(name + " (" + rows + "x" + cols + ", ld " + ld + ", offset " + off
                    + ") needs " + (last + 1) + " floats, array has " + x.length);
    }

    private static void scale(float[] c, int cOff, int ldc, int m, int n, float beta) {
        if (beta == 1f) return;
        for (int i = 0; i < m; i++) {
            int r = cOff + i * ldc;
            if (beta == 0f) java.util.Arrays.fill(c, r, r + n, 0f);
            else for (int j = 0; j < n; j++) c[r + j] *= beta;
        }
    }

    /** Per-thread packing buffers, grown on demand and reused across calls. */
    private static final class Scratch {
        float[] packA = new float[0], packB = new float[0], tile = new float[0];

        float[] packA(int size) {
            if (packA.length < size) packA = new float[size];
            return packA;
        }

        float[] packB(int size) {
            if (packB.length < size) packB = new float[size];
            return packB;
        }

        float[] tile(int size) {
            if (tile.length < size) tile = new float[size];
            return tile;
        }
    }

    /** One GEMM call: the loop nest, with the current KC slice's packed B shared by the worker threads. */
    private static final class Job {
        final GemmKernel kern;
        final int mr, nr;
        final boolean parallel, transA, transB;
        final int m, n, k, lda, ldb, ldc, aOff, bOff, cOff;
        final float alpha, beta;
        final float[] a, b, c;
        final int kcMax, mc, rowBlocks;
        // State of the current (jc, pc) step, read by the workers.
        int jc, nc, pc, kc, colPanels, colSplits;
        boolean accumulate;
        float[] packedB;

        Job(GemmKernel kern, boolean parallel, boolean transA, boolean transB, int m, int n, int k, float alpha,
            float[] a, int aOff, int lda, float[] b, int bOff, int ldb, float beta, float[] c, int cOff, int ldc) {
            this.kern = kern;
            this.mr = kern.mr();
            this.nr = kern.nr();
            this.parallel = parallel;
            this.transA = transA;
            this.transB = transB;
            this.m = m;
            this.n = n;
            this.k = k;
            this.alpha = alpha;
            this.a = a;
            this.aOff = aOff;
            this.lda = lda;
            this.b = b;
            this.bOff = bOff;
            this.ldb = ldb;
            this.beta = beta;
            this.c = c;
            this.cOff = cOff;
            this.ldc = ldc;
            // Equal row blocks of at most MC rows (rounded to whole MR panels), and when threaded a multiple of the
            // thread count, so that no thread waits on another's last block (15 blocks on 2 threads idle one 7%).
            this.kcMax = kern.kc();
            int mcMax = Math.max(mr, kern.mc() / mr * mr);
            int blocks = (m + mcMax - 1) / mcMax, threads = parallel ? Parallel.threads() : 1;
            if (blocks > 1 && threads > 1) blocks = Math.min((blocks + threads - 1) / threads * threads, (m + mr - 1) / mr);
            this.rowBlocks = blocks;
            int perBlock = (m + rowBlocks - 1) / rowBlocks;
            this.mc = (perBlock + mr - 1) / mr * mr;
        }

        void run() {
            // beta = 0 is the first slice overwriting C; any other beta is applied once here, then slices add.
            if (beta != 0f && beta != 1f) scale(c, cOff, ldc, m, n, beta);
            Scratch scratch = SCRATCH.get();
            int ncMax = NC / nr * nr;
            for (jc = 0; jc < n; jc += ncMax) {
                nc = Math.min(ncMax, n - jc);
                colPanels = (nc + nr - 1) / nr;
                // Enough tasks that dynamic hand-out balances the threads, without repacking A more than needed:
                // column splits only when there are too few row blocks to go round.
                int threads = parallel ? Parallel.threads() : 1;
                colSplits = threads == 1 || rowBlocks >= 2 * threads ? 1
                        : Math.max(1, Math.min(colPanels, (4 * threads + rowBlocks - 1) / rowBlocks));
                for (pc = 0; pc < k; pc += kcMax) {
                    kc = Math.min(kcMax, k - pc);
                    accumulate = pc > 0 || beta != 0f;
                    packedB = scratch.packB(colPanels * nr * kc);
                    // Panels split over the threads down to one each (a KC×NR panel is 16–32 KiB): with a grain of
                    // 8 the few wide panels of a convolution's weight gradient (B = im2colᵀ) were packed by the
                    // calling thread alone, 3% of a GAN training epoch's samples with the other core idle.
                    if (parallel) Parallel.forRange(colPanels, 1, this::packB);
                    else packB(0, colPanels);
                    int tasks = rowBlocks * colSplits;
                    if (parallel) {
                        AtomicInteger next = new AtomicInteger();
                        Parallel.forRange(threads, 1, (lo, hi) -> work(next, tasks));
                    } else {
                        work(null, tasks);
                    }
                }
            }
        }

        /** Packs B panels [p0, p1) of the current slice: panel q holds op(B)[pc.., jc+q·NR..] as kc rows of NR. */
        void packB(int p0, int p1) {
            float[] dst = packedB;
            if (!transB) {
                // Row by row across up to PACK_B_GROUP panels: panel by panel, each row's NR floats come from a new
                // page (B's rows are ldb apart), and packing the GAN's wide im2col matrices took twice as long.
                for (int g0 = p0; g0 < p1; g0 += PACK_B_GROUP) {
                    int g1 = Math.min(p1, g0 + PACK_B_GROUP);
                    for (int p = 0; p < kc; p++) {
                        int row = bOff + (pc + p) * ldb;
                        for (int q = g0; q < g1; q++) {
                            int j0 = jc + q * nr, cols = Math.min(nr, n - j0), d = q * nr * kc + p * nr;
                            System.arraycopy(b, row + j0, dst, d, cols);
                            for (int j = cols; j < nr; j++) dst[d + j] = 0f;
                        }
                    }
                }
                return;
            }
            for (int q = p0; q < p1; q++) {
                int j0 = jc + q * nr, cols = Math.min(nr, n - j0), base = q * nr * kc;
                for (int j = 0; j < cols; j++) {
                    int src = bOff + (j0 + j) * ldb + pc;
                    for (int p = 0; p < kc; p++) dst[base + p * nr + j] = b[src + p];
                }
                for (int j = cols; j < nr; j++)
                    for (int p = 0; p < kc; p++) dst[base + p * nr + j] = 0f;
            }
        }

        /** Packs rows [i0, i0+rows) of op(A)'s current slice as MR-wide panels, zero-padding the last one. */
        void packA(float[] dst, int i0, int rows) {
            int panels = (rows + mr - 1) / mr;
            if (transA) {
                // Row by row of the stored A across the whole block: a row's `rows` floats are contiguous there, and
                // panel by panel each MR floats came from a new row (a new page when A is a wide weight used
                // transposed). A loop, not arraycopy: copying MR floats costs less than the call.
                for (int p = 0; p < kc; p++) {
                    int src = aOff + (pc + p) * lda + i0;
                    for (int q = 0; q < panels; q++) {
                        int rs = Math.min(mr, rows - q * mr), d = q * mr * kc + p * mr, from = src + q * mr;
                        for (int i = 0; i < rs; i++) dst[d + i] = a[from + i];
                        for (int i = rs; i < mr; i++) dst[d + i] = 0f;
                    }
                }
                return;
            }
            for (int q = 0; q < panels; q++) {
                int r0 = i0 + q * mr, rs = Math.min(mr, i0 + rows - r0), base = q * mr * kc;
                // MR read streams advancing together and one contiguous write stream: row by row instead, every
                // write lands MR floats after the last, and packing wide A blocks (the deep layers' weights,
                // where n is small) cost a third of their multiply.
                int src = aOff + r0 * lda + pc;
                if (rs == mr && mr == 6) {
                    int s1 = src + lda, s2 = s1 + lda, s3 = s2 + lda, s4 = s3 + lda, s5 = s4 + lda;
                    for (int p = 0, d = base; p < kc; p++, d += 6) {
                        dst[d] = a[src + p];
                        dst[d + 1] = a[s1 + p];
                        dst[d + 2] = a[s2 + p];
                        dst[d + 3] = a[s3 + p];
                        dst[d + 4] = a[s4 + p];
                        dst[d + 5] = a[s5 + p];
                    }
                } else if (rs == mr && mr == 14) {
                    // The 512-bit kernel's panels, unrolled in two passes of seven rows. Against the loop below, on one
                    // core of a loaded Xeon: swin-mlp2 80-92 -> 100-107 GFLOP/s, gan-d5 94-98 -> 103-107 (the wide
                    // A blocks, where packing is a larger share).
                    packRows7(dst, base, src, 0);
                    packRows7(dst, base, src + 7 * lda, 7);
                } else {
                    for (int p = 0; p < kc; p++) {
                        int d = base + p * mr;
                        for (int i = 0; i < rs; i++) dst[d + i] = a[src + i * lda + p];
                    }
                }
                for (int i = rs; i < mr; i++)
                    for (int p = 0; p < kc; p++) dst[base + p * mr + i] = 0f;
            }
        }

        /** Seven rows of a 14-row A panel starting at {@code src}, into lanes [i0, i0 + 7) of each k step. */
        private void packRows7(float[] dst, int base, int src, int i0) {
            int s1 = src + lda, s2 = s1 + lda, s3 = s2 + lda, s4 = s3 + lda, s5 = s4 + lda, s6 = s5 + lda;
            for (int p = 0, d = base + i0; p < kc; p++, d += 14) {
                dst[d] = a[src + p];
                dst[d + 1] = a[s1 + p];
                dst[d + 2] = a[s2 + p];
                dst[d + 3] = a[s3 + p];
                dst[d + 4] = a[s4 + p];
                dst[d + 5] = a[s5 + p];
                dst[d + 6] = a[s6 + p];
            }
        }

        /** Takes (row block, column range) tasks until none are left; null {@code next} means do them all here. */
        void work(AtomicInteger next, int tasks) {
            Scratch scratch = SCRATCH.get();
            float[] packedA = scratch.packA(mc * kc);
            float[] tile = scratch.tile(mr * nr);
            int packedRow = -1;
            for (int t = 0; ; t++) {
                int task = next == null ? t : next.getAndIncrement();
                if (task >= tasks) return;
                int rb = task / colSplits, cs = task % colSplits;
                int i0 = rb * mc, rows = Math.min(mc, m - i0);
                if (rows <= 0) continue;
                if (packedRow != i0) {
                    packA(packedA, i0, rows);
                    packedRow = i0;
                }
                int q0 = (int) ((long) colPanels * cs / colSplits), q1 = (int) ((long) colPanels * (cs + 1) / colSplits);
                for (int q = q0; q < q1; q++) {
                    int j0 = jc + q * nr, cols = Math.min(nr, n - j0), bo = q * nr * kc;
                    for (int ir = 0; ir < rows; ir += mr) {
                        int rs = Math.min(mr, rows - ir), ao = ir * kc, co = cOff + (i0 + ir) * ldc + j0;
                        if (rs == mr && cols == nr) {
                            if (accumulate) kern.multiplyAdd(kc, packedA, ao, packedB, bo, c, co, ldc, alpha);
                            else kern.multiply(kc, packedA, ao, packedB, bo, c, co, ldc, alpha);
                        } else {
                            kern.multiply(kc, packedA, ao, packedB, bo, tile, 0, nr, alpha);
                            merge(tile, co, rs, cols);
                        }
                    }
                }
            }
        }

        private void merge(float[] tile, int co, int rows, int cols) {
            for (int i = 0; i < rows; i++) {
                int r = co + i * ldc, t = i * nr;
                if (accumulate) for (int j = 0; j < cols; j++) c[r + j] += tile[t + j];
                else for (int j = 0; j < cols; j++) c[r + j] = tile[t + j];
            }
        }
    }
}
