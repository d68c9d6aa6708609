package org.dpmammo.train.gan;

import org.dpmammo.autograd.NnOps;
import org.dpmammo.autograd.Ops;
import org.dpmammo.autograd.Variable;
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

        Variable fake = s.generator.forward(Variable.constant(Tensor.of(z, b, nz, 1, 1)), fakeLabels);

        s.optD.zeroGrad();
        Variable pReal = s.discriminator.forward(Variable.constant(real), labels);
        Variable pFake = s.discriminator.forward(fake.detach(), fakeLabels);
        Variable lossD = Ops.add(bce(pReal, Tensor.of(smooth, b)), bce(pFake, Tensor.zeros(b)));
        lossD.backward();
        s.optD.step();

        // D is frozen for G's step: its weight gradients would be thrown away, so they are not computed at all.
        s.discriminator.setFrozen(true);
        try {
            s.optG.zeroGrad();
            Variable pGen = s.discriminator.forward(fake, fakeLabels);
            Variable lossG = bce(pGen, Tensor.full(1f, b));
            lossG.backward();
            s.optG.step();
            return new Result(lossD.value().item(), lossG.value().item(), mean(pReal), mean(pFake), mean(pGen));
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
