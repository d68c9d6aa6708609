package org.dpmammo.models.swin;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.dpmammo.tensor.Tensor;
import org.junit.jupiter.api.Test;

class WindowGeometryTest {
    /**
     * After rolling the grid by −shift, window position (r, c) holds the original token ((r + shift) mod H, …). Two
     * tokens may attend to each other only if they were within one contiguous region of the original image, i.e.
     * on each axis either both or neither wrapped around and both sit on the same side of the cut at n − ws.
     * This checks the mask against that geometric statement, computed independently of the mask's band rule.
     */
    @Test
    void tokensFromDifferentRegionsNeverAttend() {
        for (int[] c : new int[][] {{8, 8, 4, 2}, {12, 8, 4, 2}, {14, 14, 7, 3}, {6, 6, 3, 1}}) {
            int h = c[0], w = c[1], ws = c[2], s = c[3];
            Tensor mask = WindowGeometry.shiftMask(h, w, ws, s);
            int nw = w / ws, t = ws * ws;
            assertArrayEquals(new int[] {(h / ws) * nw, 1, t, t}, mask.shape());
            for (int win = 0; win < (h / ws) * nw; win++) {
                for (int q = 0; q < t; q++) {
                    for (int k = 0; k < t; k++) {
                        int rq = (win / nw) * ws + q / ws, cq = (win % nw) * ws + q % ws;
                        int rk = (win / nw) * ws + k / ws, ck = (win % nw) * ws + k % ws;
                        boolean same = sameRegion(rq, rk, h, s) && sameRegion(cq, ck, w, s);
                        assertEquals(same ? 0f : WindowGeometry.MASKED, mask.get(win, 0, q, k),
                                "grid " + h + "x" + w + " ws " + ws + " shift " + s + " window " + win + " pair " + q + "," + k);
                    }
                }
            }
        }
    }

    /** Rolled positions i, j on an axis of length n come from one region iff both or neither wrapped around. */
    private static boolean sameRegion(int i, int j, int n, int shift) {
        boolean wi = i + shift >= n, wj = j + shift >= n;
        return wi == wj;
    }

    @Test
    void relativePositionIndexMatchesDisplacement() {
        int ws = 3, t = 9, side = 5;
        int[] idx = WindowGeometry.relativePositionIndex(ws);
        assertEquals(t * t, idx.length);
        // query (0,0) against key (2,2): displacement (−2, −2) → row 0; the reverse → the last row
        assertEquals(0, idx[0 * t + 8]);
        assertEquals(side * side - 1, idx[8 * t + 0]);
        // the diagonal is displacement (0, 0): the centre row of the table
        for (int q = 0; q < t; q++) assertEquals((ws - 1) * side + ws - 1, idx[q * t + q]);
    }

    @Test
    void shiftIsDroppedWhenOneWindowCoversTheGrid() {
        assertEquals(0, WindowGeometry.effectiveShift(7, 7, 7, 3));
        assertEquals(3, WindowGeometry.effectiveShift(14, 14, 7, 3));
    }
}
