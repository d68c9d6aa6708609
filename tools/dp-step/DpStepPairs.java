import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Locale;
import java.util.function.Function;
import org.dpmammo.autograd.NnOps;
import org.dpmammo.autograd.Ops;
import org.dpmammo.autograd.Variable;
import org.dpmammo.models.swin.SwinConfig;
import org.dpmammo.models.swin.SwinTransformer;
import org.dpmammo.nn.Conv2d;
import org.dpmammo.nn.Flatten;
import org.dpmammo.nn.InstanceNorm2d;
import org.dpmammo.nn.LeakyReLU;
import org.dpmammo.nn.Linear;
import org.dpmammo.nn.Module;
import org.dpmammo.nn.Sequential;
import org.dpmammo.optim.Adam;
import org.dpmammo.privacy.dpsgd.DpSgd;
import org.dpmammo.privacy.dpsgd.PrivateTraining;
import org.dpmammo.privacy.noise.Randomness;
import org.dpmammo.tensor.Tensor;
import org.dpmammo.util.Rng;

/**
 * The DP step against the plain step of `bench dpsgd` (same models, batch 64, same losses, the real DP driver), in
 * process CPU time as well as wall time, so that jars older than the bench's "p. CPU" column can be compared on a
 * shared machine. Compiled against a jar by dp_step_pairs.sh.
 *
 * usage: DpStepPairs gan-d|swin-cpu pairs N      4 warm-up pairs, then N back-to-back pairs in alternating order:
 *                                                 medians of per-step wall / CPU and of the per-pair ratios
 *        DpStepPairs gan-d|swin-cpu dp N         N DP steps only (for a JFR profile)
 *        DpStepPairs gan-d|swin-cpu plain N      N plain steps only
 */
public class DpStepPairs {
    private static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    /** DpBench's discriminator: k6 s2 p2 convolutions 2→32→64→128→256, InstanceNorm, LeakyReLU 0.1, 64×64 input. */
    static Module discriminator() {
        Rng rng = new Rng(1);
        return new Sequential(
                new Conv2d(2, 32, 6, 2, 2, false, rng), new LeakyReLU(0.1f),
                new Conv2d(32, 64, 6, 2, 2, false, rng), new InstanceNorm2d(64, 1e-5f, true), new LeakyReLU(0.1f),
                new Conv2d(64, 128, 6, 2, 2, false, rng), new InstanceNorm2d(128, 1e-5f, true), new LeakyReLU(0.1f),
                new Conv2d(128, 256, 6, 2, 2, false, rng), new InstanceNorm2d(256, 1e-5f, true), new LeakyReLU(0.1f),
                new Flatten(), new Linear(256 * 4 * 4, 1, rng));
    }

    static Module model(String key) {
        return key.equals("swin-cpu") ? new SwinTransformer(SwinConfig.cpu(), SwinTransformer.Head.LINEAR, 1, new Rng(1)) : discriminator();
    }

    /** DpBench's per-example losses: BCE of the sigmoid score against alternating targets. */
    static Function<int[], Variable> losses(Module m, Tensor x) {
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
        int n = Integer.parseInt(args[2]), batch = 64;
        boolean swin = key.equals("swin-cpu");
        Tensor x = swin ? Tensor.zeros(batch, 3, 64, 64) : Tensor.zeros(batch, 2, 64, 64);
        Rng rng = new Rng(7);
        for (int i = 0; i < x.numel(); i++) x.data()[i] = (float) rng.uniform(-1, 1);
        int[] all = new int[batch];
        for (int i = 0; i < batch; i++) all[i] = i;
        Module plain = model(key);
        Adam adam = new Adam(plain.trainableParameters(), 1e-4, 0.5, 0.999, 1e-8, 0);
        Runnable plainStep = () -> {
            Ops.mean(losses(plain, x).apply(all), false).backward();
            adam.step();
            adam.zeroGrad();
        };
        Module priv = model(key);
        Path tmp = Files.createTempDirectory("dp-step-pairs");
        try (PrivateTraining dp = PrivateTraining.open(new PrivateTraining.Spec(null, "bench", 1e-5, 1.0, "rdp", Randomness.secure(), batch,
                        DpSgd.Clipping.FLAT, Double.POSITIVE_INFINITY), new PrivateTraining.Schedule(0.1, Long.MAX_VALUE / 4, 1.0),
                new PrivateTraining.Records("bench", 10 * batch, null), priv, new Adam(priv.trainableParameters(), 1e-4, 0.5, 0.999, 1e-8, 0),
                tmp.resolve("ledger.json"), tmp, null, Double.POSITIVE_INFINITY, System.err)) {
            long[] step = {0};
            Runnable dpStep = () -> {
                try {
                    dp.dpSgd().step(step[0]++, all, losses(priv, x));
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            };
            switch (mode) {
                case "dp" -> { for (int i = 0; i < n; i++) dpStep.run(); }
                case "plain" -> { for (int i = 0; i < n; i++) plainStep.run(); }
                case "pairs" -> pairs(n, plainStep, dpStep);
                default -> throw new IllegalArgumentException("mode must be pairs, dp or plain, not " + mode);
            }
        } finally {
            try (var walk = Files.walk(tmp)) {
                for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
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
