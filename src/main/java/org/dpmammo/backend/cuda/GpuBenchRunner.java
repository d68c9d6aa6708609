package org.dpmammo.backend.cuda;

import org.dpmammo.util.ChaCha20;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.dpmammo.backend.Backend;
import org.dpmammo.tensor.Tensor;

/** The measurements behind {@code dpmammo bench gpu}; kept beside the backend so it can reach the DP kernels. */
public final class GpuBenchRunner {
    private GpuBenchRunner() {}

    /** Inputs come from the noise kernel under a fresh key, which also exercises the key path real training uses. */
    private static final int[] KEY = ChaCha20.secureKey();

    public static String describe(Backend b) {
        return ((CudaBackend) b).describe();
    }

    /** Median seconds of {@code repeats} synchronised runs after a warm-up. */
    private static double time(CudaBackend gpu, int repeats, Runnable work) {
        work.run();
        gpu.synchronize();
        double[] t = new double[repeats];
        for (int i = 0; i < repeats; i++) {
            long t0 = System.nanoTime();
            work.run();
            gpu.synchronize();
            t[i] = (System.nanoTime() - t0) * 1e-9;
        }
        Arrays.sort(t);
        return t[repeats / 2];
    }

    /** One measured line: the kernel, its shape, the median seconds and the rate in its unit. */
    public record Measurement(String what, String shape, double seconds, double rate, String unit) {}

    private static Measurement line(String what, String shape, double seconds, double rate, String unit) {
        return new Measurement(what, shape, seconds, rate, unit);
    }

    public static String memoryReport(Backend backend) {
        return ((CudaBackend) backend).memoryReport();
    }

    /** Benchmark inputs from the DP noise kernel: one training-step number per tensor, so no two share a stream. */
    private static Tensor randn(CudaBackend gpu, long step, double sigma, int... shape) {
        return gpu.gaussianNoise(KEY, step, 1, sigma, Math.scalb(1.0, -12), shape);
    }

    public static List<Measurement> run(Backend backend, List<Integer> sizes, int repeats) {
        CudaBackend gpu = (CudaBackend) backend;
        List<Measurement> rows = new ArrayList<>();
        long call = 0;
        for (int n : sizes) {
            Tensor a = randn(gpu, 100_000 + call++, 1.0, n, n), b = randn(gpu, 100_000 + call++, 1.0, n, n);
            double flops = 2.0 * n * n * n;
            double f32 = time(gpu, repeats, () -> gpu.matmul(a, b, false, false));
            rows.add(line("sgemm float32", n + "x" + n + "x" + n, f32, flops / f32 * 1e-9, "GFLOP/s"));
            try {
                CudaBackend tc = gpu.withTf32(true);
                double tf = time(gpu, repeats, () -> tc.matmul(a, b, false, false));
                rows.add(line("sgemm TF32 (mma.sync)", n + "x" + n + "x" + n, tf, flops / tf * 1e-9, "GFLOP/s"));
            } catch (CudaFailure e) {
                rows.add(line("sgemm TF32 unavailable", n + "", 0, 0, e.getMessage()));
            }
        }
        // DP kernels at the size of a ViT-B/Swin-T-like linear layer and batch (B = 64, T = 196, 768 wide).
        int bsz = 64, t = 196, d = 768;
        Tensor act = randn(gpu, 101_000, 1.0, bsz, t, d), grad = randn(gpu, 101_001, 1.0, bsz, t, d);
        double ghost = time(gpu, repeats, () -> gpu.ghostNorms(act, grad));
        rows.add(line("dp ghost norms", bsz + "x" + t + "x" + d, ghost, bsz / ghost, "examples/s"));
        int perEx = 1 << 20;
        Tensor pe = randn(gpu, 102_000, 1.0, bsz, perEx);
        double norms = time(gpu, repeats, () -> gpu.perExampleSqNorms(pe));
        rows.add(line("dp per-example sq norms", bsz + "x" + perEx, norms, 4.0 * bsz * perEx / norms * 1e-9, "GB/s"));
        Tensor c = gpu.clipFactors(gpu.perExampleSqNorms(pe).reshape(1, -1), 1.0);
        double clipped = time(gpu, repeats, () -> gpu.clippedSum(act, grad, c));
        rows.add(line("dp clipped sum Aᵀ·diag(c)·G", bsz + "x" + t + "x" + d, clipped, 2.0 * bsz * t * d * d / clipped * 1e-9, "GFLOP/s"));
        int params = 100_000_000;
        long[] noiseCall = {1000};
        double noise = time(gpu, repeats, () -> randn(gpu, 103_000 + noiseCall[0]++, 1.0, params));
        rows.add(line("dp gaussian noise (ChaCha20)", params + "", noise, params / noise * 1e-9, "Gsamples/s"));
        Tensor p = randn(gpu, 104_000, 1.0, params), g = randn(gpu, 104_001, 1.0, params);
        Tensor m = randn(gpu, 104_002, 0.0, params), v = randn(gpu, 104_003, 0.0, params);
        long[] step = {1};
        double adam = time(gpu, repeats, () -> gpu.fusedAdamW(p, g, m, v, 1e-3, 0.9, 0.999, 1e-8, 0.01, step[0]++));
        rows.add(line("dp fused AdamW", params + "", adam, 28.0 * params / adam * 1e-9, "GB/s"));
        return rows;
    }
}
