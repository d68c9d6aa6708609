package org.dpmammo.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * SGEMM against a double-accumulated triple loop, for every kernel (scalar, 256-bit, and 512-bit where the CPU runs
 * it natively), every transpose pair, offsets and strides, edges that are not multiples of MR, NR or the vector
 * length, and sizes past each kernel's own blocking.
 */
class SgemmTest {
    static Stream<GemmKernel> kernels() {
        // Surefire runs with --add-modules jdk.incubator.vector, so the vector kernels exist here.
        GemmKernel v256 = Sgemm.vector256Kernel(), v512 = Sgemm.vector512Kernel();
        assertNotNull(v256, "the 256-bit Vector API kernel should load when the module is present");
        assertNotNull(v512, "the 512-bit Vector API kernel should load when the module is present");
        // Without native 512-bit vectors the Vector API emulates them lane by lane in Java, orders of magnitude
        // slower: that kernel is then never selected (see selection tests), and not run here either.
        return Sgemm.nativeVectorBits(512) ? Stream.of(Sgemm.scalarKernel(), v256, v512) : Stream.of(Sgemm.scalarKernel(), v256);
    }

    /** One random problem: A, B, C with padding around them so offsets and leading dimensions are exercised. */
    record Problem(boolean ta, boolean tb, int m, int n, int k, float alpha, float beta,
                   float[] a, int aOff, int lda, float[] b, int bOff, int ldb, float[] c, int cOff, int ldc) {
        static Problem random(SplittableRandom r, int m, int n, int k, boolean ta, boolean tb, float alpha, float beta) {
            int aRows = ta ? k : m, aCols = ta ? m : k, bRows = tb ? n : k, bCols = tb ? k : n;
            int lda = Math.max(1, aCols) + r.nextInt(3), ldb = Math.max(1, bCols) + r.nextInt(3), ldc = Math.max(1, n) + r.nextInt(3);
            int aOff = r.nextInt(4), bOff = r.nextInt(4), cOff = r.nextInt(4);
            float[] a = fill(r, aOff + aRows * lda + 2), b = fill(r, bOff + bRows * ldb + 2), c = fill(r, cOff + m * ldc + 2);
            return new Problem(ta, tb, m, n, k, alpha, beta, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
        }

        float av(int i, int p) {
            return ta ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
        }

        float bv(int p, int j) {
            return tb ? b[bOff + j * ldb + p] : b[bOff + p * ldb + j];
        }

        void run(GemmKernel kern, boolean threads) {
            Sgemm.gemm(kern, threads, ta, tb, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
        }

        /** Checks {@code out} (C after the call) against the reference computed from this problem's C before. */
        void check(float[] before, float[] out, String what) {
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double s = 0, abs = 0;
                    for (int p = 0; p < k; p++) {
                        double t = (double) av(i, p) * bv(p, j);
                        s += t;
                        abs += Math.abs(t);
                    }
                    double c0 = before[cOff + i * ldc + j];
                    double ref = alpha * s + (beta == 0f ? 0 : beta * c0);
                    double tol = 1e-6 * (k + 2) * (Math.abs(alpha) * abs + Math.abs(beta * c0)) + 1e-6;
                    float got = out[cOff + i * ldc + j];
                    if (!(Math.abs(got - ref) <= tol))
                        fail(what + ": C[" + i + "," + j + "] = " + got + ", expected " + ref + " ± " + tol);
                }
            }
            // Padding around and between the rows of C stays untouched.
            for (int x = 0; x < out.length; x++) {
                int rel = x - cOff;
                boolean inside = rel >= 0 && rel / ldc < m && rel % ldc < n;
                if (!inside && Float.floatToRawIntBits(out[x]) != Float.floatToRawIntBits(before[x]))
                    fail(what + ": wrote outside C at index " + x);
            }
        }
    }

