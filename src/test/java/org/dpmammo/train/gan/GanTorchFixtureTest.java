package org.dpmammo.train.gan;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import org.dpmammo.autograd.Grad;
import org.dpmammo.autograd.Ops;
import org.dpmammo.autograd.Variable;
import org.dpmammo.models.gan.GanConfig;
import org.dpmammo.nn.Parameter;
import org.dpmammo.nn.SafeTensors;
import org.dpmammo.tensor.Tensor;
import org.dpmammo.util.Scope;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Field-by-field comparison of one study iteration with a once-generated PyTorch dump of a tiny GAN, one file per
 * norm (src/test/resources/fixtures/gan-tiny, see its README): both state dicts load strictly; G(z) and D(x) in
 * training mode; the gradient of D's loss w.r.t. every D parameter; and {@link GanStep#run} on the dump's draws:
 * both losses, the mean outputs, D(G(z))'s change across D's Adam step, the gradient of G's loss w.r.t. every G
 * parameter and every buffer after the iteration.
 *
 * <p>Tolerances are relative to the largest magnitude of the expected tensor. Both sides compute in float32 from
 * the same float32 inputs, so they differ only by summation order (convolutions and norms sum hundreds to thousands
 * of terms) and libm: 1e-5 for outputs. Gradients pass through twice as many operations, BCE's 1/(p(1 − p)) and
 * the norms' backward, which subtracts means of nearly cancelling terms: 1e-4. Observed when the fixture was made:
 * 3e-7 on outputs, 3e-6 on gradients.
 */
class GanTorchFixtureTest {
    static final Path FIXTURE = Path.of("src/test/resources/fixtures/gan-tiny");
    static final double OUTPUT_TOL = 1e-5, GRAD_TOL = 1e-4;

    /** A fixture file: the model, its state before the iteration loaded strictly, and the dump's other tensors. */
    record Fixture(GanState state, Map<String, Tensor> t) {
        /** "instance" and "batch": the study's networks with that norm; "resize": the cpu preset's resize-convolution G, BatchNorm. */
        static Fixture load(String variant) throws Exception {
            SafeTensors.Contents c = SafeTensors.read(FIXTURE.resolve(variant + ".safetensors"));
            assertEquals("dpmammo-gan-torch-fixture/1", c.metadata().get("format"));
            GanConfig config = GanState.parseConfig(c.metadata().get("config"));
            boolean resize = variant.equals("resize");
            GanConfig.Norm norm = resize ? GanConfig.Norm.BATCH : GanConfig.Norm.parse(variant);
            assertEquals(norm, config.generatorNorm());
            assertEquals(norm, config.discriminatorNorm());
            assertEquals(resize ? GanConfig.Upsampling.RESIZE : GanConfig.Upsampling.TRANSPOSED, config.upsampling());
            GanTrainer.Options study = GanTrainer.Options.study(config, 1, 0);
            GanState s = new GanState(config, 0, study.lr(), study.beta1(), study.beta2());
            assertTrue(s.generator.loadStateDict(GanState.section(c.tensors(), "generator."), true).clean());
            assertTrue(s.discriminator.loadStateDict(GanState.section(c.tensors(), "discriminator."), true).clean());
            return new Fixture(s, c.tensors());
        }

        Tensor get(String key) {
            Tensor v = t.get(key);
            assertNotNull(v, "fixture has no '" + key + "'");
            return v;
        }

        int[] ints(String key) {
            float[] v = get(key).toArray();
            int[] out = new int[v.length];
            for (int i = 0; i < v.length; i++) out[i] = (int) v[i];
            return out;
        }
    }

    /** max |got − want| / max |want|. */
    static double relativeError(Tensor got, Tensor want) {
        float[] g = got.toArray(), w = want.toArray();
        assertEquals(w.length, g.length);
        double diff = 0, scale = 0;
        for (int i = 0; i < g.length; i++) {
            diff = Math.max(diff, Math.abs(g[i] - w[i]));
            scale = Math.max(scale, Math.abs(w[i]));
        }
        return diff / scale;
    }

    static void assertClose(Tensor got, Tensor want, double tol, String what) {
        assertArrayEquals(want.shape(), got.shape(), what + " shape");
        double rel = relativeError(got, want);
        assertTrue(rel <= tol, what + ": relative error " + rel + " over " + tol);
    }

    static void assertClose(double got, double want, double tol, String what) {
        assertTrue(Math.abs(got - want) <= tol * Math.abs(want), what + ": " + got + " against PyTorch's " + want);
    }

