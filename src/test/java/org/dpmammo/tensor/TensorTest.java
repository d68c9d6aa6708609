package org.dpmammo.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class TensorTest {
    private static Tensor arange(int... shape) {
        Tensor t = Tensor.zeros(shape);
        for (int i = 0; i < t.numel(); i++) t.data()[i] = i;
        return t;
    }

    @Test
    void largeStridedCopiesMatchElementByElement() {
        // Big enough to be split over the CPU pool along the first axis; a permutation and a stepped slice.
        Tensor t = Tensor.zeros(40, 50, 60);
        for (int i = 0; i < t.numel(); i++) t.data()[i] = i;
        for (Tensor v : new Tensor[] {t.permute(2, 0, 1), t.permute(1, 2, 0).slice(0, 3, 47, 2), t.slice(2, 1, 59, 3)}) {
            int[] sh = v.shape();
            float[] out = new float[v.numel() + 3];
            v.copyTo(out, 3);
            int o = 3;
            for (int a = 0; a < sh[0]; a++)
                for (int b = 0; b < sh[1]; b++)
                    for (int c = 0; c < sh[2]; c++) assertEquals(v.get(a, b, c), out[o++]);
        }
    }

    @Test
    void hasNaNFindsOneNaNAnywhereInLargeAndSmallTensors() {
        // Short and long; the NaN in the first, a middle and the last element. (CpuBackend.hasNaN, the threaded SIMD
        // scan, is checked against this one in NanScanTest.)
        for (int n : new int[] {7, (1 << 15) - 1, 3 * (1 << 16) + 5}) {
            Tensor t = Tensor.zeros(n);
            for (int i = 0; i < n; i++) t.data()[i] = i % 3 == 0 ? Float.POSITIVE_INFINITY : -i;
            assertFalse(t.hasNaN(), "no NaN, infinities included, n = " + n);
            for (int at : new int[] {0, n / 2, n - 1}) {
                t.data()[at] = Float.NaN;
                assertTrue(t.hasNaN(), "NaN at " + at + " of " + n);
                t.data()[at] = 1f;
            }
        }
        // A strided view sees only its own elements.
        Tensor m = Tensor.zeros(300, 400);
        m.data()[5] = Float.NaN;
        assertTrue(m.hasNaN());
        assertFalse(m.slice(1, 6, 400, 1).hasNaN());
        assertTrue(m.slice(1, 5, 400, 1).hasNaN());
    }

    @Test
    void viewsShareStorageAndCopyOnlyWhenNeeded() {
        Tensor t = arange(2, 3, 4);
        Tensor r = t.reshape(6, -1);
        assertSame(t.data(), r.data());
        assertArrayEquals(new int[] {6, 4}, r.shape());
        Tensor p = t.permute(2, 0, 1);
        assertSame(t.data(), p.data());
        assertFalse(p.isContiguous());
        assertEquals(t.get(1, 2, 3), p.get(3, 1, 2));
        Tensor pc = p.contiguous();
        assertTrue(pc.isContiguous());
        assertEquals(t.get(1, 0, 2), pc.get(2, 1, 0));
    }

    @Test
    void transposedCopyIsRowMajor() {
        Tensor t = arange(2, 3);
        assertArrayEquals(new float[] {0, 3, 1, 4, 2, 5}, t.transpose(0, 1).toArray());
    }

    @Test
    void sliceWithStepAndNegativeBounds() {
        Tensor t = arange(10);
        assertArrayEquals(new float[] {2, 4, 6}, t.slice(0, 2, -3, 2).toArray());
        Tensor m = arange(3, 4).slice(1, 1, 3);
        assertArrayEquals(new float[] {1, 2, 5, 6, 9, 10}, m.toArray());
        m.set(-1, 0, 0);
        assertEquals(-1, m.data()[1]); // writes through the view
    }

    @Test
    void assignWritesIntoAStridedViewFromAnyLayout() {
        Tensor dst = Tensor.zeros(3, 4);
        dst.slice(1, 1, 4, 2).assign(arange(2, 3).transpose(0, 1));
        assertArrayEquals(new float[] {0, 0, 0, 3, 0, 1, 0, 4, 0, 2, 0, 5}, dst.toArray());
        dst.slice(0, 0, 1).assign(arange(1, 4));
        assertArrayEquals(new float[] {0, 1, 2, 3}, dst.slice(0, 0, 1).toArray());
    }

    @Test
    void expandRepeatsSizeOneAxesWithoutCopying() {
        Tensor t = arange(3, 1);
        Tensor e = t.expand(2, 3, 4);
        assertSame(t.data(), e.data());
        assertEquals(2f, e.get(1, 2, 3));
        assertThrows(IllegalArgumentException.class, () -> arange(3, 2).expand(3, 4));
    }

    @Test
    void squeezeUnsqueezeRoundTrip() {
        Tensor t = arange(2, 3);
        Tensor u = t.unsqueeze(1);
        assertArrayEquals(new int[] {2, 1, 3}, u.shape());
        assertArrayEquals(t.toArray(), u.squeeze(1).toArray());
        assertArrayEquals(new int[] {2, 3, 1}, t.unsqueeze(-1).shape());
    }

    @Test
    void badShapesAreRejectedWithTheShapeNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> arange(2, 3).reshape(4, -1));
        assertTrue(e.getMessage().contains("reshape"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Tensor.of(new float[5], 2, 3));
        assertThrows(IllegalArgumentException.class, () -> arange(2).permute(0, 0));
        assertThrows(IndexOutOfBoundsException.class, () -> arange(2, 2).get(2, 0));
    }

    @Test
    void broadcastFollowsPyTorchRules() {
        assertArrayEquals(new int[] {2, 3, 4}, Shape.broadcast(new int[] {3, 1}, new int[] {2, 1, 4}, "t"));
        assertArrayEquals(new int[] {5}, Shape.broadcast(new int[] {}, new int[] {5}, "t"));
        assertThrows(IllegalArgumentException.class, () -> Shape.broadcast(new int[] {3}, new int[] {4}, "t"));
    }
}
