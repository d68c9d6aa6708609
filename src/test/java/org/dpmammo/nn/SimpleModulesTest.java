package org.dpmammo.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.function.DoubleUnaryOperator;
import org.dpmammo.autograd.Variable;
import org.dpmammo.tensor.Tensor;
import org.dpmammo.testing.GradCheck;
import org.dpmammo.testing.TestTensors;
import org.dpmammo.util.Rng;
import org.junit.jupiter.api.Test;

class SimpleModulesTest {
    /** Inputs kept at least 0.1 away from 0, so finite differences never straddle the kink of ReLU-like functions. */
    private static Tensor awayFromZero(Rng rng, int... shape) {
        Tensor t = TestTensors.randn(rng, shape);
        float[] d = t.data();
        for (int i = 0; i < d.length; i++) d[i] = d[i] >= 0 ? d[i] + 0.1f : d[i] - 0.1f;
        return t;
    }

    private static void checkElementwise(Module m, DoubleUnaryOperator f, long seed) {
        Rng rng = new Rng(seed);
        Tensor x = awayFromZero(rng, 3, 4);
        double[] ref = new double[x.numel()];
        float[] xd = x.toArray();
        for (int i = 0; i < ref.length; i++) ref[i] = f.applyAsDouble(xd[i]);
        TestTensors.assertClose(ref, m.forward(Variable.constant(x)).value(), 1e-5, 1e-6, m.getClass().getSimpleName());
        Variable xv = new Variable(x, true);
        GradCheck.Result r = GradCheck.run(() -> m.forward(xv), List.of(xv), 1e-2);
        assertTrue(r.passed(), m.getClass().getSimpleName() + ": " + r);
    }

    @Test
    void activations() {
        checkElementwise(new ReLU(), x -> Math.max(0, x), 50);
        checkElementwise(new LeakyReLU(0.1f), x -> x >= 0 ? x : 0.1 * x, 51);
        checkElementwise(new LeakyReLU(), x -> x >= 0 ? x : 0.01 * x, 52);
        checkElementwise(new Tanh(), Math::tanh, 53);
        checkElementwise(new Sigmoid(), x -> 1 / (1 + Math.exp(-x)), 54);
        // GELU(x) = x·Φ(x): checked through the identity GELU(x) − GELU(−x) = x·(Φ(x) + Φ(−x)) = x and known values.
        Module gelu = new GELU();
        Rng rng = new Rng(55);
        Tensor x = awayFromZero(rng, 3, 4);
        float[] plus = gelu.forward(Variable.constant(x)).value().toArray();
        Tensor neg = Tensor.of(x.toArray(), 3, 4);
        for (int i = 0; i < neg.data().length; i++) neg.data()[i] = -neg.data()[i];
        float[] minus = gelu.forward(Variable.constant(neg)).value().toArray();
        for (int i = 0; i < plus.length; i++) assertEquals(x.toArray()[i], plus[i] - minus[i], 1e-5);
        // GELU(1) = Φ(1) = 0.8413447460685429 and GELU(−2) = −2·Φ(−2) = −0.04550026389635842 (standard normal CDF).
        Tensor probes = gelu.forward(Variable.constant(Tensor.of(new float[] {1f, -2f}, 2))).value();
        TestTensors.assertClose(new double[] {0.8413447460685429, -0.04550026389635842}, probes, 1e-5, 1e-7, "GELU at 1 and −2");
        Variable xv = new Variable(x, true);
        assertTrue(GradCheck.run(() -> gelu.forward(xv), List.of(xv), 1e-2).passed());
    }

    @Test
    void identityAndFlatten() {
        Variable x = Variable.constant(TestTensors.randn(new Rng(56), 2, 3, 4, 5));
        assertSame(x, new Identity().forward(x));
        TestTensors.assertShape(new Flatten().forward(x).value(), 2, 60);
        TestTensors.assertShape(new Flatten(1, 2).forward(x).value(), 2, 12, 5);
        TestTensors.assertShape(new Flatten(0, -1).forward(x).value(), 120);
        assertThrows(IllegalArgumentException.class, () -> new Flatten(2, 1).forward(x));
    }

    @Test
    void dropoutTrainsAndEvaluates() {
        Dropout d = new Dropout(0.25f, new Rng(57));
        Tensor ones = Tensor.full(1f, 4000);
        float[] y = d.forward(Variable.constant(ones)).value().toArray();
        int zeros = 0;
        for (float v : y) {
            if (v == 0) zeros++;
            else assertEquals(1 / 0.75, v, 1e-6, "kept values are scaled by 1/(1 − p)");
        }
        // 4000 Bernoulli(0.25) draws: mean 1000, standard deviation about 27.
        assertEquals(1000, zeros, 120);
        d.eval();
        assertSame(d.forward(Variable.constant(ones)).value(), ones, "dropout is the identity in eval mode");
    }

    @Test
    void dropPathDropsWholeExamples() {
        DropPath dp = new DropPath(0.5f, new Rng(58));
        Tensor x = Tensor.full(1f, 64, 3, 2);
        float[] y = dp.forward(Variable.constant(x)).value().toArray();
        int dropped = 0;
        for (int n = 0; n < 64; n++) {
            float first = y[n * 6];
            for (int j = 1; j < 6; j++) assertEquals(first, y[n * 6 + j], "one decision per example");
            assertTrue(first == 0 || first == 2f);
            if (first == 0) dropped++;
        }
        assertTrue(dropped > 10 && dropped < 54, "dropped " + dropped + " of 64");
        dp.eval();
        assertSame(x, dp.forward(Variable.constant(x)).value());
    }

    @Test
    void sequentialChainsItsChildren() {
        Rng rng = new Rng(59);
        Linear a = new Linear(3, 4, rng), b = new Linear(4, 2, rng);
        Sequential s = new Sequential(a, new ReLU()).add(b);
        assertEquals(3, s.size());
        assertSame(b, s.get(2));
        Variable x = Variable.constant(TestTensors.randn(rng, 5, 3));
        Tensor expected = b.forward(new ReLU().forward(a.forward(x))).value();
        TestTensors.assertClose(toDouble(expected.toArray()), s.forward(x).value(), 0, 0, "sequential");
    }

    private static double[] toDouble(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }
}
