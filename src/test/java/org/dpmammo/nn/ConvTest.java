package org.dpmammo.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.dpmammo.autograd.Variable;
import org.dpmammo.tensor.Tensor;
import org.dpmammo.testing.GradCheck;
import org.dpmammo.testing.PerExampleCheck;
import org.dpmammo.testing.TestTensors;
import org.dpmammo.util.Rng;
import org.junit.jupiter.api.Test;

class ConvTest {
    /** Direct convolution: y[n,o,i,j] = b[o] + Σ x[n,c,i·s−p+u, j·s−p+v]·w[o,c,u,v]. */
    static double[] convReference(Tensor x, Tensor w, Tensor b, int s, int p) {
        int n = x.size(0), c = x.size(1), h = x.size(2), wd = x.size(3), o = w.size(0), k = w.size(2);
        int oh = (h + 2 * p - k) / s + 1, ow = (wd + 2 * p - k) / s + 1;
        double[] y = new double[n * o * oh * ow];
        for (int a = 0; a < n; a++) for (int q = 0; q < o; q++) for (int i = 0; i < oh; i++) for (int j = 0; j < ow; j++) {
            double acc = b == null ? 0 : b.get(q);
            for (int ch = 0; ch < c; ch++) for (int u = 0; u < k; u++) for (int v = 0; v < k; v++) {
                int yy = i * s - p + u, xx = j * s - p + v;
                if (yy >= 0 && yy < h && xx >= 0 && xx < wd) acc += (double) x.get(a, ch, yy, xx) * w.get(q, ch, u, v);
            }
            y[((a * o + q) * oh + i) * ow + j] = acc;
        }
        return y;
    }

    /** Transposed convolution as a scatter: each input pixel adds x·w[c, o] into the output window it maps to. */
    static double[] convTransposeReference(Tensor x, Tensor w, Tensor b, int s, int p, int op) {
        int n = x.size(0), c = x.size(1), h = x.size(2), wd = x.size(3), o = w.size(1), k = w.size(2);
        int oh = (h - 1) * s - 2 * p + k + op, ow = (wd - 1) * s - 2 * p + k + op;
        double[] y = new double[n * o * oh * ow];
        for (int a = 0; a < n; a++) for (int ch = 0; ch < c; ch++) for (int i = 0; i < h; i++) for (int j = 0; j < wd; j++) {
            for (int q = 0; q < o; q++) for (int u = 0; u < k; u++) for (int v = 0; v < k; v++) {
                int yy = i * s - p + u, xx = j * s - p + v;
                if (yy >= 0 && yy < oh && xx >= 0 && xx < ow) y[((a * o + q) * oh + yy) * ow + xx] += (double) x.get(a, ch, i, j) * w.get(ch, q, u, v);
            }
        }
        if (b != null) for (int a = 0; a < n; a++) for (int q = 0; q < o; q++) for (int t = 0; t < oh * ow; t++) y[(a * o + q) * oh * ow + t] += b.get(q);
        return y;
    }

    @Test
    void conv2dForwardMatchesLoop() {
        Rng rng = new Rng(20);
        for (int[] cfg : new int[][] {{3, 1, 1}, {4, 2, 1}, {6, 2, 2}, {4, 4, 0}}) {
            Conv2d conv = new Conv2d(3, 4, cfg[0], cfg[1], cfg[2], true, rng);
            Tensor x = TestTensors.randn(rng, 2, 3, 8, 8);
            Tensor y = conv.forward(Variable.constant(x)).value();
            TestTensors.assertClose(convReference(x, conv.weight.value(), conv.bias.value(), cfg[1], cfg[2]), y, 1e-4, 1e-5, "conv2d k" + cfg[0] + " s" + cfg[1] + " p" + cfg[2]);
        }
    }

    @Test
    void conv2dGradients() {
        Rng rng = new Rng(21);
        Conv2d conv = new Conv2d(2, 3, 3, 2, 1, true, rng);
        Variable x = TestTensors.input(rng, 2, 2, 5, 5);
        GradCheck.Result r = GradCheck.run(() -> conv.forward(x), List.of(x, conv.weight, conv.bias), 1e-2);
        assertTrue(r.passed(), r.toString());
    }

    @Test
    void convTransposeForwardMatchesScatterLoop() {
        Rng rng = new Rng(22);
        for (int[] cfg : new int[][] {{4, 1, 0, 0}, {4, 2, 1, 0}, {3, 2, 1, 1}, {2, 2, 0, 0}}) {
            ConvTranspose2d ct = new ConvTranspose2d(3, 2, cfg[0], cfg[1], cfg[2], cfg[3], true, rng);
            Tensor x = TestTensors.randn(rng, 2, 3, 4, 3);
            Tensor y = ct.forward(Variable.constant(x)).value();
            double[] ref = convTransposeReference(x, ct.weight.value(), ct.bias.value(), cfg[1], cfg[2], cfg[3]);
            TestTensors.assertClose(ref, y, 1e-4, 1e-5, "convTranspose2d k" + cfg[0] + " s" + cfg[1] + " p" + cfg[2] + " op" + cfg[3]);
        }
    }

    @Test
    void convTransposeShapesOfTheDcganGenerator() {
        Rng rng = new Rng(23);
        ConvTranspose2d first = new ConvTranspose2d(20, 8, 4, 1, 0, 0, false, rng);
        Tensor y = first.forward(Variable.constant(TestTensors.randn(rng, 2, 20, 1, 1))).value();
        TestTensors.assertShape(y, 2, 8, 4, 4);
        ConvTranspose2d up = new ConvTranspose2d(8, 4, 4, 2, 1, 0, false, rng);
        TestTensors.assertShape(up.forward(Variable.constant(y)).value(), 2, 4, 8, 8);
        assertEquals(List.of("weight"), List.copyOf(up.namedParameters().keySet()));
        TestTensors.assertShape(up.weight.value(), 8, 4, 4, 4);
    }

    @Test
    void convTransposeGradients() {
        Rng rng = new Rng(24);
        ConvTranspose2d ct = new ConvTranspose2d(2, 3, 4, 2, 1, 0, true, rng);
        Variable x = TestTensors.input(rng, 2, 2, 3, 3);
        GradCheck.Result r = GradCheck.run(() -> ct.forward(x), List.of(x, ct.weight, ct.bias), 1e-2);
        assertTrue(r.passed(), r.toString());
        ConvTranspose2d odd = new ConvTranspose2d(2, 2, 3, 2, 1, 1, false, rng);
        Variable x2 = TestTensors.input(rng, 1, 2, 3, 2);
        GradCheck.Result r2 = GradCheck.run(() -> odd.forward(x2), List.of(x2, odd.weight), 1e-2);
        assertTrue(r2.passed(), r2.toString());
    }

    @Test
    void clippedSumFromSinkEqualsPerExampleLoop() {
        Rng rng = new Rng(25);
        Conv2d conv = new Conv2d(2, 3, 3, 2, 1, true, rng);
        PerExampleCheck.checkClippedSum(conv, t -> conv.forward(Variable.constant(t)), TestTensors.randn(rng, 4, 2, 6, 6), 3);
        ConvTranspose2d ct = new ConvTranspose2d(3, 2, 4, 2, 1, 0, true, rng);
        PerExampleCheck.checkClippedSum(ct, t -> ct.forward(Variable.constant(t)), TestTensors.randn(rng, 3, 3, 3, 3), 4);
    }
}
