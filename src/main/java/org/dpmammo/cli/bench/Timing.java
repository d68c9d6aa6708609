package org.dpmammo.cli.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;

/** Warm-up then the median of several timed runs; shared by the benchmark families. */
public final class Timing {
    private Timing() {}

    /** Seconds per call: the median of the samples, and the best, which is steadier on a shared machine. */
    public record Result(double median, double best) {}

    /**
     * Seconds per call of {@code body}: calls it until {@code warmupSeconds} have passed (JIT, caches, page faults),
     * then takes {@code runs} samples, each averaging enough calls to last at least {@code sampleSeconds}.
     */
    public static Result measure(Runnable body, double warmupSeconds, int runs, double sampleSeconds) {
        return measure(body, warmupSeconds, runs, sampleSeconds, false);
    }

    /**
     * As {@link #measure(Runnable, double, int, double)}; with {@code cpuTime} the samples are this thread's CPU
     * time instead of wall time, which on a loaded machine leaves out the time the thread waited for a core. Only
     * meaningful when the body runs on the calling thread alone (-Ddpmammo.threads=1).
     */
    public static Result measure(Runnable body, double warmupSeconds, int runs, double sampleSeconds, boolean cpuTime) {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        long t0 = System.nanoTime();
        int calls = 0;
        do {
            body.run();
            calls++;
        } while (System.nanoTime() - t0 < warmupSeconds * 1e9 || calls < 2);
        double perCall = (System.nanoTime() - t0) / 1e9 / calls;
        int reps = (int) Math.max(1, Math.ceil(sampleSeconds / Math.max(perCall, 1e-9)));
        double[] samples = new double[runs];
        for (int r = 0; r < runs; r++) {
            long s = cpuTime ? mx.getCurrentThreadCpuTime() : System.nanoTime();
            for (int i = 0; i < reps; i++) body.run();
            samples[r] = ((cpuTime ? mx.getCurrentThreadCpuTime() : System.nanoTime()) - s) / 1e9 / reps;
        }
        Arrays.sort(samples);
        double median = runs % 2 == 1 ? samples[runs / 2] : 0.5 * (samples[runs / 2 - 1] + samples[runs / 2]);
        return new Result(median, samples[0]);
    }

    /** Deterministic pseudo-random floats in [-1, 1), so runs compare like for like. */
    public static float[] randomArray(int size, long seed) {
        float[] x = new float[size];
        long s = seed * 0x9E3779B97F4A7C15L + 1;
        for (int i = 0; i < size; i++) {
            s = s * 6364136223846793005L + 1442695040888963407L;
            x[i] = ((s >>> 40) / (float) (1 << 24)) * 2f - 1f;
        }
        return x;
    }
}
