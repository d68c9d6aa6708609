package org.dpmammo.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.dpmammo.autograd.Variable;
import org.dpmammo.tensor.Tensor;
import org.dpmammo.testing.GradCheck;
import org.dpmammo.testing.PerExampleCheck;
import org.dpmammo.testing.TestTensors;
import org.dpmammo.util.Rng;
import org.junit.jupiter.api.Test;

class LinearTest {
    /** y[r, o] = b[o] + Σ_i x[r, i]·w[o, i], in double. */
    static double[] reference(float[] x, float[] w, float[] b, int rows, int in, int out) {
        double[] y = new double[rows * out];
        for (int r = 0; r < rows; r++) {
            for (int o = 0; o < out; o++) {
                double acc = b == null ? 0 : b[o];
                for (int i = 0; i < in; i++) acc += (double) x[r * in + i] * w[o * in + i];
                y[r * out + o] = acc;
            }
        }
        return y;
    }

    @Test
    void forwardOverLeadingAxesMatchesLoop() {
        Rng rng = new Rng(10);
        Linear lin = new Linear(5, 3, rng);
        Tensor x = TestTensors.randn(rng, 2, 4, 5);
        Variable y = lin.forward(Variable.constant(x));
        TestTensors.assertShape(y.value(), 2, 4, 3);
        double[] ref = reference(x.toArray(), lin.weight.value().toArray(), lin.bias.value().toArray(), 8, 5, 3);
        TestTensors.assertClose(ref, y.value(), 1e-5, 1e-6, "linear forward");
    }

    @Test
    void gradientsMatchFiniteDifferences() {
        Rng rng = new Rng(11);
        Linear lin = new Linear(4, 3, rng);
        Variable x = TestTensors.input(rng, 2, 3, 4);
        GradCheck.Result r = GradCheck.run(() -> lin.forward(x), List.of(x, lin.weight, lin.bias), 1e-2);
        assertTrue(r.passed(), r.toString());
    }

    @Test
    void noBias() {
        Rng rng = new Rng(12);
        Linear lin = new Linear(4, 2, false, rng);
        assertNull(lin.bias);
        assertEquals(List.of("weight"), List.copyOf(lin.namedParameters().keySet()));
        Variable x = TestTensors.input(rng, 3, 4);
        assertTrue(GradCheck.run(() -> lin.forward(x), List.of(x, lin.weight), 1e-2).passed());
    }

    @Test
    void frozenWeightGetsNoGradientButInputDoes() {
        Rng rng = new Rng(13);
        Linear lin = new Linear(4, 3, rng);
        lin.setFrozen(true);
        Variable x = TestTensors.input(rng, 2, 4);
        lin.forward(x).backward(TestTensors.randn(rng, 2, 3));
        assertNull(lin.weight.grad());
        assertNull(lin.bias.grad());
        assertNotNull(x.grad());
        // Nothing to differentiate at all: the op is not recorded.
        assertTrue(!lin.forward(Variable.constant(x.value())).requiresGrad());
    }

    @Test
    void emptyBatchGivesZeroWeightGradient() {
        Rng rng = new Rng(14);
        Linear lin = new Linear(4, 3, rng);
        Variable y = lin.forward(new Variable(Tensor.zeros(0, 4), true));
        TestTensors.assertShape(y.value(), 0, 3);
        y.backward(Tensor.zeros(0, 3));
        TestTensors.assertClose(new double[12], lin.weight.grad(), 0, 0, "weight gradient of an empty batch");
    }

    @Test
    void clippedSumFromSinkEqualsPerExampleLoop() {
        Rng rng = new Rng(15);
        Linear lin = new Linear(4, 3, rng);
        PerExampleCheck.checkClippedSum(lin, t -> lin.forward(Variable.constant(t)), TestTensors.randn(rng, 5, 2, 4), 1);
        PerExampleCheck.checkClippedSum(lin, t -> lin.forward(Variable.constant(t)), TestTensors.randn(rng, 1, 4), 2);
    }

    @Test
    void wrongInputShapeIsRefused() {
        Linear lin = new Linear(4, 3, new Rng(16));
        assertThrows(IllegalArgumentException.class, () -> lin.forward(Variable.constant(Tensor.zeros(2, 5))));
    }
}
