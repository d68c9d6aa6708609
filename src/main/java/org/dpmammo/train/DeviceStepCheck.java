package org.dpmammo.train;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;
import org.dpmammo.autograd.NnOps;
import org.dpmammo.autograd.Ops;
import org.dpmammo.autograd.Variable;
import org.dpmammo.backend.Backend;
import org.dpmammo.backend.Backends;
import org.dpmammo.check.BackendCheck;
import org.dpmammo.models.gan.Discriminator;
import org.dpmammo.models.gan.GanConfig;
import org.dpmammo.models.gan.Generator;
import org.dpmammo.models.swin.SwinTransformer;
import org.dpmammo.nn.Module;
import org.dpmammo.nn.Parameter;
import org.dpmammo.nn.PerExample;
import org.dpmammo.nn.PerExampleLayer;
import org.dpmammo.optim.SGD;
import org.dpmammo.privacy.dpsgd.DpSgd;
import org.dpmammo.privacy.noise.GaussianNoise;
import org.dpmammo.privacy.noise.RandomSource;
import org.dpmammo.tensor.Shape;
import org.dpmammo.tensor.Tensor;
import org.dpmammo.util.Rng;
import org.dpmammo.util.Scope;

/**
 * One training step of each model on a candidate backend (the GPU, or the kernel emulator in tests) against the CPU
 * backend, from the same weights and inputs: a tiny Swin classifier and the GAN's discriminator (the network DP
 * trains) and generator at 64×64 with two channels per layer. For each it compares the forward output and every
 * parameter gradient of an ordinary backward (the non-private step), each layer's per-example squared gradient norms
 * and clipped sum Aᵀ·diag(c)·G from the captured (A, G), and the parameters after one whole {@link DpSgd} step with
 * seeded noise (the DP step). {@code selftest --device cuda} prints these rows; EmulatedTrainingStepTest runs them
 * against the emulator.
 */
public final class DeviceStepCheck {
    private DeviceStepCheck() {}

    /**
     * Relative to the largest magnitude of each compared tensor: float32 kernels with other summation orders; under
     * the emulator the Swin step agreed within 1e-6 and the GAN within 2e-6 when this was written.
     */
    public static final double TOLERANCE = 1e-5;

    /** A model under test: how to build it from a seed, its output, and its per-example losses. */
    private record Case(String name, Supplier<Module> build, Function<Module, Variable> output, Function<Module, Variable> losses) {}

    /** What a step computed on one backend, copied to the host. */
    private record Step(float[] output, List<float[]> grads, List<float[]> sqNorms, List<float[]> clippedSums, List<float[]> dpBefore, List<float[]> dpAfter) {}

    public static List<BackendCheck.Row> run(Backend candidate, long seed) {
        List<BackendCheck.Row> rows = new ArrayList<>();
        for (Case c : cases(seed)) {
            Step cpu = step(Backends.cpu(), c, seed), dev = step(candidate, c, seed);
            rows.add(row(c.name() + " output", List.of(cpu.output()), List.of(dev.output())));
            rows.add(row(c.name() + " parameter gradients", cpu.grads(), dev.grads()));
            rows.add(row(c.name() + " per-example grad norms", cpu.sqNorms(), dev.sqNorms()));
            rows.add(row(c.name() + " clipped sums", cpu.clippedSums(), dev.clippedSums()));
            rows.add(updateRow(c.name() + " DP-SGD step's update", cpu.dpBefore(), cpu.dpAfter(), dev.dpAfter()));
        }
        return rows;
    }

