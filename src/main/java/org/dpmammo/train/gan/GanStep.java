package org.dpmammo.train.gan;

import java.io.IOException;
import org.dpmammo.autograd.NnOps;
import org.dpmammo.autograd.Ops;
import org.dpmammo.autograd.Variable;
import org.dpmammo.data.DataLoader;
import org.dpmammo.privacy.dpsgd.DpSgd;
import org.dpmammo.tensor.Tensor;
import org.dpmammo.util.Rng;

/**
 * One iteration of the study's loop (docs/STUDY.md §2.5): draw fake conditions and z, generate; one Adam step on D with
 * BCE(D(x, c), U(0.7, 1.2)) + BCE(D(G(z, c'), c'), 0); then one Adam step on G with the non-saturating
 * BCE(D(G(z, c'), c'), 1), the same fake batch passed through the updated D. With several D steps per G step
 * ({@code --d-steps}), an iteration may end after D's step: G's loss and D(G(z)) after D's step are then NaN.
 */
public final class GanStep {
    /**
     * Losses and mean discriminator outputs of one iteration: D(x), D(G(z)) before D's step, D(G(z)) after it;
     * {@code generatorStepped} false when the iteration was D's step alone (lossG and dFakeAfter NaN).
     */
    public record Result(double lossD, double lossG, double dReal, double dFake, double dFakeAfter, boolean generatorStepped) {
        public boolean finite() {
            return Double.isFinite(lossD) && (!generatorStepped || Double.isFinite(lossG));
        }
    }

    /** One-sided label smoothing of the real targets (study: U(0.7, 1.2); fake targets stay 0, G's targets 1). */
    public static final double SMOOTH_LO = 0.7, SMOOTH_HI = 1.2;

    private GanStep() {}

    /** Runs one D step and one G step on real images [B, 1, S, S] (already in the model's range) and their labels. */
    public static Result run(GanState s, Tensor real, int[] labels, Rng rng) {
        return run(s, real, labels, rng, true);
    }

    /** One D step on the batch, then G's step only if {@code stepGenerator}. */
    public static Result run(GanState s, Tensor real, int[] labels, Rng rng, boolean stepGenerator) {
        int b = labels.length;
        Tensor z = latent(rng, b, s.config.latentSize());
        int[] fakeLabels = fakeLabels(rng, b);
        return run(s, real, labels, z, fakeLabels, smoothTargets(rng, b), stepGenerator);
    }

    /** z [B, nz, 1, 1] from N(0, 1). */
    private static Tensor latent(Rng rng, int b, int nz) {
        float[] z = new float[b * nz];
        for (int i = 0; i < z.length; i++) z[i] = (float) rng.nextGaussian();
        return Tensor.of(z, b, nz, 1, 1);
    }

    /** Conditions of the generated images, uniform over both classes. */
    private static int[] fakeLabels(Rng rng, int b) {
        int[] labels = new int[b];
        for (int i = 0; i < b; i++) labels[i] = rng.nextInt(2);
        return labels;
    }

    /** One-sided smoothed targets of n real images, U(SMOOTH_LO, SMOOTH_HI). */
    private static float[] smoothTargets(Rng rng, int n) {
        float[] t = new float[n];
        for (int i = 0; i < n; i++) t[i] = (float) rng.uniform(SMOOTH_LO, SMOOTH_HI);
        return t;
    }

    /**
     * The same iteration with its random draws given: z [B, nz, 1, 1], the fake labels [B] and the smoothed real
     * targets [B]. Separate so that the iteration can be compared with PyTorch on fixed draws
     * (GanTorchFixtureTest).
     */
    public static Result run(GanState s, Tensor real, int[] labels, Tensor z, int[] fakeLabels, float[] smooth) {
        return run(s, real, labels, z, fakeLabels, smooth, true);
    }

    private static Result run(GanState s, Tensor real, int[] labels, Tensor z, int[] fakeLabels, float[] smooth, boolean stepGenerator) {
        int b = labels.length;
        Variable fake = s.generator.forward(Variable.constant(z), fakeLabels);

        s.optD.zeroGrad();
        Variable[] p = discriminate(s, Variable.constant(real), labels, fake.detach(), fakeLabels);
        Variable pReal = p[0], pFake = p[1];
        Variable lossD = Ops.add(bce(pReal, Tensor.of(smooth, b)), bce(pFake, Tensor.zeros(b)));
        lossD.backward();
        s.optD.step();

        double[] g = stepGenerator ? generatorStep(s, fake, fakeLabels) : NO_G_STEP;
        return new Result(lossD.value().item(), g[0], mean(pReal), mean(pFake), g[1], stepGenerator);
    }

    /**
     * D's outputs on the real and on the fake batch. Without BatchNorm, D treats every image on its own, so both
     * batches go through one pass of 2B images: the same values and gradients (up to float summation order), with
     * each layer's weights packed for the multiply once instead of twice — at batch 8 that packing costs about as much
     * as the multiply in the deep layers. BatchNorm normalises real and fake separately in the study's loop, so
     * it keeps two passes.
     */
    static Variable[] discriminate(GanState s, Variable real, int[] labels, Variable fake, int[] fakeLabels) {
        if (s.config.discriminatorNorm().mixesExamples()) {
            return new Variable[] {s.discriminator.forward(real, labels), s.discriminator.forward(fake, fakeLabels)};
        }
        int b = labels.length, n = b + fakeLabels.length;
        int[] all = java.util.Arrays.copyOf(labels, n);
        System.arraycopy(fakeLabels, 0, all, b, fakeLabels.length);
        Variable p = s.discriminator.forward(Ops.concat(0, real, fake), all);
        return new Variable[] {Ops.slice(p, 0, 0, b), Ops.slice(p, 0, b, n)};
    }