    @ParameterizedTest
    @ValueSource(strings = {"instance", "batch", "resize"})
    void forwardInTrainingModeMatchesPyTorch(String norm) throws Exception {
        Fixture f = Fixture.load(norm);
        int[] labels = f.ints("input.labels"), fakeLabels = f.ints("input.fake_labels");
        Variable z = Variable.constant(f.get("input.z")), real = Variable.constant(f.get("input.real"));
        try (Scope s = Grad.noGrad()) {
            Tensor fake = f.state.generator.forward(z, fakeLabels).value();
            assertClose(fake, f.get("output.fake"), OUTPUT_TOL, norm + " G(z)");
            assertClose(f.state.discriminator.forward(real, labels).value(), f.get("output.d_real"), OUTPUT_TOL, norm + " D(x)");
            // The fixture can tell a swapped class convention apart: with the labels exchanged, both outputs move
            // by far more than the tolerance.
            double gSwapped = relativeError(f.state.generator.forward(z, labels).value(), f.get("output.fake"));
            double dSwapped = relativeError(f.state.discriminator.forward(real, fakeLabels).value(), f.get("output.d_real"));
            assertTrue(gSwapped > 100 * OUTPUT_TOL && dSwapped > 100 * OUTPUT_TOL, "swapped labels: G " + gSwapped + ", D " + dSwapped);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"instance", "batch", "resize"})
    void oneStudyIterationMatchesPyTorch(String norm) throws Exception {
        Fixture f = Fixture.load(norm);
        GanState s = f.state;
        float[] smooth = f.get("input.smooth").toArray();
        GanStep.Result r = GanStep.run(s, f.get("input.real"), f.ints("input.labels"), f.get("input.z"), f.ints("input.fake_labels"), smooth);

        assertClose(r.lossD(), f.get("output.loss_d").item(), OUTPUT_TOL, norm + " loss_D");
        assertClose(r.lossG(), f.get("output.loss_g").item(), OUTPUT_TOL, norm + " loss_G");
        double dFake = mean(f.get("output.d_fake"));
        assertClose(r.dReal(), mean(f.get("output.d_real")), OUTPUT_TOL, norm + " mean D(x)");
        assertClose(r.dFake(), dFake, OUTPUT_TOL, norm + " mean D(G(z))");
        // G's step sees D after one Adam step (lr 1e-4 on every D parameter); its effect on D(G(z)) is compared
        // on its own, so that a wrong learning rate or a parameter left out of D's optimizer shows. The change
        // (about 6e-3) is a difference of two outputs near 0.5, each good to about 6e-8: 1e-4 relative.
        assertClose(r.dFakeAfter() - r.dFake(), mean(f.get("output.d_gen")) - dFake, 1e-4, norm + " change of D(G(z)) across D's step");

        for (Map.Entry<String, Parameter> e : s.generator.namedParameters().entrySet()) {
            assertClose(e.getValue().grad(), f.get("grad.generator." + e.getKey()), GRAD_TOL, norm + " dloss_G/d " + e.getKey());
        }
        // BatchNorm's running statistics after one G pass and three D passes (real, fake, fake after D's step).
        checkBuffers(f, "generator.", s.generator.stateDict(), s.generator.namedParameters().keySet());
        checkBuffers(f, "discriminator.", s.discriminator.stateDict(), s.discriminator.namedParameters().keySet());
    }

    /**
     * The gradient of D's loss as GanStep forms it, on the state before the iteration: GanStep itself freezes D for
     * G's step, which clears these gradients before they could be read.
     */
    @ParameterizedTest
    @ValueSource(strings = {"instance", "batch", "resize"})
    void discriminatorLossGradientsMatchPyTorch(String norm) throws Exception {
        Fixture f = Fixture.load(norm);
        GanState s = f.state;
        int[] fakeLabels = f.ints("input.fake_labels");
        Variable fake = s.generator.forward(Variable.constant(f.get("input.z")), fakeLabels);
        Variable pReal = s.discriminator.forward(Variable.constant(f.get("input.real")), f.ints("input.labels"));
        Variable pFake = s.discriminator.forward(fake.detach(), fakeLabels);
        Variable lossD = Ops.add(GanStep.bce(pReal, f.get("input.smooth")), GanStep.bce(pFake, Tensor.zeros(fakeLabels.length)));
        lossD.backward();
        assertClose(lossD.value().item(), f.get("output.loss_d").item(), OUTPUT_TOL, norm + " loss_D");
        for (Map.Entry<String, Parameter> e : s.discriminator.namedParameters().entrySet()) {
            assertClose(e.getValue().grad(), f.get("grad.discriminator." + e.getKey()), GRAD_TOL, norm + " dloss_D/d " + e.getKey());
        }
    }

    private static void checkBuffers(Fixture f, String prefix, Map<String, Tensor> state, Set<String> parameters) {
        for (Map.Entry<String, Tensor> e : state.entrySet()) {
            if (parameters.contains(e.getKey())) continue;
            assertClose(e.getValue(), f.get("after." + prefix + e.getKey()), OUTPUT_TOL, "buffer " + prefix + e.getKey());
        }
    }

    private static double mean(Tensor t) {
        double s = 0;
        for (float v : t.toArray()) s += v;
        return s / t.numel();
    }
}
