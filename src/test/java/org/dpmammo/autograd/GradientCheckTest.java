package org.dpmammo.autograd;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dpmammo.check.GradChecks;
import org.dpmammo.tensor.Tensor;
import org.dpmammo.util.Rng;
import org.junit.jupiter.api.Test;

/**
 * The checker behind GradientProperties and the self-test must be able to fail: a backward off by a few percent, one
 * that drops an input's term, or one that returns NaN is reported at the tolerance the property uses.
 */
class GradientCheckTest {
    /** y = a·b elementwise, with a backward that scales da by (1 + error) and gives b's gradient only if asked. */
    private static Variable product(Variable a, Variable b, double error, boolean dropB) {
        float[] av = a.value().toArray();
        float[] bv = b.value().toArray();
        float[] y = new float[av.length];
        for (int i = 0; i < y.length; i++) y[i] = av[i] * bv[i];
        return Grad.record("product", Tensor.of(y, a.shape()), g -> {
            float[] gd = g.toArray();
            float[] da = new float[av.length];
            float[] db = new float[av.length];
            for (int i = 0; i < y.length; i++) {
                da[i] = (float) (bv[i] * gd[i] * (1 + error));
                db[i] = dropB ? 0 : av[i] * gd[i];
            }
            return new Tensor[] {Tensor.of(da, a.shape()), Tensor.of(db, b.shape())};
        }, a, b);
    }

    private static Tensor[] inputs(long seed) {
        Rng r = new Rng(seed);
        float[] a = new float[12];
        float[] b = new float[12];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) r.uniform(-2, 2);
            b[i] = (float) r.uniform(-2, 2);
        }
        return new Tensor[] {Tensor.of(a, 3, 4), Tensor.of(b, 3, 4)};
    }

    private static GradientCheck.Result check(double error, boolean dropB) {
        return GradientCheck.check(v -> product(v[0], v[1], error, dropB), inputs(3), new boolean[] {true, true}, 64, 7);
    }

    @Test
    void aCorrectBackwardPasses() {
        GradientCheck.Result r = check(0, false);
        assertTrue(r.passed(GradChecks.TOLERANCE), r.where());
    }

    @Test
    void aBackwardOffByFivePercentFails() {
        GradientCheck.Result r = check(0.05, false);
        assertFalse(r.passed(GradChecks.TOLERANCE), r.maxError() + " at " + r.where());
        assertTrue(r.where().startsWith("input 0"), r.where());
    }

    @Test
    void aMissingInputTermFails() {
        GradientCheck.Result r = check(0, true);
        assertFalse(r.passed(GradChecks.TOLERANCE), r.maxError() + " at " + r.where());
        assertTrue(r.where().startsWith("input 1"), r.where());
    }

    @Test
    void aNaNGradientFails() {
        GradientCheck.Result r = check(Double.NaN, false);
        assertFalse(r.passed(GradChecks.TOLERANCE));
    }
}
