package org.dpmammo.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.dpmammo.autograd.NnOps;
import org.dpmammo.autograd.Ops;
import org.dpmammo.autograd.Variable;
import org.dpmammo.backend.Backend;
import org.dpmammo.backend.Backends;
import org.dpmammo.models.gan.Discriminator;
import org.dpmammo.models.gan.GanConfig;
import org.dpmammo.models.gan.Generator;
import org.dpmammo.models.swin.SwinTransformer;
import org.dpmammo.nn.Module;
import org.dpmammo.nn.Parameter;
import org.dpmammo.nn.PerExample;
import org.dpmammo.nn.PerExampleLayer;
import org.dpmammo.tensor.Tensor;
import org.dpmammo.train.ModelSpec;
import org.dpmammo.util.Rng;
import org.dpmammo.util.Scope;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * One training step of a tiny Swin and of the GAN's networks through CudaBackend on the kernel emulator against the
 * CPU backend, piece by piece: the forward output, every parameter gradient of an ordinary backward, and the DP
 * quantities — each layer's per-example squared gradient norms from its captured (A, G), and its clipped sum
 * Aᵀ·diag(c)·G under the flat clip factors. The same module (same weights) runs on both backends. Tolerance: 1e-5
 * relative to the largest magnitude of each compared tensor (float32 kernels with other summation orders); measured
 * when written: the Swin step agrees within 1e-6 everywhere, the GAN within 1.6e-6 (the label embedding's gradient).
 */
class EmulatedTrainingStepTest {
    private static final double TOLERANCE = 1e-5;
    private static EmulatedCuda emu;

    @BeforeAll
    static void start() throws Exception {
        emu = EmulatedCuda.startOrSkip();
    }

    @AfterAll
    static void stop() throws Exception {
        if (emu != null) emu.close();
    }

    /** What one step computes on one backend, everything on the host for comparison. */
    private record Step(float[] output, Map<String, float[]> grads, List<float[]> sqNorms, List<float[]> clippedSums) {}

    private static Step step(Backend backend, Module model, Supplier<Variable> perExampleLosses, Supplier<Variable> output, double clip) {
        try (Scope s = Backends.use(backend)) {
            float[] out = output.get().value().toArray();
            for (Parameter p : model.parameters()) p.zeroGrad();
            Ops.sum(perExampleLosses.get(), false).backward();
            Map<String, float[]> grads = new LinkedHashMap<>();
            for (Map.Entry<String, Parameter> e : model.namedParameters().entrySet()) {
                if (e.getValue().grad() != null) grads.put(e.getKey(), e.getValue().grad().toArray());
            }
            for (Parameter p : model.parameters()) p.zeroGrad();

            List<PerExampleLayer> layers = new ArrayList<>();
            for (Module m : model.namedModules().values()) if (m instanceof PerExampleLayer l) layers.add(l);
            List<Tensor[]> captured = new ArrayList<>();
            List<PerExampleLayer> order = new ArrayList<>();
            for (PerExampleLayer l : layers) l.setGradientSink((layer, a, g) -> {
                order.add(layer);
                captured.add(new Tensor[] {a, g});
            });
            try {
                Ops.sum(perExampleLosses.get(), false).backward();
            } finally {
                for (PerExampleLayer l : layers) l.setGradientSink(null);
            }
            List<float[]> norms = new ArrayList<>();
            int n = captured.get(0)[0].size(0);
            double[] total = new double[n];
            for (int k = 0; k < captured.size(); k++) {
                float[] sq = order.get(k).perExampleNorms(captured.get(k)[0], captured.get(k)[1]).sqNorms();
                norms.add(sq);
                for (int i = 0; i < n; i++) total[i] += sq[i];
            }
            float[] c = new float[n];
            for (int i = 0; i < n; i++) c[i] = (float) Math.min(1.0, clip / (Math.sqrt(total[i]) + 1e-6));
            List<float[]> sums = new ArrayList<>();
            for (int k = 0; k < captured.size(); k++) {
                for (Tensor g : order.get(k).gradients(captured.get(k)[0], PerExample.scaleExamples(captured.get(k)[1], c))) {
                    if (g != null) sums.add(g.toArray());
                }
            }
            return new Step(out, grads, norms, sums);
        }
    }

    private static void assertClose(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what);
        double scale = 1e-30, worst = 0;
        for (float v : expected) scale = Math.max(scale, Math.abs(v));
        for (int i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(expected[i] - actual[i]));
        assertTrue(worst <= TOLERANCE * scale, what + ": differs by " + worst + " at scale " + scale);
    }

    private static void assertSameStep(Step cpu, Step gpu, String model) {
        assertClose(cpu.output(), gpu.output(), model + " output");
        assertEquals(cpu.grads().keySet(), gpu.grads().keySet(), model + " gradients");
        for (String k : cpu.grads().keySet()) assertClose(cpu.grads().get(k), gpu.grads().get(k), model + " gradient of " + k);
        assertEquals(cpu.sqNorms().size(), gpu.sqNorms().size(), model + " captured layers");
        for (int k = 0; k < cpu.sqNorms().size(); k++) assertClose(cpu.sqNorms().get(k), gpu.sqNorms().get(k), model + " per-example norms, layer " + k);
        assertEquals(cpu.clippedSums().size(), gpu.clippedSums().size(), model + " clipped sums");
        for (int k = 0; k < cpu.clippedSums().size(); k++) assertClose(cpu.clippedSums().get(k), gpu.clippedSums().get(k), model + " clipped sum " + k);
    }

    private static Tensor uniform(Rng rng, float lo, float hi, int... shape) {
        float[] v = new float[org.dpmammo.tensor.Shape.size(shape)];
        for (int i = 0; i < v.length; i++) v[i] = (float) rng.uniform(lo, hi);
        return Tensor.of(v, shape);
    }

    @Test
    void tinySwinStepAgreesWithTheCpu() {
        SwinTransformer swin = new ModelSpec(ModelSpec.preset("tiny"), SwinTransformer.Head.MLP, 2).build(new Rng(3));
        swin.eval(); // drop-path off: the same function on both backends, with no random draws in the graph
        Tensor images = uniform(new Rng(4), -1, 1, 3, 3, 32, 32);
        int[] labels = {0, 1, 1};
        Supplier<Variable> logits = () -> swin.forward(Variable.constant(images));
        Supplier<Variable> losses = () -> NnOps.crossEntropy(logits.get(), labels, 0.1f);
        Step cpu = step(Backends.cpu(), swin, losses, logits, 0.05);
        Step gpu = step(emu.backend(), swin, losses, logits, 0.05);
        assertTrue(cpu.sqNorms().size() > 20, "every Swin layer captured: " + cpu.sqNorms().size());
        assertSameStep(cpu, gpu, "tiny Swin");
    }

    @Test
    void ganStepAgreesWithTheCpu() {
        GanConfig config = new GanConfig(64, 16, 2, 2, 4, GanConfig.Norm.INSTANCE, GanConfig.Norm.INSTANCE, GanConfig.RealRange.SIGNED);
        Generator g = new Generator(config, new Rng(5));
        Discriminator d = new Discriminator(config, new Rng(6));
        int[] labels = {0, 1, 0, 1};
        Tensor z = uniform(new Rng(7), -1, 1, 4, 16);
        Tensor target = Tensor.of(new float[] {0.9f, 1.1f, 0.8f, 1.0f}, 4);
        Supplier<Variable> fake = () -> g.forward(Variable.constant(z), labels);
        // The discriminator on generated images (its per-example DP step), and the generator through it.
        Supplier<Variable> dOut = () -> d.forward(Variable.constant(fake.get().value()), labels);
        Supplier<Variable> dLoss = () -> NnOps.binaryCrossEntropy(dOut.get(), target);
        assertSameStep(step(Backends.cpu(), d, dLoss, dOut, 0.5), step(emu.backend(), d, dLoss, dOut, 0.5), "GAN discriminator");
        Supplier<Variable> gLoss = () -> NnOps.binaryCrossEntropy(d.forward(fake.get(), labels), Tensor.of(new float[] {1, 1, 1, 1}, 4));
        assertSameStep(step(Backends.cpu(), g, gLoss, fake, 0.5), step(emu.backend(), g, gLoss, fake, 0.5), "GAN generator");
    }
}
