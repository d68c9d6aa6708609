package org.dpmammo.train.gan;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.dpmammo.autograd.Ops;
import org.dpmammo.autograd.Variable;
import org.dpmammo.data.BatchSampler;
import org.dpmammo.data.DataLoader;
import org.dpmammo.data.Dataset;
import org.dpmammo.data.Phantom;
import org.dpmammo.data.PhantomDataset;
import org.dpmammo.data.Pipeline;
import org.dpmammo.models.gan.GanConfig;
import org.dpmammo.models.gan.Generator;
import org.dpmammo.nn.Linear;
import org.dpmammo.nn.SafeTensors;
import org.dpmammo.optim.Adam;
import org.dpmammo.optim.SGD;
import org.dpmammo.privacy.accounting.PrvAccountant;
import org.dpmammo.privacy.accounting.RdpAccountant;
import org.dpmammo.privacy.accounting.Segment;
import org.dpmammo.privacy.dpsgd.DpSgd;
import org.dpmammo.privacy.dpsgd.PrivacyPlanner;
import org.dpmammo.privacy.ledger.PrivacyLedger;
import org.dpmammo.privacy.noise.GaussianNoise;
import org.dpmammo.privacy.noise.RandomSource;
import org.dpmammo.privacy.noise.Randomness;
import org.dpmammo.tensor.Tensor;
import org.dpmammo.testing.PinnedRun;
import org.dpmammo.util.BadInputException;
import org.dpmammo.util.Rng;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** DP-MERF: the release's sensitivity, its accounting as one Gaussian mechanism, and a generator that learns. */
class MerfTest {
    private static final GanConfig TINY = new GanConfig(64, 4, 2, 2, 3, GanConfig.Norm.BATCH, GanConfig.Norm.NONE, GanConfig.RealRange.SIGNED,
            GanConfig.Upsampling.RESIZE);
    private static final PrintStream QUIET = new PrintStream(new ByteArrayOutputStream());

    private static Dataset phantom() {
        return new PhantomDataset(Phantom.Config.of(64), 24, 3);
    }

    private static Tensor images(Dataset data, int[] idx, int[] labelsOut) throws IOException {
        try (DataLoader l = new DataLoader(data, Pipeline.gan(64, false, true), BatchSampler.shuffled(1, false), 0, 1, false)) {
            DataLoader.Batch b = l.batch(idx, 0);
            System.arraycopy(b.labels(), 0, labelsOut, 0, idx.length);
            return b.images().reshape(idx.length, 64 * 64);
        }
    }

