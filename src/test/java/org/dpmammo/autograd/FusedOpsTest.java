package org.dpmammo.autograd;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.Function;
import org.dpmammo.check.BackendCheck;
import org.dpmammo.tensor.Tensor;
import org.dpmammo.util.Rng;
import org.junit.jupiter.api.Test;

/** Each fused op gives the values and input gradients of the composed ops it replaces. */
class FusedOpsTest {
    private static Tensor uniform(Rng rng, float lo, float hi, int... shape) {
        Tensor t = Tensor.zeros(shape);
        float[] d = t.data();
        for (int i = 0; i < d.length; i++) d[i] = (float) rng.uniform(lo, hi);
        return t;
    }

    /** Runs f on fresh leaves of the inputs, backpropagates ⟨f(x), g⟩ and returns the output and every input gradient. */
    private static Tensor[] valueAndGrads(Function<Variable[], Variable> f, Tensor g, Tensor... inputs) {
        Variable[] leaves = new Variable[inputs.length];
        for (int i = 0; i < inputs.length; i++) leaves[i] = new Variable(inputs[i].copy(), true);
        Variable y = f.apply(leaves);
        Ops.sum(Ops.mul(y, Variable.constant(g)), false).backward();
        Tensor[] out = new Tensor[inputs.length + 1];
        out[0] = y.value();
        for (int i = 0; i < inputs.length; i++) out[i + 1] = leaves[i].grad();
        return out;
    }

    private static void assertSame(Tensor[] fused, Tensor[] composed, double tol, String what) {
        for (int i = 0; i < fused.length; i++) {
            double err = BackendCheck.error(fused[i], composed[i]);
            int k = i;
            assertTrue(err <= tol, () -> what + (k == 0 ? " value" : " gradient " + k) + ": error " + err);
        }
    }

    @Test
    void layerNormMatchesTheComposedNormalisation() {
        Rng rng = new Rng(7);
        for (int[] shape : new int[][] {{2, 5, 96}, {3, 7}, {1, 4, 6, 8}}) {
            Tensor x = uniform(rng, -3, 5, shape), g = uniform(rng, -1, 1, shape);
            Tensor[] fused = valueAndGrads(v -> NnOps.normalizeLast(v[0], 1e-5f, 1), g, x);
            Tensor[] composed = valueAndGrads(v -> NnOps.normalize(v[0], 1e-5f, -1), g, x);
            assertSame(fused, composed, 2e-5, "layer norm " + java.util.Arrays.toString(shape));
        }
        Tensor x = uniform(rng, -2, 2, 2, 3, 4, 5), g = uniform(rng, -1, 1, 2, 3, 4, 5);
        assertSame(valueAndGrads(v -> NnOps.normalizeLast(v[0], 1e-5f, 2), g, x),
                valueAndGrads(v -> NnOps.normalize(v[0], 1e-5f, 2, 3), g, x), 2e-5, "two trailing axes");
    }
}
