package org.dpmammo.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.dpmammo.backend.Backends;
import org.dpmammo.backend.ReferenceBackend;
import org.dpmammo.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * Sums over one block of axes with kept axes after it (summed in place by the CPU backend) at the shapes the
 * random probes of {@code BackendCheck} do not reach: empty axes before, inside and after the block, and a size-1
 * block; against the reference backend.
 */
class SumShapesTest {
    @Test
    void emptyAndDegenerateShapesMatchTheReference() {
        int[][] shapes = {{0, 5, 7}, {3, 0, 7}, {3, 5, 0}, {3, 1, 7}, {1, 5, 1}};
        for (int[] shape : shapes) {
            Tensor x = Tensor.zeros(shape);
            for (int i = 0; i < x.numel(); i++) x.data()[i] = i * 0.5f - 3;
            for (boolean keep : new boolean[] {false, true}) {
                Tensor got = Backends.cpu().sum(x, new int[] {1}, keep), want = new ReferenceBackend().sum(x, new int[] {1}, keep);
                assertArrayEquals(want.shape(), got.shape(), java.util.Arrays.toString(shape));
                float[] g = got.toArray(), w = want.toArray();
                for (int i = 0; i < w.length; i++) assertEquals(w[i], g[i], 1e-5f, java.util.Arrays.toString(shape) + " at " + i);
            }
        }
    }
}