    /**
     * Every record's vector has norm 1 whatever the image (real, constant, extreme), and the noiseless release
     * through DP-SGD (σ = 0, q = 1, SGD step 1 from 0) equals the single-example loop Σᵢ v(xᵢ, yᵢ)/N: each record
     * moves the released sum by at most C = 1, the sensitivity σ is calibrated for.
     */
    @Test
    void eachRecordMovesTheReleaseByAtMostOne() throws IOException {
        RandomFourierFeatures rff = new RandomFourierFeatures(64 * 64, 64, 22, 5);
        Dataset data = phantom();
        int n = data.size(), width = 2 * (64 + 1);
        int[] all = new int[n], labels = new int[n];
        for (int i = 0; i < n; i++) all[i] = i;
        Tensor x = images(data, all, labels);
        float[] extreme = new float[3 * 64 * 64];
        for (int i = 0; i < extreme.length; i++) extreme[i] = i < 4096 ? 1 : i < 8192 ? -1 : (float) Math.sin(i) * 1e3f;
        for (Tensor t : new Tensor[] {x, Tensor.of(extreme, 3, 64 * 64)}) {
            int b = t.shapeRef()[0];
            int[] y = new int[b];
            for (int i = 0; i < b; i++) y[i] = t == x ? labels[i] : i % 2;
            float[] v = MerfTrainer.recordVectors(rff, t, y);
            for (int i = 0; i < b; i++) {
                double sq = 0;
                for (int j = 0; j < width; j++) sq += (double) v[i * width + j] * v[i * width + j];
                assertEquals(1.0, Math.sqrt(sq), 1e-5, "‖v‖ of record " + i);
                // The other class's block is empty: the label is released only through which block the record fills.
                int other = (1 - y[i]) * (64 + 1);
                for (int j = 0; j < 65; j++) assertEquals(0f, v[i * width + other + j]);
            }
        }

        Linear sum = new Linear(width, 1, false, new Rng(0));
        sum.weight.setValue(Tensor.zeros(1, width));
        DpSgd dp = new DpSgd(sum, new SGD(sum.trainableParameters(), 1.0), new DpSgd.Config(0, 1.0, 1.0, n, 5, DpSgd.Clipping.FLAT),
                new GaussianNoise(RandomSource.deterministic(1, "t")));
        dp.step(0, all, chunk -> {
            int[] y = new int[chunk.length];
            try {
                Tensor t = images(data, chunk, y);
                return Ops.neg(Ops.reshape(sum.forward(Variable.constant(Tensor.of(MerfTrainer.recordVectors(rff, t, y), chunk.length, width))), chunk.length));
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        double[] want = new double[width];
        for (int i = 0; i < n; i++) {
            int[] y = new int[1];
            float[] v = MerfTrainer.recordVectors(rff, images(data, new int[] {i}, y), y);
            for (int j = 0; j < width; j++) want[j] += v[j] / (double) n;
        }
        float[] got = sum.weight.value().toArray();
        for (int j = 0; j < width; j++) assertEquals(want[j], got[j], 1e-5, "released coordinate " + j);
        // The decoded counts are the class counts and the decoded means the classes' feature means.
        MerfTrainer.Embedding e = MerfTrainer.decode(got, 64, n);
        int[] counts = data.classCounts();
        for (int c = 0; c < 2; c++) assertEquals(counts[c], e.counts()[c], 1e-3);
    }

    /** Φ from erfc (Numerical Recipes' Chebyshev fit, fractional error below 1.2e-7). */
    private static double phi(double x) {
        double z = Math.abs(x) / Math.sqrt(2), t = 1 / (1 + 0.5 * z);
        double erfc = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807
                + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? 1 - erfc / 2 : erfc / 2;
    }

    /** The exact ε of one Gaussian release of sensitivity 1 at noise σ (Balle &amp; Wang 2018, Thm 8), by bisection. */
    private static double analyticEpsilon(double sigma, double delta) {
        double lo = 0, hi = 100;
        for (int i = 0; i < 200; i++) {
            double eps = (lo + hi) / 2;
            double d = phi(1 / (2 * sigma) - eps * sigma) - Math.exp(eps) * phi(-1 / (2 * sigma) - eps * sigma);
            if (d > delta) lo = eps;
            else hi = eps;
        }
        return (lo + hi) / 2;
    }

    /**
     * The release is planned and spent as one step at q = 1. For that σ, the PRV accountant's ε matches the analytic
     * Gaussian mechanism's exact ε (within its 0.01 discretisation error), RDP's is an upper bound on it, and the
     * target is met by the exact value.
     */
    @Test
    void oneGaussianReleaseIsAccountedAsTheAnalyticGaussianMechanism() {
        for (double target : new double[] {1, 10}) {
            PrivacyPlanner.Plan plan = PrivacyPlanner.plan(1104, 1104, 1, target, 1e-4, new RdpAccountant());
            assertEquals(1.0, plan.sampleRate());
            assertEquals(1, plan.steps());
            double sigma = plan.noiseMultiplier();
            double exact = analyticEpsilon(sigma, 1e-4);
            double rdp = new RdpAccountant().epsilon(List.of(new Segment(1, sigma, 1)), 1e-4).epsilon();
            double prv = new PrvAccountant().epsilon(List.of(new Segment(1, sigma, 1)), 1e-4).epsilon();
            assertTrue(rdp >= exact && rdp <= target + 1e-9, "RDP " + rdp + " vs exact " + exact);
            assertEquals(exact, prv, 0.02, "PRV at σ " + sigma);
            // The planner's σ is the smallest that meets the target: 1 % less noise would not.
            double tighter = new RdpAccountant().epsilon(List.of(new Segment(1, 0.99 * sigma, 1)), 1e-4).epsilon();
            assertTrue(tighter > target, "σ " + sigma + " is not the smallest: 0.99σ gives ε " + tighter);
        }
    }

    /**
     * ε = 500: with 24 records the noise of a small ε would outweigh the class means (σ/N per coordinate), and this
     * test is about the fit; the noise's scale is checked by the accounting test and the sensitivity test.
     */
    private static MerfTrainer.Options options(int steps, long seed) {
        return new MerfTrainer.Options(TINY, 256, 22, steps, 16, 0.01, seed, 5, new GanTrainer.Dp(500, 1e-3, 1.0, "rdp", Randomness.reproducible(3), 8));
    }

    /** MMD² between generated images of both classes and the data's own (noiseless) class means. */
    private static double mmdToData(Generator g, RandomFourierFeatures rff, Dataset data) throws IOException {
        int n = data.size();
        int[] all = new int[n], labels = new int[n];
        for (int i = 0; i < n; i++) all[i] = i;
        MerfTrainer.Embedding truth = MerfTrainer.decode(meanVector(rff, images(data, all, labels), labels, n), rff.features, n);
        double total = 0;
        for (int c = 0; c < 2; c++) {
            int m = 64;
            int[] y = new int[m];
            java.util.Arrays.fill(y, c);
            float[] z = new float[m * g.config.latentSize()];
            Rng rng = new Rng(99);
            for (int i = 0; i < z.length; i++) z[i] = (float) rng.nextGaussian();
            g.eval();
            Tensor x;
            try (var s = org.dpmammo.autograd.Grad.noGrad()) {
                x = g.forward(Variable.constant(Tensor.of(z, m, g.config.latentSize(), 1, 1)), y).value().reshape(m, 64 * 64);
            }
            float[] f = rff.features(x);
            for (int j = 0; j < rff.features; j++) {
                double mean = 0;
                for (int i = 0; i < m; i++) mean += f[i * rff.features + j] / m;
                total += (mean - truth.means()[c][j]) * (mean - truth.means()[c][j]);
            }
        }
        return total;
    }

    private static float[] meanVector(RandomFourierFeatures rff, Tensor x, int[] labels, int n) {
        int width = 2 * (rff.features + 1);
        float[] v = MerfTrainer.recordVectors(rff, x, labels), w = new float[width];
        for (int i = 0; i < labels.length; i++) for (int j = 0; j < width; j++) w[j] += v[i * width + j] / n;
        return w;
    }

    /**
     * On a toy set (phantom patches), fitting the generator to the release reduces the MMD between its samples and the
     * data's true class embeddings severalfold; the ledger holds exactly one step at q = 1; a resume reuses the
     * release (no second step) and continues bit for bit; a GAN checkpoint and a DP-MERF one refuse each other.
     */
    @Test
    void theGeneratorLearnsTheEmbeddingAndTheRunIsResumableAndTyped(@TempDir Path tmp) throws IOException {
        Dataset data = phantom();
        MerfTrainer.Options o = options(60, 4);
        RandomFourierFeatures rff = o.featureMap();
        double before = mmdToData(new Generator(TINY, new Rng(o.seed()).fork(0x494E4954L)), rff, data);
        PinnedRun.pin(tmp.resolve("a"), 5);
        Generator trained = MerfTrainer.run(o, data, tmp.resolve("a"), false, QUIET);
        double after = mmdToData(trained, rff, data);
        assertTrue(after < 0.5 * before, "MMD² to the data before " + before + ", after " + after);

        PrivacyLedger ledger = PrivacyLedger.open(tmp.resolve("a").resolve("ledger.json"));
        PrivacyLedger.Phase phase = ledger.spends().get(0).phase();
        assertEquals(1, ledger.stepsRecorded(phase.id()));
        assertEquals(1.0, phase.sampleRate());
        assertEquals(PrivacyPlanner.plan(data.size(), data.size(), 1, 500, 1e-3, new RdpAccountant()).noiseMultiplier(), phase.noiseMultiplier());

        // Interrupted at step 30 (the run stops there), then resumed to 60: the same generator, still one ledger step.
        PinnedRun.pin(tmp.resolve("b"), 5);
        MerfTrainer.run(options(30, 4), data, tmp.resolve("b"), false, QUIET);
        assertThrows(IllegalStateException.class, () -> MerfTrainer.run(o, data, tmp.resolve("b"), false, QUIET));
        Generator resumed = MerfTrainer.run(o, data, tmp.resolve("b"), true, QUIET);
        Map<String, Tensor> sa = trained.stateDict(), sb = resumed.stateDict();
        for (String k : sa.keySet()) assertArrayEquals(sa.get(k).toArray(), sb.get(k).toArray(), k);
        PrivacyLedger lb = PrivacyLedger.open(tmp.resolve("b").resolve("ledger.json"));
        assertEquals(1, lb.stepsRecorded(lb.spends().get(0).phase().id()));
        // A resume with other feature settings would fit another embedding than the one released: refused.
        MerfTrainer.Options wider = new MerfTrainer.Options(TINY, 512, 22, 60, 16, 0.01, 4, 5, o.dp());
        IllegalStateException changed = assertThrows(IllegalStateException.class, () -> MerfTrainer.run(wider, data, tmp.resolve("b"), true, QUIET));
        assertTrue(changed.getMessage().contains("features"), changed.getMessage());

        // gan sample reads the DP-MERF checkpoint; a GAN run refuses to continue it, and DP-MERF refuses a GAN state.
        Path merfCk = MerfTrainer.lastCheckpoint(tmp.resolve("a").resolve("checkpoints"));
        Generator sampled = GanState.loadGenerator(merfCk);
        assertArrayEquals(trained.stateDict().get("main.0.weight").toArray(), sampled.stateDict().get("main.0.weight").toArray());
        GanState gan = new GanState(TINY, 1, 1e-4, 0.5, 0.999);
        BadInputException e = assertThrows(BadInputException.class, () -> gan.load(merfCk));
        assertTrue(e.getMessage().contains("merf checkpoint, not a GAN training state") && !e.getMessage().contains("\n"), e.getMessage());
        Path ganCk = tmp.resolve("gan.safetensors");
        gan.save(ganCk, Map.of());
        e = assertThrows(BadInputException.class, () -> MerfTrainer.requireKind(SafeTensors.read(ganCk).metadata(), ganCk));
        assertTrue(e.getMessage().contains("gan checkpoint, not a DP-MERF generator"), e.getMessage());
    }

    /** The feature map's backward is the gradient of Σᵢ rᵢ·φ(xᵢ): checked against central differences. */
    @Test
    void theFeatureGradientMatchesFiniteDifferences() {
        RandomFourierFeatures rff = new RandomFourierFeatures(12, 8, 1.5, 2);
        Rng rng = new Rng(4);
        float[] x = new float[2 * 12], r = new float[2 * 8];
        for (int i = 0; i < x.length; i++) x[i] = (float) rng.nextGaussian();
        for (int i = 0; i < r.length; i++) r[i] = (float) rng.nextGaussian();
        float[] g = rff.backward(Tensor.of(x, 2, 12), r).toArray();
        for (int k = 0; k < x.length; k++) {
            double h = 1e-2;
            double[] at = new double[2];
            for (int s = 0; s < 2; s++) {
                float[] xs = x.clone();
                xs[k] += (float) (s == 0 ? h : -h);
                float[] f = rff.features(Tensor.of(xs, 2, 12));
                for (int j = 0; j < f.length; j++) at[s] += (double) r[j] * f[j];
            }
            assertEquals((at[0] - at[1]) / (2 * h), g[k], 2e-3 * (1 + Math.abs(g[k])), "∂/∂x[" + k + "]");
        }
    }
}