    private static float[] fill(SplittableRandom r, int size) {
        float[] x = new float[size];
        for (int i = 0; i < size; i++) x[i] = (float) (r.nextDouble() * 2 - 1);
        return x;
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void randomShapesAllTransposes(GemmKernel kern) {
        SplittableRandom r = new SplittableRandom(42);
        int[] sizes = {0, 1, 2, 3, 5, 6, 7, 13, 14, 15, 16, 17, 23, 28, 29, 31, 32, 33, 49, 64, 65};
        float[][] ab = {{1f, 0f}, {1f, 1f}, {0.5f, -2f}, {-1.5f, 0.25f}, {0f, 0.5f}};
        for (int trial = 0; trial < 160; trial++) {
            int m = sizes[r.nextInt(sizes.length)], n = sizes[r.nextInt(sizes.length)], k = sizes[r.nextInt(sizes.length)];
            float[] s = ab[trial % ab.length];
            Problem p = Problem.random(r, m, n, k, (trial & 1) != 0, (trial & 2) != 0, s[0], s[1]);
            float[] before = p.c().clone();
            p.run(kern, r.nextBoolean());
            p.check(before, p.c(), kern.name() + " " + p.ta() + "/" + p.tb() + " " + m + "x" + n + "x" + k);
        }
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void blockBoundariesAndThreads(GemmKernel kern) {
        // Past MC rows, KC depth and NC columns, and big enough to run on the thread pool.
        SplittableRandom r = new SplittableRandom(7);
        int mc = kern.mc(), kc = kern.kc();
        int[][] shapes = {{mc * 2 + 5, 70, kc + 19}, {301, 130, 2 * kc + 1}, {7, Sgemm.NC + 21, 3}, {150, 150, 150},
                {mc + 1, 33, kc - 1}};
        for (int[] s : shapes) {
            for (int t = 0; t < 4; t++) {
                Problem p = Problem.random(r, s[0], s[1], s[2], (t & 1) != 0, (t & 2) != 0, 0.75f, t == 3 ? 0.5f : 0f);
                float[] before = p.c().clone();
                p.run(kern, true);
                p.check(before, p.c(), kern.name() + " " + s[0] + "x" + s[1] + "x" + s[2] + " t" + t);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void betaZeroIgnoresNaNAndAlphaZeroSkipsInputs(GemmKernel kern) {
        int m = 13, n = 21, k = 9;
        float[] a = new float[m * k], b = new float[k * n], c = new float[m * n];
        java.util.Arrays.fill(a, 1f);
        java.util.Arrays.fill(b, 2f);
        java.util.Arrays.fill(c, Float.NaN);
        Sgemm.gemm(kern, false, false, false, m, n, k, 1f, a, 0, k, b, 0, n, 0f, c, 0, n);
        for (float v : c) assertEquals(2f * k, v);
        // alpha = 0: C = beta·C, and NaN in A or B is never read.
        java.util.Arrays.fill(a, Float.NaN);
        Sgemm.gemm(kern, false, false, false, m, n, k, 0f, a, 0, k, b, 0, n, 0.5f, c, 0, n);
        for (float v : c) assertEquals(k, v);
        // k = 0 with beta = 0 clears C.
        Sgemm.gemm(kern, false, false, false, m, n, 0, 1f, a, 0, 1, b, 0, n, 0f, c, 0, n);
        for (float v : c) assertEquals(0f, v);
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void batchedMatchesOneByOne(GemmKernel kern) {
        SplittableRandom r = new SplittableRandom(3);
        int[][] shapes = {{49, 49, 32, 24}, {49, 32, 49, 5}, {3, 1, 2, 7}, {130, 140, 150, 2}};
        for (int[] s : shapes) {
            int m = s[0], n = s[1], k = s[2], batch = s[3];
            for (int t = 0; t < 4; t++) {
                boolean ta = (t & 1) != 0, tb = (t & 2) != 0;
                int sa = m * k + 3, sb = k * n + 1, sc = m * n + 2;
                float[] a = fill(r, 2 + batch * sa), b = fill(r, 1 + batch * sb), c = fill(r, batch * sc);
                float[] expect = c.clone();
                int lda = ta ? m : k, ldb = tb ? k : n;
                for (int i = 0; i < batch; i++)
                    Sgemm.gemm(kern, false, ta, tb, m, n, k, 1.25f, a, 2 + i * sa, lda, b, 1 + i * sb, ldb, 0.5f, expect, i * sc, n);
                Sgemm.gemmBatched(kern, ta, tb, m, n, k, 1.25f, a, 2, lda, b, 1, ldb, 0.5f, c, 0, n, batch, sa, sb, sc);
                for (int x = 0; x < c.length; x++) assertEquals(expect[x], c[x], 0f, "batched " + m + "x" + n + "x" + k + " at " + x);
            }
        }
    }

    @Test
    void kernelsAgreeWithEachOther() {
        // Same problem through both kernels: the structure around the kernel is shared, so they must agree closely.
        SplittableRandom r = new SplittableRandom(11);
        List<float[]> outs = new ArrayList<>();
        Problem base = Problem.random(r, 97, 203, 301, false, true, 1f, 0f);
        for (GemmKernel kern : kernels().toList()) {
            float[] c = base.c().clone();
            Sgemm.gemm(kern, true, base.ta(), base.tb(), base.m(), base.n(), base.k(), 1f, base.a(), base.aOff(), base.lda(),
                    base.b(), base.bOff(), base.ldb(), 0f, c, base.cOff(), base.ldc());
            outs.add(c);
        }
        for (int o = 1; o < outs.size(); o++)
            for (int x = 0; x < outs.get(0).length; x++) assertEquals(outs.get(0)[x], outs.get(o)[x], 1e-3f);
    }

    @Test
    void rejectsBadArguments() {
        float[] x = new float[10];
        assertThrows(IndexOutOfBoundsException.class, () -> Sgemm.sgemm(false, false, 4, 4, 4, 1f, x, 0, 4, x, 0, 4, 0f, x, 0, 4));
        assertThrows(IllegalArgumentException.class, () -> Sgemm.sgemm(false, false, 2, 2, 2, 1f, x, 0, 1, x, 0, 2, 0f, x, 0, 2));
        assertThrows(IllegalArgumentException.class, () -> Sgemm.sgemm(false, false, -1, 2, 2, 1f, x, 0, 2, x, 0, 2, 0f, x, 0, 2));
        assertThrows(IllegalArgumentException.class, () -> Sgemm.select("avx9000"));
    }

    @Test
    void selectionFollowsTheProperty() {
        GemmKernel widest = Sgemm.nativeVectorBits(512) ? Sgemm.vector512Kernel() : Sgemm.vector256Kernel();
        assertSame(Sgemm.scalarKernel(), Sgemm.select("scalar"));
        assertSame(widest, Sgemm.select("vector"));
        assertSame(widest, Sgemm.select("auto"));
        assertSame(Sgemm.vector256Kernel(), Sgemm.select("vector256"));
        // Forcing 512 bits where they are emulated falls back to 256 rather than running lane by lane.
        assertSame(widest, Sgemm.select("vector512"));
        assertTrue(Sgemm.implementation().matches("(vector256-6x16|vector512-14x32|scalar-4x4)"), Sgemm.implementation());
        int bits = Sgemm.vectorBits();
        assertEquals(Sgemm.implementation().startsWith("vector512") ? 512 : Sgemm.implementation().startsWith("vector256") ? 256 : 0, bits);
    }
}
