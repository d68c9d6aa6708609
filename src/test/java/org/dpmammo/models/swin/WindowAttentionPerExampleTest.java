package org.dpmammo.models.swin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.dpmammo.autograd.Grad;
import org.dpmammo.autograd.Ops;
import org.dpmammo.autograd.Variable;
import org.dpmammo.nn.PerExample;
import org.dpmammo.tensor.Tensor;
import org.dpmammo.util.Rng;
import org.dpmammo.util.Scope;
import org.junit.jupiter.api.Test;

/**
 * The relative-position bias table's gradient rules: the summed rule against central finite differences, the
 * per-example rule against one ordinary backward per example. An 8×8 grid with window 4 and shift 2, so the masked
 * (shifted) path and several windows per example are exercised.
 */
class WindowAttentionPerExampleTest {
    static final int N = 3, GRID = 8, DIM = 8, HEADS = 2, WINDOW = 4, SHIFT = 2;

    static Tensor random(Rng rng, int... shape) {
        Tensor x = Tensor.zeros(shape);
        for (int i = 0; i < x.numel(); i++) x.data()[i] = (float) rng.uniform(-1, 1);
        return x;
    }

    static WindowAttention attention() {
        WindowAttention a = new WindowAttention(DIM, HEADS, WINDOW, SHIFT, new Rng(11));
        // A table far from zero, so that bias differences matter to the softmax.
        Tensor t = random(new Rng(12), a.relativePositionBiasTable.value().shape());
        System.arraycopy(t.data(), 0, a.relativePositionBiasTable.value().data(), 0, t.numel());
        return a;
    }

    /** Σ out ⊙ R over the given examples: a scalar that reaches every output element. */
    static Variable loss(WindowAttention a, Tensor x, Tensor r) {
        return Ops.sum(Ops.mul(a.forward(Variable.constant(x)), Variable.constant(r)), false);
    }

    @Test
    void summedTableGradientMatchesFiniteDifferences() {
        WindowAttention a = attention();
        Tensor x = random(new Rng(1), N, GRID, GRID, DIM), r = random(new Rng(2), N, GRID, GRID, DIM);
        loss(a, x, r).backward();
        float[] analytic = a.relativePositionBiasTable.grad().toArray();
        float[] table = a.relativePositionBiasTable.value().data();
        double worst = 0;
        try (Scope s = Grad.noGrad()) {
            for (int e = 0; e < table.length; e++) {
                float base = table[e];
                double h = 1e-2;
                double[] f = new double[4];
                double[] steps = {h, -h, h / 2, -h / 2};
                for (int k = 0; k < 4; k++) {
                    table[e] = (float) (base + steps[k]);
                    f[k] = loss(a, x, r).value().item();
                }
                table[e] = base;
                // Richardson: (4·D(h/2) − D(h)) / 3 cancels the h² term of the central difference.
                double numeric = (4 * (f[2] - f[3]) / h - (f[0] - f[1]) / (2 * h)) / 3;
                worst = Math.max(worst, Math.abs(analytic[e] - numeric) / Math.max(1, Math.abs(numeric)));
            }
        }
        assertTrue(worst < 2e-3, "worst finite-difference error " + worst);
    }

    @Test
    void perExampleTableGradientsEqualSingleExampleBackward() {
        WindowAttention a = attention();
        Tensor x = random(new Rng(3), N, GRID, GRID, DIM), r = random(new Rng(4), N, GRID, GRID, DIM);
        List<Tensor> g = new ArrayList<>();
        a.setGradientSink((layer, act, grad) -> {
            assertEquals(N, act.size(0));
            g.add(grad);
        });
        loss(a, x, r).backward();
        a.setGradientSink(null);
        assertEquals(1, g.size(), "the sink is called once per application");
        assertTrue(a.relativePositionBiasTable.grad() == null, "with a sink the summed gradient is not formed");
        PerExample.Norms norms = a.perExampleNorms(Tensor.zeros(N, 0), g.get(0));
        float[] perExample = norms.perExampleGrads()[0].toArray();
        int size = a.relativePositionBiasTable.value().numel();
        assertEquals(N * size, perExample.length);
        for (int i = 0; i < N; i++) {
            a.zeroGrad();
            loss(a, x.slice(0, i, i + 1).contiguous(), r.slice(0, i, i + 1).contiguous()).backward();
            float[] want = a.relativePositionBiasTable.grad().toArray();
            double sq = 0, scale = 0;
            for (float v : want) {
                sq += (double) v * v;
                scale = Math.max(scale, Math.abs(v));
            }
            assertTrue(scale > 1e-3, "example " + i + " has a vanishing table gradient; the comparison would be vacuous");
            for (int k = 0; k < size; k++) assertEquals(want[k], perExample[i * size + k], 1e-5 * scale, "example " + i + ", element " + k);
            assertEquals(sq, norms.sqNorms().get(i), 1e-4 * sq, "example " + i + " squared norm");
        }
    }
}
