package org.dpmammo.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dpmammo.autograd.Variable;
import org.dpmammo.tensor.Tensor;
import org.dpmammo.util.Rng;

/** Random test tensors and closeness assertions. */
public final class TestTensors {
    private TestTensors() {}

    public static Tensor randn(Rng rng, int... shape) {
        Tensor t = Tensor.zeros(shape);
        float[] d = t.data();
        for (int i = 0; i < d.length; i++) d[i] = (float) rng.nextGaussian();
        return t;
    }

    public static Tensor uniform(Rng rng, double lo, double hi, int... shape) {
        Tensor t = Tensor.zeros(shape);
        float[] d = t.data();
        for (int i = 0; i < d.length; i++) d[i] = (float) rng.uniform(lo, hi);
        return t;
    }

    /** A random input leaf that requires a gradient. */
    public static Variable input(Rng rng, int... shape) {
        return new Variable(randn(rng, shape), true);
    }

    /** |actual − expected| ≤ atol + rtol·|expected| everywhere, with the same shape. */
    public static void assertClose(double[] expected, Tensor actual, double rtol, double atol, String what) {
        float[] a = actual.toArray();
        assertTrue(a.length == expected.length, what + ": " + a.length + " values, expected " + expected.length);
        for (int i = 0; i < a.length; i++) {
            double tol = atol + rtol * Math.abs(expected[i]);
            if (!(Math.abs(a[i] - expected[i]) <= tol)) {
                throw new AssertionError(what + ": element " + i + " is " + a[i] + ", expected " + expected[i] + " (tolerance " + tol + ")");
            }
        }
    }

    public static void assertShape(Tensor t, int... shape) {
        assertArrayEquals(shape, t.shape());
    }
}
