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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.dpmammo.autograd.Grad;
import org.dpmammo.autograd.Variable;
import org.dpmammo.data.Dataset;
import org.dpmammo.data.Datasets;
import org.dpmammo.data.Labels;
import org.dpmammo.data.Phantom;
import org.dpmammo.data.PhantomDataset;
import org.dpmammo.models.gan.GanConfig;
import org.dpmammo.models.gan.Generator;
import org.dpmammo.nn.Parameter;
import org.dpmammo.tensor.Tensor;
import org.dpmammo.util.Rng;
import org.dpmammo.util.Scope;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The training step's gradients, bit-reproducibility, resumption, the non-finite stop and sampling. */
class GanTrainingTest {
    private static final GanConfig TINY = new GanConfig(64, 4, 2, 2, 3, GanConfig.Norm.INSTANCE, GanConfig.RealRange.SIGNED);
    private static final PrintStream QUIET = new PrintStream(new ByteArrayOutputStream());

    private static Tensor gaussian(Rng rng, float scale, int... shape) {
        int n = 1;
        for (int d : shape) n *= d;
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) rng.nextGaussian() * scale;
        return Tensor.of(v, shape);
    }

    @Test
    void discriminatorAndGeneratorLossGradientsMatchFiniteDifferences() {
        finiteDifferences(TINY, true);
        // The resize-convolution generator (dpmammo's option); D is the same network, checked above.
        finiteDifferences(new GanConfig(64, 4, 2, 2, 3, TINY.generatorNorm(), TINY.discriminatorNorm(), TINY.realRange(), GanConfig.Upsampling.RESIZE), false);
    }

    private static void finiteDifferences(GanConfig config, boolean checkDiscriminator) {
        GanState s = new GanState(config, 5, 1e-4, 0.5, 0.999);
        Rng rng = new Rng(6);
        Tensor real = gaussian(rng, 0.5f, 3, 1, 64, 64);
        Tensor fake = gaussian(rng, 0.5f, 3, 1, 64, 64);
        Tensor z = gaussian(rng, 1, 3, 4, 1, 1);
        int[] labels = {1, 0, 1}, fakeLabels = {0, 0, 1};
        Tensor smooth = Tensor.of(new float[] {0.8f, 1.1f, 0.95f}, 3);
        // D's loss is checked term by term: the real and fake terms nearly cancel along a random direction, which
        // would leave kink noise larger than the sum.
        Supplier<Variable> dReal = () -> GanStep.bce(s.discriminator.forward(Variable.constant(real), labels), smooth);
        Supplier<Variable> dFake = () -> GanStep.bce(s.discriminator.forward(Variable.constant(fake), fakeLabels), Tensor.zeros(3));
        Supplier<Variable> gLoss = () -> GanStep.bce(s.discriminator.forward(s.generator.forward(Variable.constant(z), fakeLabels), fakeLabels), Tensor.full(1f, 3));
        long seed = 100;
        for (var e : checkDiscriminator ? s.discriminator.namedParameters().entrySet() : java.util.Set.<java.util.Map.Entry<String, Parameter>>of()) {
            directional(s, dReal, e.getValue(), "D loss on real, discriminator." + e.getKey(), seed++);
            directional(s, dFake, e.getValue(), "D loss on fake, discriminator." + e.getKey(), seed++);
        }
        for (var e : s.generator.namedParameters().entrySet()) directional(s, gLoss, e.getValue(), "G loss, generator." + e.getKey(), seed++);
    }

    /**
     * The derivative of the loss along a random direction v of one parameter tensor: analytic g·v against the central
     * difference (L(θ + εv) − L(θ − εv))/2ε, with ε·v of RMS 0.1 % of θ's. A direction moves every element at once, so
     * the few ReLU kinks a tiny network has near any point change the quotient little, while a wrong gradient in any
     * part of the tensor shows. Elementwise checks on a ReLU network fail on kinks, not on bugs.
     */
    private static void directional(GanState s, Supplier<Variable> loss, Parameter p, String what, long seed) {
        s.generator.zeroGrad();
        s.discriminator.zeroGrad();
        loss.get().backward();
        float[] g = p.grad().toArray();
        float[] x = p.value().data();
        float[] saved = x.clone();
        Rng rng = new Rng(seed);
        double[] v = new double[x.length];
        double ss = 0, analytic = 0, gNorm = 0;
        for (int i = 0; i < x.length; i++) {
            v[i] = rng.nextGaussian();
            ss += (double) x[i] * x[i];
            analytic += g[i] * v[i];
            gNorm += (double) g[i] * g[i];
        }
        double eps = 1e-3 * Math.sqrt(ss / x.length);
        double[] at = new double[2];
        for (int k = 0; k < 2; k++) {
            for (int i = 0; i < x.length; i++) x[i] = (float) (saved[i] + (k == 0 ? eps : -eps) * v[i]);
            try (Scope ignored = Grad.noGrad()) {
                at[k] = loss.get().value().item();
            }
        }
        System.arraycopy(saved, 0, x, 0, x.length);
        double numeric = (at[0] - at[1]) / (2 * eps);
        double allowed = 0.05 * Math.abs(analytic) + 1e-3 * Math.sqrt(gNorm * x.length);
        assertTrue(Math.abs(numeric - analytic) <= allowed, what + ": analytic " + analytic + ", numeric " + numeric);
    }

    private static GanTrainer.Options options(int epochs) {
        return new GanTrainer.Options(TINY, epochs, 8, 1e-3, 0.5, 0.999, 11, true, 1, 0.0, 2, null);
    }

    private static Dataset phantom() {
        return new PhantomDataset(Phantom.Config.of(64), 24, 3);
    }

    private static void assertSameState(GanState a, GanState b) {
        Map<String, Tensor> sa = a.generator.stateDict(), sb = b.generator.stateDict();
        for (String k : sa.keySet()) assertArrayEquals(sa.get(k).toArray(), sb.get(k).toArray(), "generator." + k);
        Map<String, Tensor> da = a.discriminator.stateDict(), db = b.discriminator.stateDict();
        for (String k : da.keySet()) assertArrayEquals(da.get(k).toArray(), db.get(k).toArray(), "discriminator." + k);
        Map<String, Tensor> oa = a.optD.state(), ob = b.optD.state();
        for (String k : oa.keySet()) assertArrayEquals(oa.get(k).toArray(), ob.get(k).toArray(), "optimizer_d." + k);
    }

    private static List<String> lossColumns(Path run) throws IOException {
        List<String> out = new ArrayList<>();
        for (String line : Files.readAllLines(run.resolve("losses.csv"))) {
            String[] f = line.split(",");
            // Drop images/s: wall-clock time differs between runs.
            out.add(String.join(",", f[0], f[1], f[2], f[3], f[4], f[5], f[6]));
        }
        return out;
    }

    @Test
    void aSeededRunIsBitReproducibleAndAResumedRunContinuesIdentically(@TempDir Path tmp) throws IOException {
        Dataset data = phantom();
        GanState a = GanTrainer.run(options(2), data, tmp.resolve("a"), false, QUIET);
        GanState b = GanTrainer.run(options(2), data, tmp.resolve("b"), false, QUIET);
        assertSameState(a, b);
        GanTrainer.run(options(1), data, tmp.resolve("c"), false, QUIET);
        GanState c = GanTrainer.run(options(2), data, tmp.resolve("c"), true, QUIET);
        assertEquals(2, c.epoch());
        assertSameState(a, c);
        assertEquals(lossColumns(tmp.resolve("a")), lossColumns(tmp.resolve("c")));
        for (String f : new String[] {"config.json", "provenance.json", "metrics.json", "loss_curve.png", "samples/epoch_0002.png", "checkpoints/epoch_0002.safetensors"}) {
            assertTrue(Files.isRegularFile(tmp.resolve("c").resolve(f)), f);
        }
        // A resume that changes a training setting is refused before anything is written.
        String configBefore = Files.readString(tmp.resolve("c").resolve("config.json"));
        GanTrainer.Options o3 = options(3);
        GanTrainer.Options fasterLr = new GanTrainer.Options(o3.model(), 3, o3.batchSize(), o3.lr() * 2, o3.beta1(), o3.beta2(), o3.seed(), o3.augment(),
                o3.checkpointEvery(), o3.collapseFraction(), o3.dataThreads(), null);
        IllegalStateException changed = assertThrows(IllegalStateException.class, () -> GanTrainer.run(fasterLr, data, tmp.resolve("c"), true, QUIET));
        assertTrue(changed.getMessage().contains("lr"), changed.getMessage());
        assertEquals(configBefore, Files.readString(tmp.resolve("c").resolve("config.json")));
        assertTrue(!Files.exists(tmp.resolve("c").resolve("checkpoints").resolve("epoch_0003.safetensors")));
        // A second run into a folder with checkpoints must be explicit about resuming.
        assertThrows(IllegalStateException.class, () -> GanTrainer.run(options(3), data, tmp.resolve("a"), false, QUIET));
        // A different seed trains differently (the comparison above can fail).
        GanTrainer.Options other = new GanTrainer.Options(TINY, 1, 8, 1e-3, 0.5, 0.999, 12, true, 1, 0.0, 2, null);
        GanState d = GanTrainer.run(other, data, tmp.resolve("d"), false, QUIET);
        assertTrue(!java.util.Arrays.equals(d.generator.stateDict().get("main.0.weight").toArray(), a.generator.stateDict().get("main.0.weight").toArray()));
    }

    @Test
    void aNonFiniteValueStopsTheRunWithAClearMessage(@TempDir Path tmp) {
        GanTrainer.Options o = options(1);
        GanState s = new GanState(TINY, o.seed(), o.lr(), o.beta1(), o.beta2());
        s.generator.stateDict().get("main.0.weight").data()[0] = Float.NaN;
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> GanTrainer.run(o, s, phantom(), tmp, false, QUIET));
        assertTrue(e.getMessage().contains("non-finite") && e.getMessage().contains("epoch 1"), e.getMessage());
        assertTrue(!Files.exists(tmp.resolve("checkpoints").resolve("epoch_0001.safetensors")), "no checkpoint after a failure");
    }

    @Test
    void samplesHonourTheClassAndReadBackWithTheirLabels(@TempDir Path tmp) throws IOException {
        GanState s = new GanState(TINY, 1, 1e-4, 0.5, 0.999);
        Path ck = tmp.resolve("g.safetensors");
        s.save(ck, Map.of());
        Generator g = GanState.loadGenerator(ck);
        int[] labels = GanSampler.write(g, "balanced", 6, 9, tmp.resolve("out"));
        assertArrayEquals(new int[] {1, 0, 1, 0, 1, 0}, labels);
        Dataset back = Datasets.flat(tmp.resolve("out"));
        assertEquals(6, back.size());
        assertArrayEquals(new int[] {3, 3}, back.classCounts());
        assertTrue(Files.isRegularFile(tmp.resolve("out").resolve("preview").resolve("contact_sheet.png")));
        // Same z, other class: the image changes, so the label path is live.
        var benign = GanSampler.generate(g, GanSampler.labels("benign", 4), new Rng(5), 4);
        var malignant = GanSampler.generate(g, GanSampler.labels("malignant", 4), new Rng(5), 4);
        assertTrue(!java.util.Arrays.equals(benign.get(0).samples(), malignant.get(0).samples()));
        assertEquals(Labels.BENIGN, GanSampler.labels("benign", 1)[0]);
        assertThrows(IllegalArgumentException.class, () -> GanSampler.labels("both", 1));
    }
}