    private static List<Case> cases(long seed) {
        ModelSpec spec = new ModelSpec(ModelSpec.preset("tiny"), SwinTransformer.Head.MLP, 2);
        Tensor images = uniform(new Rng(seed + 1), -1, 1, 4, 3, 32, 32);
        int[] classes = {0, 1, 1, 0};
        GanConfig gan = new GanConfig(64, 16, 2, 2, 4, GanConfig.Norm.INSTANCE, GanConfig.Norm.INSTANCE, GanConfig.RealRange.SIGNED);
        Tensor z = uniform(new Rng(seed + 2), -1, 1, 4, 16);
        int[] labels = {0, 1, 0, 1};
        Tensor real = uniform(new Rng(seed + 3), -1, 1, 4, 1, 64, 64);
        Tensor smoothed = Tensor.of(new float[] {0.9f, 1.1f, 0.8f, 1.0f}, 4), ones = Tensor.of(new float[] {1, 1, 1, 1}, 4);
        // Drop-path off (eval): the same function on both backends, with no random draws inside the graph.
        Function<Module, Variable> swinLogits = m -> ((SwinTransformer) m).forward(Variable.constant(images));
        Function<Module, Variable> dScores = m -> ((Discriminator) m).forward(Variable.constant(real), labels);
        Discriminator fixedD = new Discriminator(gan, new Rng(seed + 4));
        Function<Module, Variable> fakes = m -> ((Generator) m).forward(Variable.constant(z), labels);
        return List.of(
                new Case("tiny Swin", () -> spec.build(new Rng(seed)).eval(), swinLogits, m -> NnOps.crossEntropy(swinLogits.apply(m), classes, 0.1f)),
                new Case("GAN discriminator", () -> new Discriminator(gan, new Rng(seed + 5)), dScores, m -> NnOps.binaryCrossEntropy(dScores.apply(m), smoothed)),
                new Case("GAN generator", () -> new Generator(gan, new Rng(seed + 6)), fakes,
                        m -> NnOps.binaryCrossEntropy(fixedD.forward(fakes.apply(m), labels), ones)));
    }

    private static Step step(Backend backend, Case c, long seed) {
        try (Scope s = Backends.use(backend)) {
            Module model = c.build().get();
            float[] out = c.output().apply(model).value().toArray();
            model.zeroGrad();
            Ops.sum(c.losses().apply(model), false).backward();
            List<float[]> grads = new ArrayList<>();
            for (Parameter p : model.parameters()) grads.add(p.grad() == null ? new float[0] : p.grad().toArray());
            model.zeroGrad();
            List<float[]> norms = new ArrayList<>(), sums = new ArrayList<>();
            perExample(model, c, 0.05, norms, sums);
            Module fresh = c.build().get();
            List<float[]> before = new ArrayList<>();
            for (Parameter p : fresh.parameters()) before.add(p.value().toArray());
            return new Step(out, grads, norms, sums, before, afterDpStep(fresh, c, seed));
        }
    }

    /** Each layer's per-example squared norms from its captured (A, G), and its clipped sum under flat clipping to C. */
    private static void perExample(Module model, Case c, double clip, List<float[]> norms, List<float[]> sums) {
        List<PerExampleLayer> layers = new ArrayList<>();
        for (Module m : model.namedModules().values()) if (m instanceof PerExampleLayer l) layers.add(l);
        List<PerExampleLayer> order = new ArrayList<>();
        List<Tensor[]> captured = new ArrayList<>();
        for (PerExampleLayer l : layers) {
            l.setGradientSink((layer, a, g) -> {
                order.add(layer);
                captured.add(new Tensor[] {a, g});
            });
        }
        try {
            Ops.sum(c.losses().apply(model), false).backward();
        } finally {
            for (PerExampleLayer l : layers) l.setGradientSink(null);
        }
        int n = captured.get(0)[0].size(0);
        double[] total = new double[n];
        for (int k = 0; k < captured.size(); k++) {
            float[] sq = order.get(k).perExampleNorms(captured.get(k)[0], captured.get(k)[1]).sqNorms().toArray();
            norms.add(sq);
            for (int i = 0; i < n; i++) total[i] += sq[i];
        }
        float[] factors = new float[n];
        for (int i = 0; i < n; i++) factors[i] = (float) Math.min(1.0, clip / (Math.sqrt(total[i]) + 1e-6));
        for (int k = 0; k < captured.size(); k++) {
            for (Tensor g : order.get(k).gradients(captured.get(k)[0], PerExample.scaleExamples(captured.get(k)[1], Tensor.of(factors, n)))) {
                if (g != null) sums.add(g.toArray());
            }
        }
    }

    /** The DP step's settings: SGD's learning rate, clipping norm C, noise multiplier σ, and q·N = 4 examples expected. */
    private static final double LR = 0.1, CLIP = 0.05, SIGMA = 0.01, RATE = 0.5;
    private static final int DATASET = 8;

