package org.dpmammo.privacy.dpsgd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.dpmammo.autograd.NnOps;
import org.dpmammo.autograd.Ops;
import org.dpmammo.autograd.Variable;
import org.dpmammo.backend.Backend;
import org.dpmammo.backend.Backends;
import org.dpmammo.backend.cuda.EmulatedCuda;
import org.dpmammo.models.gan.Discriminator;
import org.dpmammo.models.gan.GanConfig;
import org.dpmammo.models.swin.SwinTransformer;
import org.dpmammo.nn.Module;
import org.dpmammo.nn.Parameter;
import org.dpmammo.optim.Adam;
import org.dpmammo.optim.AdamW;
import org.dpmammo.optim.SGD;
import org.dpmammo.privacy.noise.GaussianNoise;
import org.dpmammo.privacy.noise.RandomSource;
import org.dpmammo.tensor.Tensor;
import org.dpmammo.train.ModelSpec;
import org.dpmammo.util.Rng;
import org.dpmammo.util.Scope;
import org.junit.jupiter.api.Test;

/**
 * The whole DP step on the device, counted through the kernel emulator: once the parameters live there (after the
 * first step), a DP-SGD step of the CNN, of the GAN's discriminator (with its public fake-image gradient) and of a
 * tiny Swin copies to the device only the inputs its loss function builds on the host — each physical chunk's images
 * and loss targets — and copies nothing back: per-example norms, clip factors, clipped sums, noise, the division by
 * qN and the optimizer's update all stay there. Reading the step's statistics is the one download, on request. And
 * the device's step agrees with the CPU's.
 */
class DpStepResidencyTest {
    private static Tensor uniform(Rng r, int... shape) {
        Tensor t = Tensor.zeros(shape);
        for (int i = 0; i < t.numel(); i++) t.data()[i] = (float) r.uniform(-1, 1);
        return t;
    }

    /** Rows idx of x [N, …] as a fresh host batch, as a trainer's loader gives them. */
    private static Tensor rows(Tensor x, int[] idx) {
        int per = x.numel() / x.size(0);
        int[] shape = x.shape();
        shape[0] = idx.length;
        Tensor b = Tensor.zeros(shape);
        for (int i = 0; i < idx.length; i++) System.arraycopy(x.data(), idx[i] * per, b.data(), i * per, per);
        return b;
    }

    private interface Step {
        DpSgd.StepStats run(long step) throws IOException;
    }

    /** Uploads, downloads and statistics downloads of one step after a first one, and where each transfer came from. */
    private record Transfers(long up, long down, long stats, List<String> trace) {}

    private static Transfers transfersOfSecondStep(EmulatedCuda emu, Step step) throws IOException {
        step.run(0);
        List<String> trace = new ArrayList<>();
        emu.traceTransfers(trace);
        long up = emu.uploads(), down = emu.downloads();
        DpSgd.StepStats stats = step.run(1);
        long ups = emu.uploads() - up, downs = emu.downloads() - down;
        stats.clipped();
        stats.meanNorm();
        long statDowns = emu.downloads() - down - downs;
        emu.traceTransfers(null);
        return new Transfers(ups, downs, statDowns, trace);
    }

    private static void assertCounts(String what, long up, long down, int chunks, Transfers t) {
        String where = "\n" + String.join("\n", t.trace());
        assertEquals(up, t.up(), what + ": uploads in one step (the chunks' host inputs only)" + where);
        assertEquals(down, t.down(), what + ": downloads in one step" + where);
        assertEquals(chunks, t.stats(), what + ": reading the statistics downloads each chunk's norms once");
    }

    @Test
    void aCnnStepCopiesOnlyItsInputsAndAgreesWithTheCpu() throws Exception {
        Tensor x = DpSgdTest.images(1);
        int[] batch = {0, 2, 3, 5};
        try (EmulatedCuda emu = EmulatedCuda.startOrSkip()) {
            float[][] cpu = cnnAfterTwoSteps(Backends.cpu(), x, batch), dev = cnnAfterTwoSteps(emu.backend(), x, batch);
            // One chunk: its images and its one-hot targets.
            assertCounts("CNN", 2, 0, 1, cnnTransfers(emu, x, batch));
            for (int p = 0; p < cpu.length; p++) {
                double scale = 1;
                for (float v : cpu[p]) scale = Math.max(scale, Math.abs(v));
                for (int i = 0; i < cpu[p].length; i++) assertEquals(cpu[p][i], dev[p][i], 1e-5 * scale, "parameter " + p + " element " + i);
            }
        }
    }

