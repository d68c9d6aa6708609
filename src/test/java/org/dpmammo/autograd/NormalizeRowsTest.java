package org.dpmammo.autograd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.dpmammo.backend.Backend;
import org.dpmammo.backend.Backends;
import org.dpmammo.backend.ReferenceBackend;
import org.dpmammo.tensor.Tensor;
import org.dpmammo.testing.TestTensors;
import org.dpmammo.util.Rng;
import org.junit.jupiter.api.Test;

/**
 * The fused {@link NnOps#normalizeRows} against the composition it replaces ({@link NnOps#normalize} over the
 * trailing axes), and the CPU backend's fused kernels against the interface's composed default (which the reference
 * backend inherits): same forward bit for bit, gradients within float rounding.
 */
class NormalizeRowsTest {
    /** Shapes [N, C, H, W] with rows of 1, odd, and GAN-sized lengths, including a batch of zero. */
    private static final int[][] SHAPES = {{2, 3, 4, 4}, {1, 5, 3, 7}, {3, 2, 1, 1}, {8, 4, 32, 32}, {0, 3, 2, 2}};

    @Test
    void fusedOpMatchesTheComposedNormalisation() {
        Rng rng = new Rng(7);
        for (int[] s : SHAPES) {
            Tensor x = TestTensors.uniform(rng, -2, 5, s), g = TestTensors.randn(rng, s);
            Variable a = new Variable(x, true), b = new Variable(x, true);
            Variable fused = NnOps.normalizeRows(a, 1e-5f, s[2] * s[3]);
            Variable composed = NnOps.normalize(b, 1e-5f, 2, 3);
            assertArrayEquals(composed.value().toArray(), fused.value().toArray(), "forward " + java.util.Arrays.toString(s));
            fused.backward(g);
            composed.backward(g);
            TestTensors.assertClose(toDouble(b.grad()), a.grad(), 1e-4, 1e-5, "gradient " + java.util.Arrays.toString(s));
        }
    }

    @Test
    void cpuKernelsMatchTheComposedDefault() {
        Rng rng = new Rng(8);
        Backend cpu = Backends.cpu(), composed = new ReferenceBackend();
        for (int[] s : SHAPES) {
            int inner = s[2] * s[3];
            // A strided input: the kernels must read views, not assume offset 0.
            Tensor x = TestTensors.randn(rng, s[0], s[1], s[3], s[2]).transpose(2, 3), g = TestTensors.randn(rng, s);
            Tensor[] f = cpu.normalizeRows(x, inner, 1e-3f), c = composed.normalizeRows(x, inner, 1e-3f);
            assertArrayEquals(c[0].toArray(), f[0].toArray(), "y");
            assertArrayEquals(c[1].toArray(), f[1].toArray(), "r");
            Tensor df = cpu.normalizeRowsBackward(f[0], f[1], g, inner), dc = composed.normalizeRowsBackward(c[0], c[1], g, inner);
            TestTensors.assertClose(toDouble(dc), df, 1e-4, 1e-5, "dx " + java.util.Arrays.toString(s));
        }
    }

    @Test
    void rowsMustDivideTheInput() {
        Tensor x = Tensor.zeros(2, 5);
        assertThrows(IllegalArgumentException.class, () -> new ReferenceBackend().normalizeRows(x, 3, 1e-5f));
        assertThrows(IllegalArgumentException.class, () -> Backends.cpu().normalizeRows(x, 3, 1e-5f));
    }

    private static double[] toDouble(Tensor t) {
        float[] a = t.toArray();
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) d[i] = a[i];
        return d;
    }
}
