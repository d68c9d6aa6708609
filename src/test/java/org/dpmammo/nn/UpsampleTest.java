package org.dpmammo.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.dpmammo.autograd.Variable;
import org.dpmammo.tensor.Tensor;
import org.dpmammo.testing.TestTensors;
import org.dpmammo.util.Rng;
import org.junit.jupiter.api.Test;

/** Nearest-neighbour upsampling against index loops: each output pixel copies its source, each source gathers its block. */
class UpsampleTest {
    @Test
    void copiesEachPixelIntoAnSBySBlockAndSumsTheBlockOnTheWayBack() {
        for (int f : new int[] {2, 3}) {
            int b = 2, c = 3, h = 5, w = 4;
            Rng rng = new Rng(f);
            Tensor x = TestTensors.randn(rng, b, c, h, w);
            Variable xv = new Variable(x, true);
            Variable y = new Upsample(f).forward(xv);
            assertArrayEquals(new int[] {b, c, h * f, w * f}, y.value().shape());
            float[] xs = x.toArray(), ys = y.value().toArray();
            int oh = h * f, ow = w * f;
            for (int p = 0; p < b * c; p++) {
                for (int i = 0; i < oh; i++) {
                    for (int j = 0; j < ow; j++) assertEquals(xs[(p * h + i / f) * w + j / f], ys[(p * oh + i) * ow + j], 0f);
                }
            }
            Tensor g = TestTensors.randn(rng, b, c, oh, ow);
            y.backward(g);
            float[] gs = g.toArray(), want = new float[xs.length];
            for (int p = 0; p < b * c; p++) {
                for (int i = 0; i < oh; i++) {
                    for (int j = 0; j < ow; j++) want[(p * h + i / f) * w + j / f] += gs[(p * oh + i) * ow + j];
                }
            }
            assertArrayEquals(want, xv.grad().toArray(), 1e-5f);
        }
    }

    @Test
    void badInput() {
        assertThrows(IllegalArgumentException.class, () -> new Upsample(0));
        assertThrows(IllegalArgumentException.class, () -> new Upsample(2).forward(Variable.constant(Tensor.zeros(2, 3))));
    }
}
