package org.dpmammo.cli.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Options;
import org.dpmammo.autograd.NnOps;
import org.dpmammo.autograd.Ops;
import org.dpmammo.autograd.Variable;
import org.dpmammo.backend.Backends;
import org.dpmammo.util.Parallel;
import org.dpmammo.cli.CliSupport;
import org.dpmammo.cli.UsageException;
import org.dpmammo.nn.Conv2d;
import org.dpmammo.nn.Flatten;
import org.dpmammo.nn.InstanceNorm2d;
import org.dpmammo.nn.LeakyReLU;
import org.dpmammo.nn.Linear;
import org.dpmammo.nn.Module;
import org.dpmammo.nn.Sequential;
import org.dpmammo.optim.Adam;
import org.dpmammo.models.swin.SwinConfig;
import org.dpmammo.models.swin.SwinTransformer;
import org.dpmammo.privacy.dpsgd.DpSgd;
import org.dpmammo.privacy.dpsgd.PrivateTraining;
import org.dpmammo.privacy.noise.Randomness;
import org.dpmammo.tensor.Tensor;
import org.dpmammo.util.Rng;

/**
 * {@code dpmammo bench dpsgd}: the cost of privacy. For each model, one non-private training step (forward, mean
 * loss, backward, Adam) against one DP-SGD step on the same batch (per-example norms, clipping, clipped sums,
 * noise, Adam), as the median of several timed steps after warm-up, and the peak heap each needs; plus the same
 * with all but the head frozen. Models: the study's discriminator pattern at 64×64, and the reduced Swin
 * ({@link SwinConfig#cpu}, 64×64) with a one-logit head, for full-model DP on the classifier's architecture.
 */
public final class DpBench implements Benchmark.OnDevice {
    @Override
    public String name() {
        return "dpsgd";
    }

    @Override
    public String summary() {
        return "DP-SGD step vs non-private step (time and peak memory), all trainable and head-only";
    }


    @Override
    public Options options() {
        return Benchmark.options(
                CliSupport.valued("batch", "B", "examples per step (default 64)"),
                CliSupport.valued("reps", "R", "timed steps per measurement (default 5)"),
                CliSupport.valued("only", "MODELS", "comma-separated models: " + String.join(", ", CASE_KEYS) + " (default: all)"),
                CliSupport.flag("all-trainable-only", "skip the head-only rows"));
    }

    /**
     * A model, its input shape per example, a factory so both variants start from the same weights, and how to
     * freeze all but its head.
     */
    private record Case(String key, String name, int[] inputShape, Supplier<Module> model, Consumer<Module> freezeAllButHead) {}

    private static final List<String> CASE_KEYS = List.of("gan-d", "swin-cpu");

    private static List<Case> cases() {
        return List.of(
                new Case("gan-d", "gan-discriminator-64 (ndf 32)", new int[] {2, 64, 64}, DpBench::discriminator64,
                        m -> freezeAllButLast((Sequential) m)),
                new Case("swin-cpu", "swin-cpu-64 (reduced Swin, 1 logit)", new int[] {3, 64, 64},
                        () -> new SwinTransformer(SwinConfig.cpu(), SwinTransformer.Head.LINEAR, 1, new Rng(1)),
                        m -> {
                            m.setFrozen(true);
                            ((SwinTransformer) m).head.setFrozen(false);
                        }));
    }

    /** The study's discriminator pattern (k6 s2 p2 convs, InstanceNorm, LeakyReLU 0.1) at 64×64 with ndf = 32. */
    static Sequential discriminator64() {
        Rng rng = new Rng(1);
        return new Sequential(
                new Conv2d(2, 32, 6, 2, 2, false, rng), new LeakyReLU(0.1f),
                new Conv2d(32, 64, 6, 2, 2, false, rng), new InstanceNorm2d(64, 1e-5f, true), new LeakyReLU(0.1f),
                new Conv2d(64, 128, 6, 2, 2, false, rng), new InstanceNorm2d(128, 1e-5f, true), new LeakyReLU(0.1f),
                new Conv2d(128, 256, 6, 2, 2, false, rng), new InstanceNorm2d(256, 1e-5f, true), new LeakyReLU(0.1f),
                new Flatten(), new Linear(256 * 4 * 4, 1, rng));
    }

    /** Per-example losses of a batch: BCE of the sigmoid score against alternating targets. */
    private static Function<int[], Variable> losses(Module m, Tensor x) {
        return idx -> {
            int per = x.numel() / x.size(0);
            int[] shape = x.shape();
            shape[0] = idx.length;
            Tensor xb = Tensor.zeros(shape);
            float[] t = new float[idx.length];
            for (int i = 0; i < idx.length; i++) {
                System.arraycopy(x.data(), idx[i] * per, xb.data(), i * per, per);
                t[i] = idx[i] % 2;
            }
            Variable p = Ops.sigmoid(Ops.reshape(m.forward(Variable.constant(xb)), idx.length));
            return NnOps.binaryCrossEntropy(p, Tensor.of(t, idx.length));
        };
    }

