package org.dpmammo.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.dpmammo.autograd.NnOps;
import org.dpmammo.autograd.Ops;
import org.dpmammo.autograd.Variable;
import org.dpmammo.tensor.Tensor;
import org.dpmammo.util.Rng;

/**
 * The linear-form per-example rules against the obviously-correct loop: B separate single-example backward passes
 * through a linear layer over a token axis.
 */
class LinearFormProperties {
    static Tensor random(Rng rng, int... shape) {
        Tensor t = Tensor.zeros(shape);
        for (int i = 0; i < t.numel(); i++) t.data()[i] = (float) rng.uniform(-1, 1);
        return t;
    }

    /** The weight and bias gradient of example i alone, by autograd: y = x_i·Wᵀ + b, loss Σ y ⊙ G_i. */
    static Tensor[] singleExampleGrads(Tensor a, Tensor g, Tensor w, int i) {
        int t = a.size(1), d = a.size(2), p = g.size(2);
        Variable wv = new Variable(w, true), bv = new Variable(Tensor.zeros(p), true);
        Variable x = Variable.constant(a.slice(0, i, i + 1).reshape(t, d));
        Variable y = NnOps.linear(x, wv, bv);
        Ops.sum(Ops.mul(y, Variable.constant(g.slice(0, i, i + 1).reshape(t, p))), false).backward();
        return new Tensor[] {wv.grad(), bv.grad()};
    }

    static double sqNorm(Tensor t) {
        double s = 0;
        for (float v : t.toArray()) s += (double) v * v;
        return s;
    }

    @Property(tries = 60)
    void normsAndClippedSumsMatchTheSingleExampleLoop(@ForAll @IntRange(min = 0, max = 6) int b, @ForAll @IntRange(min = 1, max = 7) int t,
            @ForAll @IntRange(min = 1, max = 9) int d, @ForAll @IntRange(min = 1, max = 9) int p, @ForAll long seed) {
        Rng rng = new Rng(seed);
        Tensor a = random(rng, b, t, d), g = random(rng, b, t, p), w = random(rng, p, d);
        float[] c = new float[b];
        for (int i = 0; i < b; i++) c[i] = (float) rng.uniform(0, 1);
        float[] ghost = PerExample.weightSqNormsGhost(a, g).toArray(), mat = PerExample.weightSqNormsMaterialised(a, g).toArray();
        float[] bias = PerExample.biasSqNorms(g).toArray();
        double[] sumW = new double[p * d], sumB = new double[p];
        for (int i = 0; i < b; i++) {
            Tensor[] ref = singleExampleGrads(a, g, w, i);
            double nw = sqNorm(ref[0]);
            assertEquals(nw, ghost[i], 1e-4 * Math.max(1, nw), "ghost norm of example " + i);
            assertEquals(nw, mat[i], 1e-4 * Math.max(1, nw), "materialised norm of example " + i);
            assertEquals(sqNorm(ref[1]), bias[i], 1e-4 * Math.max(1, sqNorm(ref[1])), "bias norm of example " + i);
            float[] gw = ref[0].toArray(), gb = ref[1].toArray();
            for (int k = 0; k < gw.length; k++) sumW[k] += c[i] * gw[k];
            for (int k = 0; k < gb.length; k++) sumB[k] += c[i] * gb[k];
        }
        float[] clippedW = PerExample.clippedWeightSum(a, g, Tensor.of(c, b)).toArray(), clippedB = PerExample.clippedBiasSum(g, Tensor.of(c, b)).toArray();
        for (int k = 0; k < sumW.length; k++) assertEquals(sumW[k], clippedW[k], 1e-4, "clipped weight sum element " + k);
        for (int k = 0; k < sumB.length; k++) assertEquals(sumB[k], clippedB[k], 1e-4, "clipped bias sum element " + k);
    }
}
