package org.dpmammo.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ModelSelectionTest {
    @Test
    void bestAuprcThenLowerLossThenEarlier() {
        ModelSelection s = new ModelSelection(Double.POSITIVE_INFINITY);
        assertTrue(s.offer(0, 0.70, 0.60, 0));
        assertTrue(s.offer(1, 0.72, 0.65, 0));
        assertFalse(s.offer(2, 0.71, 0.10, 0));
        assertTrue(s.offer(3, 0.72, 0.64, 0)); // same AUPRC, lower loss
        assertFalse(s.offer(4, 0.72, 0.64, 0)); // exact tie: the earlier epoch stays
        assertEquals(3, s.bestEpoch());
    }

    @Test
    void dpEligibilityIsTheOpenWindow() {
        ModelSelection s = new ModelSelection(6);
        assertFalse(s.eligible(4.5)); // 0.75·6 exactly: outside
        assertTrue(s.eligible(4.5001));
        assertTrue(s.eligible(6.29));
        assertFalse(s.eligible(6.31)); // past 1.05·6 (which is 6.300000000000001 in floating point, as in the study)
        assertFalse(s.offer(0, 0.99, 0.1, 1.0)); // too early, however good
        assertEquals(-1, s.bestEpoch());
        assertTrue(s.offer(180, 0.60, 0.5, 4.6));
        assertFalse(s.offer(300, 0.90, 0.5, 7.0)); // overspent
        assertEquals(180, s.bestEpoch());
    }
}
