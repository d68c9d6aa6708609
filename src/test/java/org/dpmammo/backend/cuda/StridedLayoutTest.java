package org.dpmammo.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.dpmammo.backend.Backends;
import org.dpmammo.backend.BinaryOp;
import org.dpmammo.tensor.Shape;
import org.dpmammo.tensor.Tensor;
import org.dpmammo.util.Rng;
import org.junit.jupiter.api.Test;

/** The elementwise kernel's index arithmetic, run in Java and checked against the CPU backend. */
class StridedLayoutTest {
    private static Tensor random(Rng rng, int... shape) {
        Tensor t = Tensor.zeros(shape);
        for (int i = 0; i < t.numel(); i++) t.data()[i] = (float) rng.nextDouble() * 4 - 2;
        return t;
    }

    /** What ew_binary computes: every output element from the operands' storage at the layout's offsets. */
    private static float[][] gathered(StridedLayout l, Tensor a, Tensor b, int n) {
        float[] ga = new float[n], gb = new float[n];
        for (int i = 0; i < n; i++) {
            long[] o = l.offsets(i);
            ga[i] = a.data()[(int) (a.offset() + o[0])];
            gb[i] = b.data()[(int) (b.offset() + o[1])];
        }
        return new float[][] {ga, gb};
    }

    private static void check(Tensor a, Tensor b) {
        int[] shape = Shape.broadcast(a.shapeRef(), b.shapeRef(), "test");
        StridedLayout l = StridedLayout.binary(shape, a, b);
        int n = Shape.size(shape);
        float[][] g = gathered(l, a, b, n);
        for (BinaryOp op : BinaryOp.values()) {
            Tensor expected = Backends.cpu().binary(op, a, b);
            Tensor emulated = Backends.cpu().binary(op, Tensor.of(g[0], shape), Tensor.of(g[1], shape));
            assertArrayEquals(expected.toArray(), emulated.toArray(), op + " " + Shape.str(a.shapeRef()) + " ∘ " + Shape.str(b.shapeRef()));
        }
    }

    @Test
    void emulatedKernelMatchesCpuOnBroadcastsAndViews() {
        Rng rng = new Rng(7);
        check(random(rng, 3, 1, 5), random(rng, 4, 1));
        check(random(rng, 7, 5).transpose(0, 1), random(rng, 5, 7));
        check(random(rng, 6, 8).slice(1, 1, 7, 2), random(rng, 6, 1));
        check(random(rng, 2, 3, 4, 5).permute(3, 1, 0, 2), random(rng, 2, 1));
        check(random(rng, 1), random(rng, 2, 3, 4));
        check(Tensor.scalar(3f), Tensor.scalar(2f));
        check(random(rng, 4).expand(3, 4), random(rng, 3, 1));
        for (int trial = 0; trial < 50; trial++) {
            int rank = 1 + rng.nextInt(5);
            int[] s = new int[rank], sa = new int[rank], sb = new int[rank];
            for (int d = 0; d < rank; d++) {
                s[d] = 1 + rng.nextInt(4);
                sa[d] = rng.nextInt(3) == 0 ? 1 : s[d];
                sb[d] = rng.nextInt(3) == 0 ? 1 : s[d];
            }
            Tensor a = random(rng, sa);
            if (rank >= 2) a = a.transpose(0, rank - 1).contiguous().transpose(0, rank - 1);
            check(a, random(rng, sb));
        }
    }

    @Test
    void contiguousOperandsCollapseToOneAxis() {
        Tensor a = Tensor.zeros(2, 3, 4), b = Tensor.zeros(2, 3, 4);
        StridedLayout l = StridedLayout.binary(new int[] {2, 3, 4}, a, b);
        assertArrayEquals(new int[] {24}, l.shape());
        assertArrayEquals(new int[] {1}, l.strideA());
    }

    @Test
    void broadcastKeepsZeroStridesAndDropsUnitAxes() {
        Tensor a = Tensor.zeros(4, 1), b = Tensor.zeros(1, 1, 5);
        StridedLayout l = StridedLayout.binary(new int[] {1, 4, 5}, a, b);
        assertArrayEquals(new int[] {4, 5}, l.shape());
        assertArrayEquals(new int[] {1, 0}, l.strideA());
        assertArrayEquals(new int[] {0, 1}, l.strideB());
        int[] packed = l.packed();
        assertEquals(1 + 3 * StridedLayout.MAX_RANK, packed.length);
        assertEquals(2, packed[0]);
    }

    @Test
    void stridedCopyGathersAView() {
        Tensor t = random(new Rng(3), 3, 4, 5).permute(2, 0, 1).slice(0, 1, 5);
        StridedLayout l = StridedLayout.copy(t);
        float[] out = new float[t.numel()];
        for (int i = 0; i < out.length; i++) out[i] = t.data()[(int) (t.offset() + l.offsets(i)[0])];
        assertArrayEquals(t.toArray(), out);
    }
}
