package org.dpmammo.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class MatmulShapeTest {
    @Test
    void transposesBroadcastsAndNamesTheSharedOperand() {
        // op(A) = [2, 3, 5, 4]ᵀ = [2, 3, 4, 5] and op(B) = [7, 5]ᵀ = [5, 7]: a shared B under a batch of 6.
        MatmulShape s = MatmulShape.of(new int[] {2, 3, 5, 4}, new int[] {7, 5}, true, true);
        assertEquals(4, s.m());
        assertEquals(5, s.k());
        assertEquals(7, s.n());
        assertArrayEquals(new int[] {2, 3}, s.batch());
        assertArrayEquals(new int[] {2, 3, 4, 7}, s.outShape());
        assertEquals(6, s.batchCount());
        assertFalse(s.aShared());
        assertTrue(s.bShared());
    }

    @Test
    void broadcastsBatchAxesOfBothOperands() {
        MatmulShape s = MatmulShape.of(new int[] {3, 1, 2, 4}, new int[] {1, 5, 4, 6}, false, false);
        assertArrayEquals(new int[] {3, 5, 2, 6}, s.outShape());
        assertEquals(15, s.batchCount());
    }

    @Test
    void refusesRankOneAndMismatchedInnerSizes() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> MatmulShape.of(new int[] {4}, new int[] {4, 2}, false, false))
                .getMessage().contains("needs rank ≥ 2"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> MatmulShape.of(new int[] {2, 3}, new int[] {4, 2}, false, false))
                .getMessage().contains("inner sizes differ: [2, 3] · [4, 2]"));
    }
}
