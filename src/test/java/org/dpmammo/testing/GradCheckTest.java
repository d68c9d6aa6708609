package org.dpmammo.testing;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.dpmammo.autograd.Grad;
import org.dpmammo.autograd.Ops;
import org.dpmammo.autograd.Variable;
import org.dpmammo.tensor.Tensor;
import org.dpmammo.util.Rng;
import org.junit.jupiter.api.Test;

/** The checker must be able to fail: a gradient off by a few percent, or missing one term, is caught. */
class GradCheckTest {
    /** y = x·x with a backward scaled by (1 + error). */
    private static Variable square(Variable x, double error) {
        float[] v = x.value().toArray();
        float[] y = new float[v.length];
        for (int i = 0; i < v.length; i++) y[i] = v[i] * v[i];
        return Grad.record("square", Tensor.of(y, x.shape()), g -> {
            float[] gd = g.toArray();
            float[] dx = new float[v.length];
            for (int i = 0; i < v.length; i++) dx[i] = (float) (2 * v[i] * gd[i] * (1 + error));
            return new Tensor[] {Tensor.of(dx, x.shape())};
        }, x);
    }

    @Test
    void correctGradientPasses() {
        Variable x = TestTensors.input(new Rng(1), 4, 5);
        GradCheck.Result r = GradCheck.run(() -> square(x, 0), List.of(x), 1e-2);
        assertTrue(r.passed(), r.toString());
    }

    @Test
    void gradientOffByFivePercentFails() {
        Variable x = TestTensors.input(new Rng(2), 4, 5);
        assertFalse(GradCheck.run(() -> square(x, 0.05), List.of(x), 1e-2).passed());
    }

    @Test
    void missingTermFails() {
        // a + a·b with the product's path cut: the analytic gradient lacks the b term that the numeric one sees.
        Rng rng = new Rng(3);
        Variable a = TestTensors.input(rng, 3, 3);
        Variable b = Variable.constant(TestTensors.randn(rng, 3, 3));
        assertTrue(GradCheck.run(() -> Ops.add(a, Ops.mul(a, b)), List.of(a), 1e-2).passed());
        assertFalse(GradCheck.run(() -> Ops.add(a, Ops.mul(a.detach(), b)), List.of(a), 1e-2).passed());
    }
}