    /**
     * The weights after one seeded DP-SGD step of the given fresh model. Little noise,
     * so that an error in the clipped sum is not lost beside it; plain SGD keeps the update linear in the gradient,
     * where Adam's first step would turn a rounding difference in a near-zero coordinate into a whole learning-rate
     * step.
     */
    private static List<float[]> afterDpStep(Module model, Case c, long seed) {
        List<Parameter> params = model.parameters();
        DpSgd dp = new DpSgd(model, new SGD(params, LR), new DpSgd.Config(SIGMA, CLIP, RATE, DATASET, 4, DpSgd.Clipping.FLAT),
                new GaussianNoise(RandomSource.deterministic(seed, "noise")));
        try {
            dp.step(0, new int[] {0, 1, 2, 3}, idx -> {
                if (!Arrays.equals(idx, new int[] {0, 1, 2, 3})) throw new IllegalStateException("the check's losses cover its fixed batch of 4 only");
                return c.losses().apply(model);
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<float[]> after = new ArrayList<>();
        for (Parameter p : params) after.add(p.value().toArray());
        return after;
    }

    /**
     * The step's update w' − w compared relative to the largest update of each tensor, less what rounding allows per
     * coordinate: the noisy sum is snapped to the noise's grid r (GaussianNoise), so sums that agree to rounding can
     * land one grid step apart (lr·r/(qN) in the update), and w' = w − lr·g is rounded to the weight's precision (one
     * ulp of w); either can be far more than 1e-5 of a small update.
     */
    private static BackendCheck.Row updateRow(String what, List<float[]> before, List<float[]> reference, List<float[]> candidate) {
        double worst = 0, snapStep = LR * GaussianNoise.resolution(SIGMA * CLIP) / (RATE * DATASET);
        for (int t = 0; t < before.size(); t++) {
            float[] w = before.get(t), r = reference.get(t), c = candidate.get(t);
            double scale = 0, excess = 0;
            for (int i = 0; i < w.length; i++) scale = Math.max(scale, Math.abs((double) r[i] - w[i]));
            for (int i = 0; i < w.length; i++) {
                double d = Math.abs((double) c[i] - r[i]);
                if (Double.isNaN(d)) return new BackendCheck.Row(what, "", Double.POSITIVE_INFINITY, TOLERANCE);
                excess = Math.max(excess, d - snapStep - Math.ulp(Math.max(Math.abs(r[i]), Math.abs(c[i]))));
            }
            worst = Math.max(worst, scale == 0 ? Math.max(0, excess) : Math.max(0, excess) / scale);
        }
        return new BackendCheck.Row(what, before.size() + " tensors", worst, TOLERANCE);
    }

    /** Worst over the paired tensors of max |candidate − reference| / max |reference|. */
    private static BackendCheck.Row row(String what, List<float[]> reference, List<float[]> candidate) {
        double worst = reference.size() == candidate.size() ? 0 : Double.POSITIVE_INFINITY;
        for (int t = 0; t < Math.min(reference.size(), candidate.size()); t++) {
            float[] r = reference.get(t), c = candidate.get(t);
            if (r.length != c.length) return new BackendCheck.Row(what, "", Double.POSITIVE_INFINITY, TOLERANCE);
            double scale = 0, diff = 0;
            for (float v : r) scale = Math.max(scale, Math.abs(v));
            for (int i = 0; i < r.length; i++) diff = Math.max(diff, Math.abs((double) c[i] - r[i]));
            if (Double.isNaN(diff)) return new BackendCheck.Row(what, "", Double.POSITIVE_INFINITY, TOLERANCE);
            worst = Math.max(worst, scale == 0 ? diff : diff / scale);
        }
        return new BackendCheck.Row(what, reference.size() + " tensors", worst, TOLERANCE);
    }

    private static Tensor uniform(Rng rng, float lo, float hi, int... shape) {
        float[] v = new float[Shape.size(shape)];
        for (int i = 0; i < v.length; i++) v[i] = (float) rng.uniform(lo, hi);
        return Tensor.of(v, shape);
    }
}
