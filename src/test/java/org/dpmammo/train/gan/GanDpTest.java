package org.dpmammo.train.gan;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.dpmammo.autograd.Variable;
import org.dpmammo.data.DataLoader;
import org.dpmammo.data.Dataset;
import org.dpmammo.data.Phantom;
import org.dpmammo.data.PhantomDataset;
import org.dpmammo.models.gan.GanConfig;
import org.dpmammo.nn.Parameter;
import org.dpmammo.optim.SGD;
import org.dpmammo.privacy.accounting.RdpAccountant;
import org.dpmammo.privacy.accounting.Segment;
import org.dpmammo.privacy.dpsgd.DpSgd;
import org.dpmammo.privacy.dpsgd.PrivacyPlanner;
import org.dpmammo.privacy.ledger.PrivacyLedger;
import org.dpmammo.privacy.noise.GaussianNoise;
import org.dpmammo.privacy.noise.RandomSource;
import org.dpmammo.tensor.Tensor;
import org.dpmammo.util.Rng;
import org.dpmammo.privacy.noise.Randomness;
import org.dpmammo.testing.PinnedRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The DP discriminator step against a single-example reference, and the DP run's ledger, plan and resume rules.
 */
class GanDpTest {
    private static final GanConfig TINY = new GanConfig(64, 4, 2, 2, 3, GanConfig.Norm.INSTANCE, GanConfig.RealRange.SIGNED);
    private static final PrintStream QUIET = new PrintStream(new ByteArrayOutputStream());

