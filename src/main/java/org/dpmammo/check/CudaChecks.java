package org.dpmammo.check;

import java.util.ArrayList;
import java.util.List;
import org.dpmammo.backend.Backend;
import org.dpmammo.backend.Backends;
import org.dpmammo.backend.BinaryOp;
import org.dpmammo.backend.UnaryOp;
import org.dpmammo.tensor.Tensor;
import org.dpmammo.util.Rng;
import org.dpmammo.backend.cuda.CudaBackend;
import org.dpmammo.backend.cuda.CudaFailure;
import org.dpmammo.backend.cuda.DpReference;

/**
 * GPU checks beyond {@link BackendCheck}: the DP kernels against {@link DpReference}, TF32 GEMMs against the CPU at
 * TF32's tolerance, and a chain of ops that must stay on the device. Reached only once CUDA is open.
 */
public final class CudaChecks {
    private CudaChecks() {}

    /** Relative tolerance of float32 kernels with float or double accumulation. */
    static final double F32 = 1e-5;
    /** TF32 rounds GEMM inputs to 10 mantissa bits. */
    static final double TF32 = 3e-3;

    private static float[] random(Rng rng, int n, float lo, float hi) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) rng.uniform(lo, hi);
        return a;
    }

    private static BackendCheck.Row row(String op, String shapes, Tensor candidate, float[] reference, double tol) {
        return new BackendCheck.Row(op, shapes, BackendCheck.error(candidate, Tensor.of(reference, candidate.shapeRef())), tol);
    }

    /**
     * Seeded noise must equal the CPU's bit for bit: the row's error is the number of coordinates whose float bits
     * differ. (The device's log/cos/sin may differ from the JVM's in the last ulp; after snapping that shows only
     * for a value within a few ulps of a grid boundary, about 1e-11 per coordinate, so these fixed inputs agree.)
     */
    private static BackendCheck.Row bitsRow(String op, String shapes, Tensor candidate, float[] reference) {
        float[] c = candidate.toArray();
        int differ = c.length == reference.length ? 0 : Integer.MAX_VALUE;
        for (int i = 0; i < Math.min(c.length, reference.length); i++) if (Float.floatToRawIntBits(c[i]) != Float.floatToRawIntBits(reference[i])) differ++;
        return new BackendCheck.Row(op, shapes, differ, 0);
    }

    /** {@link BackendCheck} of every primitive against the CPU backend, with tolerances capped at 1e-5 relative. */
    public static List<BackendCheck.Row> primitives(Backend backend, long seed) {
        List<BackendCheck.Row> rows = new ArrayList<>();
        for (BackendCheck.Row r : BackendCheck.run(backend, Backends.cpu(), seed)) {
            rows.add(new BackendCheck.Row(r.op(), r.shapes(), r.error(), Math.min(r.tolerance(), F32)));
        }
        return rows;
    }

    /** Every DP kernel and the TF32 GEMM, compared on inputs drawn from the seed. */
    public static List<BackendCheck.Row> dpKernels(Backend backend, long seed) {
        CudaBackend gpu = (CudaBackend) backend;
        Rng rng = new Rng(seed);
        List<BackendCheck.Row> rows = new ArrayList<>();
        int b = 5, t = 7, din = 9, dout = 6, d = 37;

        float[] g = random(rng, b * d, -1, 1);
        rows.add(row("dp per-example sq norms", "[5, 37]", gpu.perExampleSqNorms(Tensor.of(g, b, d)), DpReference.sqNorms(g, b, d), F32));

        float[] a = random(rng, b * t * din, -1, 1), go = random(rng, b * t * dout, -1, 1);
        Tensor at = Tensor.of(a, b, t, din), gt = Tensor.of(go, b, t, dout);
        rows.add(row("dp ghost norms", "[5, 7, 9] [5, 7, 6]", gpu.ghostNorms(at, gt),
                DpReference.ghostNormsMaterialised(a, go, b, t, din, dout), F32));

        float[] sq = {0f, 1e-8f, 0.25f, 4f, 1e4f};
        Tensor c = gpu.clipFactors(Tensor.of(sq, 1, b), 1.5);
        float[] cRef = DpReference.clipFactors(sq, 1.5f);
        rows.add(row("dp clip factors", "[5]", c, cRef, 1e-6));
        float[] bad = {Float.NaN, Float.POSITIVE_INFINITY, 1f};
        rows.add(row("dp clip factors, non-finite norms → 0", "[3]", gpu.clipFactors(Tensor.of(bad, 1, 3), 1.5), DpReference.clipFactors(bad, 1.5f), 0));
        rows.add(row("dp clipped sum Aᵀ·diag(c)·G", "[5, 7, 9] [5, 7, 6] [5]", gpu.clippedSum(at, gt, c),
                DpReference.clippedSum(a, go, cRef, b, t, din, dout), F32));

        int[] key = {0x01234567, 0x89abcdef, 0x0f1e2d3c, 0x4b5a6978, 7, 6, 5, 4};
        int n = 2 * CudaBackend.NOISE_CHUNK + 4099;
        double r07 = Math.scalb(1.0, Math.getExponent(0.7) - 12), r13 = Math.scalb(1.0, Math.getExponent(1.3) - 12);
        rows.add(bitsRow("dp gaussian noise (ChaCha20), coordinates ≠ CPU stream", "[" + n + "]",
                gpu.gaussianNoise(key, 0x1_0000_0002L, 0xFFFF_0000L, 0.7, r07, n), DpReference.gaussianNoise(key, 0x1_0000_0002L, 0xFFFF_0000L, 0.7, r07, null, n)));
        float[] x = random(rng, n, -3, 3);
        rows.add(bitsRow("dp add gaussian noise, coordinates ≠ CPU stream", "[" + n + "]", gpu.addGaussianNoise(Tensor.of(x, n), key, 9, 1, 1.3, r13),
                DpReference.gaussianNoise(key, 9, 1, 1.3, r13, x, n)));

        int np = 1000;
        float[] p = random(rng, np, -1, 1), m = new float[np], v = new float[np];
        Tensor pd = gpu.upload(Tensor.of(p.clone(), np)), md = gpu.upload(Tensor.of(m.clone(), np)), vd = gpu.upload(Tensor.of(v.clone(), np));
        for (int step = 1; step <= 3; step++) {
            float[] grad = random(rng, np, -1, 1);
            if (!gpu.fusedAdamW(pd, Tensor.of(grad, np), md, vd, 1e-2, 0.9, 0.999, 1e-8, 0.05, step)) throw new IllegalStateException("fused AdamW refused device tensors");
            DpReference.adamw(p, grad, m, v, 1e-2f, 0.9f, 0.999f, 1e-8f, 0.05f, (float) (1 - Math.pow(0.9, step)), (float) (1 - Math.pow(0.999, step)));
        }
        rows.add(row("dp fused AdamW (3 steps)", "[1000]", pd, p, F32));

        rows.add(residency(gpu, rng));
        rows.addAll(tf32(gpu, rng));
        return rows;
    }

    /** exp → mul → sum on the device: every intermediate must stay there, and the result must match the CPU. */
    private static BackendCheck.Row residency(CudaBackend gpu, Rng rng) {
        Tensor x = Tensor.of(random(rng, 64 * 33, -1, 1), 64, 33);
        Tensor e = gpu.unary(UnaryOp.EXP, x, 0);
        Tensor y = gpu.binary(BinaryOp.MUL, e, e.transpose(0, 1).contiguous().transpose(0, 1));
        Tensor s = gpu.sum(y, new int[] {0}, false);
        Backend cpu = Backends.cpu();
        Tensor ce = cpu.unary(UnaryOp.EXP, x, 0);
        Tensor ref = cpu.sum(cpu.binary(BinaryOp.MUL, ce, ce), new int[] {0}, false);
        boolean resident = e.isOnDevice() && y.isOnDevice() && s.isOnDevice();
        return new BackendCheck.Row("device residency exp·mul·sum", "[64, 33]", resident ? BackendCheck.error(s, ref) : Double.POSITIVE_INFINITY, F32);
    }

    private static List<BackendCheck.Row> tf32(CudaBackend gpu, Rng rng) {
        List<BackendCheck.Row> rows = new ArrayList<>();
        CudaBackend tc;
        try {
            tc = gpu.withTf32(true);
        } catch (CudaFailure e) {
            rows.add(new BackendCheck.Row("matmul TF32 (unavailable: " + e.getMessage() + ")", "", 0, TF32));
            return rows;
        }
        int[][] shapes = {{67, 45, 33}, {130, 100, 70}, {1, 513, 130}};
        for (int[] s : shapes) {
            for (int tr = 0; tr < 4; tr++) {
                boolean ta = (tr & 1) != 0, tb = (tr & 2) != 0;
                Tensor a = ta ? Tensor.of(random(rng, s[0] * s[1], -1, 1), s[1], s[0]) : Tensor.of(random(rng, s[0] * s[1], -1, 1), s[0], s[1]);
                Tensor b = tb ? Tensor.of(random(rng, s[1] * s[2], -1, 1), s[2], s[1]) : Tensor.of(random(rng, s[1] * s[2], -1, 1), s[1], s[2]);
                rows.add(new BackendCheck.Row("matmul TF32" + (ta ? " Aᵀ" : "") + (tb ? " Bᵀ" : "") + " " + s[0] + "x" + s[1] + "x" + s[2], "",
                        BackendCheck.error(tc.matmul(a, b, ta, tb), Backends.cpu().matmul(a, b, ta, tb)), TF32));
            }
        }
        Tensor a = Tensor.of(random(rng, 4 * 17 * 9, -1, 1), 4, 17, 9), b = Tensor.of(random(rng, 4 * 9 * 13, -1, 1), 4, 9, 13);
        rows.add(new BackendCheck.Row("matmul TF32 batched 4x[17x9x13]", "", BackendCheck.error(tc.matmul(a, b, false, false),
                Backends.cpu().matmul(a, b, false, false)), TF32));
        return rows;
    }
}
