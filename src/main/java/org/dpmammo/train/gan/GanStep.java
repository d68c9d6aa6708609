package org.dpmammo.train.gan;

import java.io.IOException;
import java.util.List;
import org.dpmammo.autograd.NnOps;
import org.dpmammo.autograd.Ops;
import org.dpmammo.autograd.Variable;
import org.dpmammo.data.DataLoader;
import org.dpmammo.nn.Parameter;
import org.dpmammo.privacy.dpsgd.DpSgd;
import org.dpmammo.tensor.Tensor;
import org.dpmammo.util.Rng;

/**
 * One iteration of the study's loop (paper.md 2.5): draw fake conditions and z, generate; one Adam step on D with
 * BCE(D(x, c), U(0.7, 1.2)) + BCE(D(G(z, c'), c'), 0); then one Adam step on G with the non-saturating
 * BCE(D(G(z, c'), c'), 1), the same fake batch passed through the updated D.
 */
public final class GanStep {
    /** Losses and mean discriminator outputs of one iteration: D(x), D(G(z)) before D's step, D(G(z)) after it. */
    public record Result(double lossD, double lossG, double dReal, double dFake, double dFakeAfter) {
        public boolean finite() {
            return Double.isFinite(lossD) && Double.isFinite(lossG);
        }
    }

    /** One-sided label smoothing of the real targets (study: U(0.7, 1.2); fake targets stay 0, G's targets 1). */
    public static final double SMOOTH_LO = 0.7, SMOOTH_HI = 1.2;

    private GanStep() {}

    /** Runs one D step and one G step on real images [B, 1, S, S] (already in the model's range) and their labels. */
    public static Result run(GanState s, Tensor real, int[] labels, Rng rng) {
        int b = labels.length, nz = s.config.latentSize();
        float[] z = new float[b * nz];
        for (int i = 0; i < z.length; i++) z[i] = (float) rng.nextGaussian();
        int[] fakeLabels = new int[b];
        for (int i = 0; i < b; i++) fakeLabels[i] = rng.nextInt(2);
        float[] smooth = new float[b];
        for (int i = 0; i < b; i++) smooth[i] = (float) rng.uniform(SMOOTH_LO, SMOOTH_HI);
        return run(s, real, labels, Tensor.of(z, b, nz, 1, 1), fakeLabels, smooth);
    }

    /**
     * The same iteration with its random draws given: z [B, nz, 1, 1], the fake labels [B] and the smoothed real
     * targets [B]. Separate so that the iteration can be compared with PyTorch on fixed draws
     * (GanTorchFixtureTest).
     */
    public static Result run(GanState s, Tensor real, int[] labels, Tensor z, int[] fakeLabels, float[] smooth) {
        int b = labels.length;
        Variable fake = s.generator.forward(Variable.constant(z), fakeLabels);

        s.optD.zeroGrad();
        Variable pReal = s.discriminator.forward(Variable.constant(real), labels);
        Variable pFake = s.discriminator.forward(fake.detach(), fakeLabels);
        Variable lossD = Ops.add(bce(pReal, Tensor.of(smooth, b)), bce(pFake, Tensor.zeros(b)));
        lossD.backward();
        s.optD.step();

        double[] g = generatorStep(s, fake, fakeLabels);
        return new Result(lossD.value().item(), g[0], mean(pReal), mean(pFake), g[1]);
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
     * clipped real part. Generated images are a function of G, which has only ever seen D's released parameters,
     * and of fresh z: that part reads no record, so it joins without noise (see
     * {@link DpSgd#step(long, int[], java.util.function.Function, Runnable)}). The G step reads no record either: G
     * is post-processing of the private D.
     *
     * <p>{@code dReal} is NaN when the Poisson batch is empty (it still is a step: noise is added and spent).
     */
    public static Result runDp(GanState s, DpSgd dp, long step, int[] batch, RealBatches real, int fakeBatch, Rng rng) throws IOException {
        int nz = s.config.latentSize();
        float[] z = new float[fakeBatch * nz];
        for (int i = 0; i < z.length; i++) z[i] = (float) rng.nextGaussian();
        int[] fakeLabels = new int[fakeBatch];
        for (int i = 0; i < fakeBatch; i++) fakeLabels[i] = rng.nextInt(2);
        Variable fake = s.generator.forward(Variable.constant(Tensor.of(z, fakeBatch, nz, 1, 1)), fakeLabels);

        double[] realSums = new double[2]; // Σ loss, Σ D(x) over the realised batch
        double[] fakeStats = new double[2]; // mean loss, mean D(G(z))
        // One smoothing target per example of the batch, drawn in batch order before any chunk runs, so the
        // physical chunking cannot change which example gets which target.
        float[] smooth = new float[batch.length];
        for (int i = 0; i < smooth.length; i++) smooth[i] = (float) rng.uniform(SMOOTH_LO, SMOOTH_HI);
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
            // The private part holds the noisy real-image gradient; set it aside to take the fake one alone.
            List<Parameter> params = s.discriminator.trainableParameters();
            Tensor[] privateGrads = new Tensor[params.size()];
            for (int k = 0; k < privateGrads.length; k++) {
                privateGrads[k] = params.get(k).grad();
                params.get(k).zeroGrad();
            }
            Variable pFake = s.discriminator.forward(fake.detach(), fakeLabels);
            Variable lossFake = bce(pFake, Tensor.zeros(fakeBatch));
            lossFake.backward();
            fakeStats[0] = lossFake.value().item();
            fakeStats[1] = mean(pFake);
            float scale = fakeGradientScale(params, dp.config().maxGradNorm());
            for (int k = 0; k < privateGrads.length; k++) {
                float[] total = privateGrads[k].toArray().clone();
                Tensor fg = params.get(k).grad();
                if (fg != null) {
                    float[] f = fg.toArray();
                    for (int t = 0; t < total.length; t++) total[t] += scale * f[t];
                }
                params.get(k).setGrad(Tensor.of(total, params.get(k).value().shapeRef()));
            }
        });

        double[] g = generatorStep(s, fake, fakeLabels);
        double realLoss = batch.length == 0 ? 0 : realSums[0] / batch.length;
        double dReal = batch.length == 0 ? Double.NaN : realSums[1] / batch.length;
        return new Result(realLoss + fakeStats[0], g[0], dReal, fakeStats[1], g[1]);
    }

    /**
     * The factor that brings the fake-image gradient to norm at most C. The real-image part is a mean of gradients
     * clipped to C, so left alone the fake part outweighs it: on CBIS-DDSM at ε = 10 and batch 8, D learned to call
     * every image fake within two epochs (D(x) 3e-4). Clipping it is a choice about balance, not privacy (it reads no
     * record either way).
     */
    private static float fakeGradientScale(List<Parameter> params, double c) {
        double sq = 0;
        for (Parameter p : params) {
            if (p.grad() == null) continue;
            for (float v : p.grad().toArray()) sq += (double) v * v;
        }
        return (float) Math.min(1.0, c / (Math.sqrt(sq) + 1e-6));
    }

    /**
     * G's step through the updated D; returns G's loss and the mean D(G(z)). D is frozen for it: its weight gradients
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
