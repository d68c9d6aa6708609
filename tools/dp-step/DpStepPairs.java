import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.Locale;
import org.dpmammo.cli.bench.DpBench;

/**
 * The two steps of `bench dpsgd` (DpBench.Steps: same models, batch 64, same losses, the real DP driver) run one kind
 * alone or in timed pairs. Compiled against a jar by dp_step_pairs.sh and min_heap.sh.
 *
 * usage: DpStepPairs gan-d|swin-cpu pairs N      4 warm-up pairs, then N back-to-back pairs in alternating order:
 *                                                 medians of per-step wall / CPU and of the per-pair ratios
 *        DpStepPairs gan-d|swin-cpu dp N         N DP steps only (for a JFR profile, or the smallest heap)
 *        DpStepPairs gan-d|swin-cpu plain N      N plain steps only
 */
public class DpStepPairs {
    private static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    /** {wall ms, process CPU ms} of one step. */
    static double[] time(Runnable step) {
        long c0 = OS.getProcessCpuTime(), t0 = System.nanoTime();
        step.run();
        return new double[] {(System.nanoTime() - t0) / 1e6, (OS.getProcessCpuTime() - c0) / 1e6};
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    public static void main(String[] args) throws Exception {
        String key = args[0], mode = args[1];
        int n = Integer.parseInt(args[2]);
        try (DpBench.Steps steps = DpBench.Steps.open(key, 64)) {
            switch (mode) {
                case "dp" -> { for (int i = 0; i < n; i++) steps.dp.run(); }
                case "plain" -> { for (int i = 0; i < n; i++) steps.plain.run(); }
                case "pairs" -> pairs(n, steps.plain, steps.dp);
                default -> throw new IllegalArgumentException("mode must be pairs, dp or plain, not " + mode);
            }
        }
    }

    static void pairs(int n, Runnable plainStep, Runnable dpStep) {
        for (int i = 0; i < 4; i++) {
            plainStep.run();
            dpStep.run();
        }
        double[] pw = new double[n], pc = new double[n], dw = new double[n], dc = new double[n], rw = new double[n], rc = new double[n];
        for (int i = 0; i < n; i++) {
            double[] p, d;
            if (i % 2 == 0) {
                p = time(plainStep);
                d = time(dpStep);
            } else {
                d = time(dpStep);
                p = time(plainStep);
            }
            pw[i] = p[0]; pc[i] = p[1]; dw[i] = d[0]; dc[i] = d[1];
            rw[i] = d[0] / p[0];
            rc[i] = d[1] / Math.max(1e-9, p[1]);
        }
        System.out.printf(Locale.ROOT, "plain wall %.0f cpu %.0f | dp wall %.0f cpu %.0f | paired wall %.3f cpu %.3f | ratio of medians wall %.3f cpu %.3f%n",
                median(pw), median(pc), median(dw), median(dc), median(rw), median(rc), median(dw) / median(pw), median(dc) / median(pc));
    }
}