    private static DpSgd cnnEngine(Module m, long noiseSeed) {
        return new DpSgd(m, new SGD(m.parameters(), 0.5, 0.9, 0, 0, false), new DpSgd.Config(0.3, 0.5, 0.5, DpSgdTest.N, 8, DpSgd.Clipping.FLAT),
                new GaussianNoise(RandomSource.deterministic(noiseSeed, "noise")));
    }

    private static float[][] cnnAfterTwoSteps(Backend backend, Tensor x, int[] batch) throws IOException {
        try (Scope s = Backends.use(backend)) {
            Module m = DpSgdTest.model(2);
            DpSgd e = cnnEngine(m, 3);
            e.step(0, batch, DpSgdTest.losses(m, x));
            e.step(1, batch, DpSgdTest.losses(m, x));
            List<Parameter> ps = m.parameters();
            float[][] out = new float[ps.size()][];
            for (int i = 0; i < out.length; i++) out[i] = ps.get(i).value().toArray();
            return out;
        }
    }

    private static Transfers cnnTransfers(EmulatedCuda emu, Tensor x, int[] batch) throws IOException {
        try (Scope s = Backends.use(emu.backend())) {
            Module m = DpSgdTest.model(2);
            DpSgd e = cnnEngine(m, 3);
            return transfersOfSecondStep(emu, k -> e.step(k, batch, DpSgdTest.losses(m, x)));
        }
    }

    @Test
    void aDpGanDiscriminatorStepWithItsPublicGradientStaysOnTheDevice() throws Exception {
        GanConfig gan = new GanConfig(64, 16, 2, 2, 4, GanConfig.Norm.INSTANCE, GanConfig.Norm.INSTANCE, GanConfig.RealRange.SIGNED);
        Tensor real = uniform(new Rng(3), 6, 1, 64, 64), fake = uniform(new Rng(4), 6, 1, 64, 64);
        int[] labels = {0, 1, 0, 1, 1, 0};
        try (EmulatedCuda emu = EmulatedCuda.startOrSkip(); Scope s = Backends.use(emu.backend())) {
            Discriminator d = new Discriminator(gan, new Rng(7));
            Function<int[], Variable> losses = idx -> {
                int[] y = new int[idx.length];
                for (int i = 0; i < idx.length; i++) y[i] = labels[idx[i]];
                return NnOps.binaryCrossEntropy(d.forward(Variable.constant(rows(real, idx)), y), Tensor.full(0.9f, idx.length));
            };
            Runnable publicGradient = () -> Ops.sum(NnOps.binaryCrossEntropy(d.forward(Variable.constant(fake), labels), Tensor.zeros(6)), false).backward();
            DpSgd e = new DpSgd(d, new Adam(d.parameters(), 2e-4), new DpSgd.Config(0.8, 1.0, 0.5, 6, 3, DpSgd.Clipping.FLAT),
                    new GaussianNoise(RandomSource.deterministic(8, "noise")));
            // Two chunks of 3 (images, BCE targets each), then the fake images and their targets.
            assertCounts("GAN discriminator", 6, 0, 2, transfersOfSecondStep(emu, k -> e.step(k, new int[] {0, 1, 3, 4}, losses, publicGradient)));
            for (Parameter p : d.parameters()) assertTrue(p.value().isOnDevice(), "parameters stay on the device");
        }
    }

    @Test
    void aFullModelSwinStepStaysOnTheDevice() throws Exception {
        Tensor images = uniform(new Rng(12), 4, 3, 32, 32);
        int[] classes = {0, 1, 1, 0};
        try (EmulatedCuda emu = EmulatedCuda.startOrSkip(); Scope s = Backends.use(emu.backend())) {
            SwinTransformer swin = (SwinTransformer) new ModelSpec(ModelSpec.preset("tiny"), SwinTransformer.Head.MLP, 2).build(new Rng(11)).eval();
            Function<int[], Variable> losses = idx -> {
                int[] y = new int[idx.length];
                for (int i = 0; i < idx.length; i++) y[i] = classes[idx[i]];
                return NnOps.crossEntropy(swin.forward(Variable.constant(rows(images, idx))), y, 0.1f);
            };
            DpSgd e = new DpSgd(swin, new AdamW(swin.parameters(), 1e-3), new DpSgd.Config(1.0, 0.5, 0.5, 4, 3, DpSgd.Clipping.FLAT),
                    new GaussianNoise(RandomSource.deterministic(13, "noise")));
            // Two chunks (3 + 1 examples): images and targets each.
            assertCounts("tiny Swin", 4, 0, 2, transfersOfSecondStep(emu, k -> e.step(k, new int[] {0, 1, 2, 3}, losses)));
        }
    }
}