    private static void freezeAllButLast(Sequential m) {
        m.setFrozen(true);
        m.get(m.size() - 1).setFrozen(false);
    }

    private record Timing(double medianMs, long peakBytes) {}

    private static Timing measure(int reps, Runnable step) {
        for (int i = 0; i < 2; i++) step.run();
        double[] ms = new double[reps];
        System.gc();
        List<MemoryPoolMXBean> heap = ManagementFactory.getMemoryPoolMXBeans().stream().filter(p -> p.getType() == MemoryType.HEAP).toList();
        long base = 0;
        for (MemoryPoolMXBean p : heap) {
            p.resetPeakUsage();
            base += p.getUsage().getUsed();
        }
        for (int i = 0; i < reps; i++) {
            long t0 = System.nanoTime();
            step.run();
            Backends.current().synchronize();
            ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        long peak = 0;
        for (MemoryPoolMXBean p : heap) peak += p.getPeakUsage().getUsed();
        Arrays.sort(ms);
        return new Timing(ms[reps / 2], Math.max(0, peak - base));
    }

    /**
     * The medians over {@code reps} back-to-back pairs of DP step / plain step, which goes first alternating: {wall-time
     * ratio, process-CPU-time ratio}. On a shared machine the two medians of {@link #measure}, taken a minute apart,
     * see different neighbours; a pair of adjacent steps sees nearly the same ones, and CPU time is what the neighbours
     * move least (it still counts the JIT and collector threads of this process).
     */
    private static double[] pairedRatios(int reps, Runnable plainStep, Runnable dpStep) {
        double[] wall = new double[reps], cpu = new double[reps];
        for (int i = 0; i < reps; i++) {
            boolean plainFirst = i % 2 == 0;
            double[] first = time(plainFirst ? plainStep : dpStep), second = time(plainFirst ? dpStep : plainStep);
            double[] plain = plainFirst ? first : second, dp = plainFirst ? second : first;
            wall[i] = dp[0] / plain[0];
            cpu[i] = dp[1] / Math.max(1e-9, plain[1]);
        }
        Arrays.sort(wall);
        Arrays.sort(cpu);
        return new double[] {wall[reps / 2], cpu[reps / 2]};
    }

    private static final com.sun.management.OperatingSystemMXBean OS = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    /** {wall ms, process CPU ms} of one step. */
    private static double[] time(Runnable step) {
        long c0 = OS.getProcessCpuTime(), t0 = System.nanoTime();
        step.run();
        Backends.current().synchronize();
        return new double[] {(System.nanoTime() - t0) / 1e6, (OS.getProcessCpuTime() - c0) / 1e6};
    }

    @Override
    public void run(CommandLine cl, PrintStream out, boolean json) throws Exception {
        int batch = CliSupport.intOpt(cl, "batch", 64);
        int reps = CliSupport.intOpt(cl, "reps", 5);
        List<String> only = cl.hasOption("only") ? List.of(cl.getOptionValue("only").split(",")) : CASE_KEYS;
        for (String k : only) if (!CASE_KEYS.contains(k)) throw new UsageException("--only: unknown model '" + k + "' (known: " + CASE_KEYS + ")");
        List<Case> cases = cases().stream().filter(c -> only.contains(c.key())).toList();
        boolean[] variants = cl.hasOption("all-trainable-only") ? new boolean[] {false} : new boolean[] {false, true};
        ObjectMapper mapper = new ObjectMapper();
        ArrayNode rows = mapper.createArrayNode();
        List<String> lines = new ArrayList<>();
        for (Case c : cases) {
            for (boolean headOnly : variants) {
                Timing p, d;
                double[] paired;
                try (Steps steps = Steps.open(c, batch, headOnly)) {
                    p = measure(reps, steps.plain);
                    d = measure(reps, steps.dp);
                    paired = pairedRatios(reps, steps.plain, steps.dp);
                }
                String name = c.name() + (headOnly ? ", head only" : ", all trainable");
                lines.add(String.format(Locale.ROOT, "%-48s %10.1f %10.1f %7.2fx %7.2fx %7.2fx %10.1f %10.1f %7.2fx", name, p.medianMs(), d.medianMs(),
                        d.medianMs() / p.medianMs(), paired[0], paired[1], p.peakBytes() / 1e6, d.peakBytes() / 1e6,
                        (double) d.peakBytes() / Math.max(1, p.peakBytes())));
                ObjectNode r = rows.addObject();
                r.put("model", c.name());
                r.put("trainable", headOnly ? "head" : "all");
                r.put("batch", batch);
                r.put("nonPrivateMs", p.medianMs());
                r.put("dpMs", d.medianMs());
                r.put("timeRatio", d.medianMs() / p.medianMs());
                r.put("pairedTimeRatio", paired[0]);
                r.put("pairedCpuTimeRatio", paired[1]);
                r.put("nonPrivatePeakBytes", p.peakBytes());
                r.put("dpPeakBytes", d.peakBytes());
            }
        }
        if (json) {
            ObjectNode root = mapper.createObjectNode();
            root.put("threads", Parallel.threads());
            root.put("device", Backends.current().describe());
            root.set("results", rows);
            out.println(mapper.writerWithDefaultPrettyPrinter().writeValueAsString(root));
            return;
        }
        out.printf("DP-SGD overhead, batch %d, %d threads, on %s (median of %d steps; peak heap above the idle baseline)%n", batch, Parallel.threads(),
                Backends.current().describe(), reps);
        out.printf("(paired: median over %d back-to-back pairs of one plain and one DP step, order alternating, of DP time / plain time;"
                + " paired CPU: the same with process CPU time)%n", reps);
        out.printf("%-48s %10s %10s %8s %8s %8s %10s %10s %8s%n", "model", "plain ms", "DP ms", "time", "paired", "p. CPU", "plain MB", "DP MB", "memory");
        lines.forEach(out::println);
    }

    /**
     * The two steps the bench compares for one model, on one fixed batch of its inputs: a non-private step (mean loss,
     * backward, Adam) and the real DP step through {@link PrivateTraining}, write-ahead ledger included, into a
     * throwaway ledger folder that {@link #close} removes. Public so that tools/dp-step can run one kind alone (a
     * profile, the smallest heap a step fits in).
     */
    public static final class Steps implements AutoCloseable {
        public final Runnable plain, dp;
        private final PrivateTraining training;
        private final Path ledgerDir;

        private Steps(Runnable plain, Runnable dp, PrivateTraining training, Path ledgerDir) {
            this.plain = plain;
            this.dp = dp;
            this.training = training;
            this.ledgerDir = ledgerDir;
        }

        /** The steps of model {@code key} (one of gan-d, swin-cpu) at this batch, every parameter trainable. */
        public static Steps open(String key, int batch) throws java.io.IOException {
            Case c = cases().stream().filter(k -> k.key().equals(key)).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("unknown model '" + key + "' (known: " + CASE_KEYS + ")"));
            return open(c, batch, false);
        }

        static Steps open(Case c, int batch, boolean headOnly) throws java.io.IOException {
            int[] shape = new int[c.inputShape().length + 1];
            shape[0] = batch;
            System.arraycopy(c.inputShape(), 0, shape, 1, c.inputShape().length);
            Tensor x = Tensor.zeros(shape);
            Rng rng = new Rng(7);
            for (int i = 0; i < x.numel(); i++) x.data()[i] = (float) rng.uniform(-1, 1);
            int[] all = new int[batch];
            for (int i = 0; i < batch; i++) all[i] = i;

            Module plain = c.model().get();
            if (headOnly) c.freezeAllButHead().accept(plain);
            Adam adam = new Adam(plain.trainableParameters(), 1e-4, 0.5, 0.999, 1e-8, 0);
            Runnable plainStep = () -> {
                Ops.mean(losses(plain, x).apply(all), false).backward();
                adam.step();
                adam.zeroGrad();
            };

            Module priv = c.model().get();
            if (headOnly) c.freezeAllButHead().accept(priv);
            Path tmp = Files.createTempDirectory("dpmammo-bench-dp");
            PrivateTraining dp;
            try {
                dp = PrivateTraining.open(new PrivateTraining.Spec(null, "bench", 1e-5, 1.0, "rdp", Randomness.secure(), batch,
                                DpSgd.Clipping.FLAT, Double.POSITIVE_INFINITY), new PrivateTraining.Schedule(0.1, Long.MAX_VALUE / 4, 1.0),
                        new PrivateTraining.Records("bench", 10 * batch, null), priv, new Adam(priv.trainableParameters(), 1e-4, 0.5, 0.999, 1e-8, 0),
                        tmp.resolve("ledger.json"), tmp, null, Double.POSITIVE_INFINITY, System.err);
            } catch (java.io.IOException | RuntimeException e) {
                deleteTree(tmp);
                throw e;
            }
            long[] step = {0};
            Runnable dpStep = () -> {
                try {
                    // The benchmark's batch is fixed (all examples), not Poisson: it measures the step's cost.
                    dp.dpSgd().step(step[0]++, all, losses(priv, x));
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            };
            return new Steps(plainStep, dpStep, dp, tmp);
        }

        @Override
        public void close() throws java.io.IOException {
            try {
                training.close();
            } finally {
                deleteTree(ledgerDir);
            }
        }
    }

    private static void deleteTree(Path dir) throws java.io.IOException {
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }
}
