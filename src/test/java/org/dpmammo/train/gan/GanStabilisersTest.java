package org.dpmammo.train.gan;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.dpmammo.data.Dataset;
import org.dpmammo.data.Phantom;
import org.dpmammo.data.PhantomDataset;
import org.dpmammo.models.gan.GanConfig;
import org.dpmammo.models.gan.Generator;
import org.dpmammo.privacy.accounting.RdpAccountant;
import org.dpmammo.privacy.dpsgd.PrivacyPlanner;
import org.dpmammo.privacy.ledger.PrivacyLedger;
import org.dpmammo.privacy.noise.Randomness;
import org.dpmammo.tensor.Tensor;
import org.dpmammo.testing.PinnedRun;
import org.dpmammo.util.Rng;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Several D steps per G step (every one accounted under DP) and the moving average of G's weights. */
class GanStabilisersTest {
    /** G with BatchNorm (its running statistics are copied into the EMA, not averaged), D without a norm (DP-capable). */
    private static final GanConfig TINY = new GanConfig(64, 4, 2, 2, 3, GanConfig.Norm.BATCH, GanConfig.Norm.NONE, GanConfig.RealRange.SIGNED);
    private static final PrintStream QUIET = new PrintStream(new ByteArrayOutputStream());

    private static Map<String, float[]> values(Generator g) {
        Map<String, float[]> m = new LinkedHashMap<>();
        g.stateDict().forEach((k, v) -> m.put(k, v.toArray().clone()));
        return m;
    }

    private static Tensor images(Rng rng, int b) {
        float[] v = new float[b * 64 * 64];
        for (int i = 0; i < v.length; i++) v[i] = (float) Math.tanh(rng.nextGaussian());
        return Tensor.of(v, b, 1, 64, 64);
    }

    /** ema ← d·ema + (1 − d)·G after each G step, computed here in double from G's weights before and after. */
    @Test
    void theMovingAverageFollowsItsDefinitionOnGeneratorStepsOnly() {
        double d = 0.9;
        GanState s = new GanState(TINY, 3, 1e-2, 0.5, 0.999, 0.0, d);
        Map<String, float[]> expected = values(s.generator);
        assertEquals(expected.keySet(), values(s.ema).keySet());
        for (String k : expected.keySet()) assertArrayEquals(expected.get(k), values(s.ema).get(k), "the EMA starts at G's weights: " + k);
        var params = s.generator.namedParameters().keySet();
        Rng rng = new Rng(8);
        int[] labels = {0, 1, 1, 0};
        for (boolean stepG : new boolean[] {true, false, true}) {
            Map<String, float[]> gBefore = values(s.generator);
            GanStep.Result r = GanStep.run(s, images(rng, 4), labels, rng, stepG);
            assertEquals(stepG, r.generatorStepped());
            assertTrue(r.finite());
            Map<String, float[]> g = values(s.generator), ema = values(s.ema);
            for (String k : g.keySet()) {
                if (!params.contains(k)) {
                    // Buffers (BatchNorm running statistics move on every forward in training mode) are copied.
                    if (stepG) assertArrayEquals(g.get(k), ema.get(k), "buffer " + k);
                    else assertArrayEquals(expected.get(k), ema.get(k), "buffer " + k + " unchanged without a G step");
                    continue;
                }
                float[] want = expected.get(k);
                if (stepG) {
                    boolean moved = false;
                    for (int i = 0; i < want.length; i++) {
                        moved |= g.get(k)[i] != gBefore.get(k)[i];
                        want[i] = (float) (d * want[i] + (1 - d) * g.get(k)[i]);
                    }
                    assertTrue(moved || k.contains("bias"), "G's step moved " + k);
                } else {
                    assertArrayEquals(gBefore.get(k), g.get(k), "without a G step G stays: " + k);
                }
                for (int i = 0; i < want.length; i++) assertEquals(want[i], ema.get(k)[i], 1e-6 * Math.max(1, Math.abs(want[i])), k + "[" + i + "]");
            }
            expected = ema;
        }
    }

    private static Dataset phantom() {
        return new PhantomDataset(Phantom.Config.of(64), 24, 3);
    }

    private static float steps(org.dpmammo.optim.Adam opt) {
        return opt.state().get("0.step").toArray()[0];
    }