    /** Loads the real images and labels of the given example indices (already augmented, in the model's range). */
    @FunctionalInterface
    public interface RealBatches {
        DataLoader.Batch load(int[] indices);
    }

    /**
     * One iteration with a differentially private discriminator step. D's gradient is the DP-SGD estimate of the
     * mean real loss over the Poisson batch {@code batch} (per-example BCE against U(0.7, 1.2), clipped, noised,
     * divided by q·N: {@code dp} does that and records the step in its ledger) plus the ordinary gradient of the
     * mean loss on {@code fakeBatch} generated images, scaled to norm at most C so that it does not outweigh the
     * clipped real part (DpSgd does the scaling). Generated images are a function of G, which has only ever seen D's
     * released parameters, and of fresh z: that part reads no record, so it joins without noise (see
     * {@link DpSgd#step(long, int[], java.util.function.Function, Runnable)}). The G step reads no record either: G
     * is post-processing of the private D.
     *
     * <p>{@code dReal} is NaN when the Poisson batch is empty (it still is a step: noise is added and spent).
     */
    public static Result runDp(GanState s, DpSgd dp, long step, int[] batch, RealBatches real, int fakeBatch, Rng rng) throws IOException {
        return runDp(s, dp, step, batch, real, fakeBatch, rng, true);
    }

    /** The DP iteration with G's step only if {@code stepGenerator}: D's step is a DP step (and spent) either way. */
    public static Result runDp(GanState s, DpSgd dp, long step, int[] batch, RealBatches real, int fakeBatch, Rng rng, boolean stepGenerator) throws IOException {
        Tensor z = latent(rng, fakeBatch, s.config.latentSize());
        int[] fakeLabels = fakeLabels(rng, fakeBatch);
        Variable fake = s.generator.forward(Variable.constant(z), fakeLabels);

        double[] realSums = new double[2]; // Σ loss, Σ D(x) over the realised batch
        double[] fakeStats = new double[2]; // mean loss, mean D(G(z))
        // One smoothing target per example of the batch, drawn in batch order before any chunk runs, so the
        // physical chunking cannot change which example gets which target.
        float[] smooth = smoothTargets(rng, batch.length);
        int[] offset = {0};
        dp.step(step, batch, chunk -> {
            DataLoader.Batch bt = real.load(chunk);
            Variable p = s.discriminator.forward(Variable.constant(bt.images()), bt.labels());
            float[] t = java.util.Arrays.copyOfRange(smooth, offset[0], offset[0] + chunk.length);
            offset[0] += chunk.length;
            Variable losses = NnOps.binaryCrossEntropy(p, Tensor.of(t, chunk.length));
            for (float v : losses.value().toArray()) realSums[0] += v;
            for (float v : p.value().toArray()) realSums[1] += v;
            return losses;
        }, () -> {
            Variable pFake = s.discriminator.forward(fake.detach(), fakeLabels);
            Variable lossFake = bce(pFake, Tensor.zeros(fakeBatch));
            lossFake.backward();
            fakeStats[0] = lossFake.value().item();
            fakeStats[1] = mean(pFake);
        });

        double[] g = stepGenerator ? generatorStep(s, fake, fakeLabels) : NO_G_STEP;
        double realLoss = batch.length == 0 ? 0 : realSums[0] / batch.length;
        double dReal = batch.length == 0 ? Double.NaN : realSums[1] / batch.length;
        return new Result(realLoss + fakeStats[0], g[0], dReal, fakeStats[1], g[1], stepGenerator);
    }

    /** G's loss and D(G(z)) after D's step for an iteration without G's step. */
    private static final double[] NO_G_STEP = {Double.NaN, Double.NaN};

    /**
     * G's step through the updated D (then the EMA of G's weights, if the state keeps one); returns G's loss and the mean D(G(z)). D is frozen for it: its weight gradients
     * would be thrown away, so they are not computed at all.
     */
    private static double[] generatorStep(GanState s, Variable fake, int[] fakeLabels) {
        s.discriminator.setFrozen(true);
        try {
            s.optG.zeroGrad();
            Variable pGen = s.discriminator.forward(fake, fakeLabels);
            Variable lossG = bce(pGen, Tensor.full(1f, fakeLabels.length));
            lossG.backward();
            s.optG.step();
            s.updateEma();
            return new double[] {lossG.value().item(), mean(pGen)};
        } finally {
            s.discriminator.setFrozen(false);
        }
    }

    /** The batch mean of PyTorch's BCELoss. */
    static Variable bce(Variable p, Tensor target) {
        return Ops.mean(NnOps.binaryCrossEntropy(p, target), false, 0);
    }

    private static double mean(Variable v) {
        double s = 0;
        for (float x : v.value().toArray()) s += x;
        return s / v.value().numel();
    }
}