    private static Tensor gaussian(Rng rng, float scale, int... shape) {
        int n = 1;
        for (int d : shape) n *= d;
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) rng.nextGaussian() * scale;
        return Tensor.of(v, shape);
    }

    private static Tensor rows(Tensor images, int[] idx) {
        int per = images.numel() / images.shape()[0];
        float[] all = images.toArray(), out = new float[idx.length * per];
        for (int i = 0; i < idx.length; i++) System.arraycopy(all, idx[i] * per, out, i * per, per);
        return Tensor.of(out, idx.length, 1, 64, 64);
    }

    private static Map<String, float[]> discriminatorValues(GanState s) {
        Map<String, float[]> m = new LinkedHashMap<>();
        s.discriminator.namedParameters().forEach((k, p) -> m.put(k, p.value().toArray().clone()));
        return m;
    }

    /**
     * With σ = 0 and plain SGD (lr 1), D's update is minus its gradient: it must equal Σᵢ clip(gᵢ) / (q·N) over the
     * real examples, each gᵢ from its own forward and backward, plus the gradient of the mean fake loss scaled to
     * norm at most C. Run once with C large (nothing clipped) and once with C small (every example and the fake
     * gradient clipped).
     */
    @Test
    void privateDiscriminatorStepMatchesAPerExampleReference() throws IOException {
        // D with InstanceNorm (the study's) and with no norm (dpmammo's option): both keep examples apart.
        for (GanConfig cfg : new GanConfig[] {TINY, new GanConfig(64, 4, 2, 2, 3, GanConfig.Norm.INSTANCE, GanConfig.Norm.NONE, GanConfig.RealRange.SIGNED)})
        for (double c : new double[] {1e6, 1e-3}) {
            Rng data = new Rng(3);
            Tensor real = gaussian(data, 0.5f, 5, 1, 64, 64);
            int[] labels = {1, 0, 0, 1, 1};
            int[] batch = {0, 2, 3};
            int n = 5, fakeBatch = 4;
            double q = 0.5;

            GanState s = new GanState(cfg, 9, 1e-4, 0.5, 0.999);
            Map<String, float[]> before = discriminatorValues(s);
            DpSgd dp = new DpSgd(s.discriminator, new SGD(s.discriminator.trainableParameters(), 1.0),
                    new DpSgd.Config(0, c, q, n, 2, DpSgd.Clipping.FLAT), new GaussianNoise(RandomSource.deterministic(1, "t")));
            GanStep.runDp(s, dp, 0, batch, idx -> {
                int[] y = new int[idx.length];
                for (int i = 0; i < idx.length; i++) y[i] = labels[idx[i]];
                return new DataLoader.Batch(rows(real, idx), y, idx);
            }, fakeBatch, new Rng(77));

            // The reference: the same draws in the same order (z, fake labels, one smoothing target per real example).
            GanState r = new GanState(cfg, 9, 1e-4, 0.5, 0.999);
            Rng rng = new Rng(77);
            float[] z = new float[fakeBatch * cfg.latentSize()];
            for (int i = 0; i < z.length; i++) z[i] = (float) rng.nextGaussian();
            int[] fakeLabels = new int[fakeBatch];
            for (int i = 0; i < fakeBatch; i++) fakeLabels[i] = rng.nextInt(2);
            float[] smooth = new float[batch.length];
            for (int i = 0; i < smooth.length; i++) smooth[i] = (float) rng.uniform(GanStep.SMOOTH_LO, GanStep.SMOOTH_HI);
            Tensor fake = r.generator.forward(Variable.constant(Tensor.of(z, fakeBatch, cfg.latentSize(), 1, 1)), fakeLabels).value();

            Map<String, Parameter> params = r.discriminator.namedParameters();
            Map<String, double[]> expected = new LinkedHashMap<>();
            params.forEach((k, p) -> expected.put(k, new double[p.value().numel()]));
            for (int i = 0; i < batch.length; i++) {
                r.discriminator.zeroGrad();
                Variable p = r.discriminator.forward(Variable.constant(rows(real, new int[] {batch[i]})), new int[] {labels[batch[i]]});
                GanStep.bce(p, Tensor.of(new float[] {smooth[i]}, 1)).backward();
                double sq = 0;
                for (Parameter w : params.values()) for (float g : w.grad().toArray()) sq += (double) g * g;
                double factor = Math.min(1.0, c / (Math.sqrt(sq) + 1e-6));
                if (c < 1) assertTrue(factor < 1, "the small C must clip example " + i);
                for (Map.Entry<String, Parameter> e : params.entrySet()) {
                    float[] g = e.getValue().grad().toArray();
                    double[] acc = expected.get(e.getKey());
                    for (int t = 0; t < g.length; t++) acc[t] += factor * g[t] / (q * n);
                }
            }
            r.discriminator.zeroGrad();
            GanStep.bce(r.discriminator.forward(Variable.constant(fake), fakeLabels), Tensor.zeros(fakeBatch)).backward();
            double fakeSq = 0;
            for (Parameter w : params.values()) for (float g : w.grad().toArray()) fakeSq += (double) g * g;
            double fakeFactor = Math.min(1.0, c / (Math.sqrt(fakeSq) + 1e-6));
            if (c < 1) assertTrue(fakeFactor < 1, "the small C must scale the fake gradient down");
            for (Map.Entry<String, Parameter> e : params.entrySet()) {
                float[] g = e.getValue().grad().toArray();
                double[] acc = expected.get(e.getKey());
                for (int t = 0; t < g.length; t++) acc[t] += fakeFactor * g[t];
            }

            Map<String, float[]> after = discriminatorValues(s);
            for (String k : expected.keySet()) {
                double[] want = expected.get(k);
                float[] b = before.get(k), a = after.get(k);
                double scale = 0;
                for (double w : want) scale = Math.max(scale, Math.abs(w));
                for (int t = 0; t < want.length; t++) {
                    double got = b[t] - a[t];
                    assertEquals(want[t], got, 2e-4 * scale + 1e-7, cfg.normDescription() + ", C " + c + ", D." + k + "[" + t + "]");
                }
            }
        }
    }

    private static Dataset phantom() {
        return new PhantomDataset(Phantom.Config.of(64), 24, 3);
    }

    private static GanTrainer.Options options(int epochs, double epsilon) {
        return new GanTrainer.Options(TINY, epochs, 8, 1e-3, 0.5, 0.999, 11, true, 1, 0.0, 1,
                new GanTrainer.Dp(epsilon, 1e-3, 1.0, "rdp", Randomness.reproducible(11), 4));
    }

    @Test
    void aDpRunSpendsWhatItPlannedWritesItAheadAndResumesIdentically(@TempDir Path tmp) throws IOException {
        Dataset data = phantom();
        // Runs a and d replay one reproducible run id, so their randomness is the same and their models comparable.
        PinnedRun.pin(tmp.resolve("a"), 7);
        PinnedRun.pin(tmp.resolve("d"), 7);
        GanState a = GanTrainer.run(options(2, 8), data, tmp.resolve("a"), false, QUIET);
        GanTrainer.run(new GanTrainer.Options(TINY, 1, 8, 1e-3, 0.5, 0.999, 11, true, 1, 0.0, 1, options(2, 8).dp()), data, tmp.resolve("c"), false, QUIET);
        // The one-epoch run planned σ for one epoch: continuing it for two epochs is another plan and is refused.
        IllegalStateException other = assertThrows(IllegalStateException.class, () -> GanTrainer.run(options(2, 8), data, tmp.resolve("c"), true, QUIET));
        assertTrue(other.getMessage().contains("other parameters"), other.getMessage());

        // A crash after epoch 2's steps were written ahead but before its checkpoint: the resume repeats them from
        // the epoch-1 checkpoint, bit for bit (deterministic randomness), and the ledger does not count them twice.
        Path d = tmp.resolve("d");
        GanTrainer.Options two = options(2, 8);
        GanTrainer.run(two, data, d, false, QUIET);
        Files.delete(d.resolve("checkpoints").resolve("epoch_0002.safetensors"));
        GanState resumed = GanTrainer.run(two, data, d, true, QUIET);
        assertEquals(2, resumed.epoch());
        for (String k : a.discriminator.stateDict().keySet()) {
            assertArrayEquals(a.discriminator.stateDict().get(k).toArray(), resumed.discriminator.stateDict().get(k).toArray(), "discriminator." + k);
        }
        for (String k : a.generator.stateDict().keySet()) {
            assertArrayEquals(a.generator.stateDict().get(k).toArray(), resumed.generator.stateDict().get(k).toArray(), "generator." + k);
        }

        // The ledger holds the phase under the data's fingerprint and every planned step; ε read back from it is the
        // accountant's ε for (q, σ, steps), within the target.
        PrivacyPlanner.Plan plan = PrivacyPlanner.plan(data.size(), 8, 2, 8, 1e-3, new RdpAccountant());
        PrivacyLedger ledger = PrivacyLedger.open(d.resolve("ledger.json"));
        PrivacyLedger.Phase phase = ledger.spends().get(0).phase();
        assertEquals(plan.steps(), ledger.stepsRecorded(phase.id()));
        assertEquals(plan.noiseMultiplier(), phase.noiseMultiplier());
        double eps = new RdpAccountant().epsilon(List.of(new Segment(plan.sampleRate(), plan.noiseMultiplier(), plan.steps())), 1e-3).epsilon();
        assertTrue(eps <= 8, "ε " + eps);
        String metrics = Files.readString(d.resolve("metrics.json"));
        assertTrue(metrics.contains("\"epsilon\" : " + eps), metrics);
        List<String> epsColumn = new ArrayList<>();
        for (String line : Files.readAllLines(d.resolve("losses.csv"))) {
            if (!line.startsWith("#")) epsColumn.add(line.substring(line.lastIndexOf(',') + 1));
        }
        assertEquals("epsilon", epsColumn.get(0));
        assertTrue(Double.parseDouble(epsColumn.get(1)) < Double.parseDouble(epsColumn.get(2)), epsColumn.toString());
        assertNotNull(GanTrainer.lastCheckpoint(d.resolve("checkpoints")));
    }

    @Test
    void dpAndNonPrivateCheckpointsDoNotContinueEachOther(@TempDir Path tmp) throws IOException {
        Dataset data = phantom();
        GanTrainer.Options plain = new GanTrainer.Options(TINY, 1, 8, 1e-3, 0.5, 0.999, 11, true, 1, 0.0, 1, null);
        GanTrainer.run(plain, data, tmp.resolve("plain"), false, QUIET);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> GanTrainer.run(options(2, 8), data, tmp.resolve("plain"), true, QUIET));
        assertTrue(e.getMessage().contains("trained without DP"), e.getMessage());
        assertTrue(!Files.exists(tmp.resolve("plain").resolve("ledger.json")), "a refused resume must not start a ledger");

        GanTrainer.run(options(1, 8), data, tmp.resolve("private"), false, QUIET);
        GanTrainer.Options plainTwo = new GanTrainer.Options(TINY, 2, 8, 1e-3, 0.5, 0.999, 11, true, 1, 0.0, 1, null);
        e = assertThrows(IllegalStateException.class, () -> GanTrainer.run(plainTwo, data, tmp.resolve("private"), true, QUIET));
        assertTrue(e.getMessage().contains("trained with DP"), e.getMessage());
    }

    @Test
    void batchNormIsRefusedInTheDiscriminatorButAllowedInTheGenerator(@TempDir Path tmp) throws IOException {
        GanConfig bn = new GanConfig(64, 4, 2, 2, 3, GanConfig.Norm.BATCH, GanConfig.RealRange.SIGNED);
        GanTrainer.Options o = new GanTrainer.Options(bn, 1, 8, 1e-3, 0.5, 0.999, 11, true, 1, 0.0, 1, options(1, 8).dp());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GanTrainer.run(o, phantom(), tmp.resolve("bn"), false, QUIET));
        assertTrue(e.getMessage().contains("instance norm"), e.getMessage());

        // G never reads a record, so its BatchNorm is fine; the checkpoint keeps the two norms apart.
        GanConfig mixed = new GanConfig(64, 4, 2, 2, 3, GanConfig.Norm.BATCH, GanConfig.Norm.INSTANCE, GanConfig.RealRange.SIGNED);
        GanTrainer.Options m = new GanTrainer.Options(mixed, 1, 8, 1e-3, 0.5, 0.999, 11, true, 1, 0.0, 1, options(1, 8).dp());
        GanTrainer.run(m, phantom(), tmp.resolve("mixed"), false, QUIET);
        Path ck = GanTrainer.lastCheckpoint(tmp.resolve("mixed").resolve("checkpoints"));
        assertEquals(mixed, GanState.loadGenerator(ck).config);
    }

    @Test
    void dpSettingsAreValidated() {
        assertThrows(IllegalArgumentException.class, () -> new GanTrainer.Dp(0, 1e-4, 1, "rdp", Randomness.secure(), 4));
        assertThrows(IllegalArgumentException.class, () -> new GanTrainer.Dp(1, 1, 1, "rdp", Randomness.secure(), 4));
        assertThrows(IllegalArgumentException.class, () -> new GanTrainer.Dp(1, 1e-4, -1, "rdp", Randomness.secure(), 4));
        assertThrows(IllegalArgumentException.class, () -> new GanTrainer.Dp(1, 1e-4, 1, "moments", Randomness.secure(), 4));
    }
}
