package org.dpmammo.cli.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Options;
import java.util.concurrent.ForkJoinPool;
import org.dpmammo.cli.CliSupport;
import org.dpmammo.cli.UsageException;
import org.dpmammo.privacy.accounting.Accountant;
import org.dpmammo.privacy.accounting.Epsilon;
import org.dpmammo.privacy.accounting.EpsilonGrid;
import org.dpmammo.privacy.accounting.PrvAccountant;
import org.dpmammo.privacy.accounting.RdpAccountant;
import org.dpmammo.privacy.accounting.Segment;
import org.dpmammo.util.Rng;

/**
 * {@code dpmammo bench privacy}: time of one ε query (q = 256/60000, σ = 1.1, δ = 1e-5, 10^5 steps by default) for
 * each accountant after warm-up, and of a seeded grid of distinct settings as the grid mode runs it.
 */
public final class PrivacyBench implements Benchmark {
    private static final ThreadMXBean THREAD = ManagementFactory.getThreadMXBean();
    /** Process CPU time also covers the pool threads a PRV query forks work to (but ticks only every ~10 ms). */
    private static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    @Override
    public String name() {
        return "privacy";
    }

    @Override
    public String summary() {
        return "privacy accountants: one epsilon at 1e5 steps (RDP, PRV) and a 500-row grid";
    }

    @Override
    public Options options() {
        return Benchmark.options(
                CliSupport.valued("steps", "T", "steps of the single query (default 100000)"),
                CliSupport.valued("rows", "N", "rows in the grid (default 500)"),
                CliSupport.valued("prv-rows", "N", "how many of the grid's rows also go through PRV (default 50; PRV costs 0.1-2 s a row)"),
                CliSupport.valued("reps", "R", "timed repetitions of the single query (default 10)"));
    }

    @Override
    public void run(CommandLine cl, PrintStream out, boolean json) throws Exception {
        long steps = CliSupport.longOpt(cl, "steps", 100_000);
        int rows = CliSupport.intOpt(cl, "rows", 500);
        int reps = CliSupport.intOpt(cl, "reps", 10);
        int prvRows = CliSupport.intOpt(cl, "prv-rows", 50);
        if (steps < 1 || rows < 1 || reps < 1 || prvRows < 0) throw new UsageException("--steps, --rows and --reps must be >= 1, --prv-rows >= 0");
        double q = 256.0 / 60000;
        double sigma = 1.1;
        double delta = 1e-5;
        List<Segment> history = List.of(new Segment(q, sigma, steps));
        List<Measure> results = new ArrayList<>();
        for (Accountant a : List.of(new RdpAccountant(), new PrvAccountant())) {
            Epsilon e = null;
            for (int i = 0; i < 3; i++) e = a.epsilon(history, delta);
            double[] ms = new double[reps];
            double[] thread = new double[reps];
            double[] process = new double[reps];
            for (int i = 0; i < reps; i++) {
                long p0 = OS.getProcessCpuTime();
                long c0 = THREAD.getCurrentThreadCpuTime();
                long t0 = System.nanoTime();
                e = a.epsilon(history, delta);
                ms[i] = (System.nanoTime() - t0) / 1e6;
                thread[i] = (THREAD.getCurrentThreadCpuTime() - c0) / 1e6;
                process[i] = (OS.getProcessCpuTime() - p0) / 1e6;
            }
            Arrays.sort(ms);
            Arrays.sort(thread);
            Arrays.sort(process);
            results.add(new Measure(a.name() + " epsilon, " + steps + " steps", ms[reps / 2], ms[0], thread[reps / 2],
                    process[reps / 2], e.epsilon(), 1));
        }
        List<EpsilonGrid.Row> grid = grid(rows);
        results.add(timeGrid(new RdpAccountant(), grid));
        if (prvRows > 0) results.add(timeGrid(new PrvAccountant(), grid.subList(0, Math.min(prvRows, rows))));
        if (json) {
            ObjectMapper m = new ObjectMapper();
            ObjectNode root = m.createObjectNode();
            root.put("benchmark", name());
            root.put("threads", gridThreads());
            ArrayNode a = root.putArray("results");
            for (Measure r : results) {
                ObjectNode o = a.addObject();
                o.put("case", r.name);
                o.put("median_ms", r.medianMs);
                o.put("min_ms", r.minMs);
                if (!Double.isNaN(r.threadCpuMs)) o.put("median_thread_cpu_ms", r.threadCpuMs);
                if (!Double.isNaN(r.processCpuMs)) o.put("median_process_cpu_ms", r.processCpuMs);
                o.put("epsilon", r.epsilon);
                o.put("rows", r.rows);
            }
            out.println(m.writerWithDefaultPrettyPrinter().writeValueAsString(root));
            return;
        }
        out.printf(Locale.ROOT, "privacy accountants (q = %.6g, sigma = %.3g, delta = %.0e; %d threads for grids)%n", q, sigma, delta, gridThreads());
        out.printf(Locale.ROOT, "%-28s %11s %11s %11s %11s %12s%n", "case", "median ms", "min ms", "thread cpu", "process cpu", "epsilon");
        for (Measure r : results) {
            out.printf(Locale.ROOT, "%-28s %11.2f %11.2f %11s %11s %12.6f%s%n", r.name, r.medianMs, r.minMs, cpu(r.threadCpuMs),
                    cpu(r.processCpuMs), r.epsilon, r.rows > 1 ? "  (mean)" : "");
        }
    }

    /** Grids run as parallel streams: the common pool's workers plus the calling thread. */
    private static int gridThreads() {
        return ForkJoinPool.getCommonPoolParallelism() + 1;
    }

    private static String cpu(double ms) {
        return Double.isNaN(ms) ? "-" : String.format(Locale.ROOT, "%.2f", ms);
    }

    private static Measure timeGrid(Accountant a, List<EpsilonGrid.Row> grid) {
        long t0 = System.nanoTime();
        Epsilon[] eps = EpsilonGrid.evaluate(a, grid);
        double ms = (System.nanoTime() - t0) / 1e6;
        double sum = 0;
        for (Epsilon e : eps) sum += e.epsilon();
        return new Measure(a.name() + " grid, " + grid.size() + " rows", ms, ms, Double.NaN, Double.NaN, sum / grid.size(), grid.size());
    }

    /**
     * CPU times (single queries only, medians) distort less than wall time on a busy shared machine: threadCpuMs is
     * the calling thread's, processCpuMs the whole process's (pool threads, JIT and GC included).
     */
    private record Measure(String name, double medianMs, double minMs, double threadCpuMs, double processCpuMs,
                           double epsilon, int rows) {}

    /**
     * Distinct settings spread over the range DP-SGD uses: q log-uniform in [1e-3, 0.1], σ in [0.6, 3], steps
     * log-uniform in [100, 20000], δ 1e-5 or 1e-6; seeded, so every run times the same grid.
     */
    static List<EpsilonGrid.Row> grid(int rows) {
        Rng rng = new Rng(20261128L);
        List<EpsilonGrid.Row> out = new ArrayList<>();
        for (int i = 0; i < rows; i++) {
            double q = Math.pow(10, -3 + 2 * rng.nextDouble());
            double sigma = 0.6 + 2.4 * rng.nextDouble();
            long steps = Math.round(Math.pow(10, 2 + Math.log10(200) * rng.nextDouble()));
            double delta = rng.nextDouble() < 0.5 ? 1e-5 : 1e-6;
            out.add(new EpsilonGrid.Row(q, sigma, steps, delta));
        }
        return out;
    }
}