    /**
     * 24 images at batch 8 are 3 D steps an epoch; with 2 D steps per G step, 2 epochs are 6 D steps and 3 G steps,
     * the third G step falling in epoch 2 (the rhythm is counted over the run, not restarted per epoch). Under DP the
     * ledger holds all 6 D steps, the number σ was planned for.
     */
    @Test
    void everyDiscriminatorStepIsTakenAndSpentAndGStepsFollowTheRhythm(@TempDir Path tmp) throws IOException {
        Dataset data = phantom();
        GanTrainer.Options plain = new GanTrainer.Options(TINY, 2, 8, 1e-3, 0.5, 0.999, 11, true, 1, 0.0, 1, null).withStabilisers(2, 0.5, 0.0);
        GanState p = GanTrainer.run(plain, data, tmp.resolve("plain"), false, QUIET);
        assertEquals(6, steps(p.optD));
        assertEquals(3, steps(p.optG));

        GanTrainer.Options dp = plain.withDp(new GanTrainer.Dp(8, 1e-3, 1.0, "rdp", Randomness.reproducible(11), 4));
        GanState q = GanTrainer.run(dp, data, tmp.resolve("dp"), false, QUIET);
        PrivacyPlanner.Plan plan = PrivacyPlanner.plan(data.size(), 8, 2, 8, 1e-3, new RdpAccountant());
        PrivacyLedger ledger = PrivacyLedger.open(tmp.resolve("dp").resolve("ledger.json"));
        assertEquals(6, plan.steps());
        assertEquals(plan.steps(), ledger.stepsRecorded(ledger.spends().get(0).phase().id()));
        assertEquals(plan.noiseMultiplier(), ledger.spends().get(0).phase().noiseMultiplier());
        assertEquals(6, steps(q.optD));
        assertEquals(3, steps(q.optG));
        assertTrue(Files.readString(tmp.resolve("dp").resolve("config.json")).contains("\"d_steps\" : 2"));
    }

    private static void assertSame(Map<String, Tensor> a, Map<String, Tensor> b, String what) {
        assertEquals(a.keySet(), b.keySet(), what);
        for (String k : a.keySet()) assertArrayEquals(a.get(k).toArray(), b.get(k).toArray(), what + "." + k);
    }

    /** Killed after epoch 1 and resumed, with D steps and an EMA, the run ends bit for bit as the uninterrupted one. */
    @Test
    void resumeIsExactWithDStepsAndTheMovingAverage(@TempDir Path tmp) throws IOException {
        Dataset data = phantom();
        for (boolean private_ : new boolean[] {false, true}) {
            GanTrainer.Options two = new GanTrainer.Options(TINY, 2, 8, 1e-3, 0.5, 0.999, 11, true, 1, 0.0, 1, null).withStabilisers(2, 0.8, 0.0);
            if (private_) two = two.withDp(new GanTrainer.Dp(8, 1e-3, 1.0, "rdp", Randomness.reproducible(11), 4));
            Path a = tmp.resolve(private_ + "a"), c = tmp.resolve(private_ + "c");
            PinnedRun.pin(a, 7);
            PinnedRun.pin(c, 7);
            GanState whole = GanTrainer.run(two, data, a, false, QUIET);
            GanTrainer.run(two, data, c, false, QUIET);
            // The crash: epoch 2's checkpoint never written (its steps were, under DP, already in the ledger).
            Files.delete(c.resolve("checkpoints").resolve("epoch_0002.safetensors"));
            GanState resumed = GanTrainer.run(two, data, c, true, QUIET);
            assertSame(whole.generator.stateDict(), resumed.generator.stateDict(), "generator");
            assertSame(whole.ema.stateDict(), resumed.ema.stateDict(), "generator_ema");
            assertSame(whole.discriminator.stateDict(), resumed.discriminator.stateDict(), "discriminator");
            assertSame(whole.optG.state(), resumed.optG.state(), "optimizer_g");
            assertSame(whole.optD.state(), resumed.optD.state(), "optimizer_d");

            // Sampling reads the EMA, not G.
            Generator sampler = GanState.loadGenerator(GanTrainer.lastCheckpoint(c.resolve("checkpoints")));
            assertSame(whole.ema.stateDict(), sampler.stateDict(), "sampled generator");
            assertTrue(!java.util.Arrays.equals(whole.ema.stateDict().get("main.0.weight").toArray(), whole.generator.stateDict().get("main.0.weight").toArray()));

            // A resume that drops the EMA or changes the rhythm is refused, naming the setting.
            GanTrainer.Options three = two, noEma = new GanTrainer.Options(TINY, 3, 8, 1e-3, 0.5, 0.999, 11, true, 1, 0.0, 1, two.dp()).withStabilisers(2, 0, 0.0);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> GanTrainer.run(noEma, data, c, true, QUIET));
            assertTrue(e.getMessage().contains("ema_decay"), e.getMessage());
            GanTrainer.Options otherRhythm = three.withStabilisers(3, 0.8, 0.0);
            e = assertThrows(IllegalStateException.class, () -> GanTrainer.run(otherRhythm, data, c, true, QUIET));
            assertTrue(e.getMessage().contains("d_steps"), e.getMessage());
        }
    }
}
