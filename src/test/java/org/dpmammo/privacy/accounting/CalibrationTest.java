package org.dpmammo.privacy.accounting;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Table B of docs/DP-MATH.md §3.2 (opacus/tests/accountants_test.py, ε = 8, δ = 1e-5, q = 0.04). Opacus stops its bisection
 * once ε is within 0.01 of the target and returns that σ; this search goes on to 1e-4 relative, so it must land at
 * or just below Opacus' σ, and it must be the smallest σ that meets the target.
 */
class CalibrationTest {
    private static void checkSmallest(Accountant a, Calibration.Result r, double q, long steps) {
        double sigma = r.noiseMultiplier();
        assertTrue(a.epsilon(List.of(new Segment(q, sigma, steps)), 1e-5).epsilon() <= 8);
        assertTrue(a.epsilon(List.of(new Segment(q, sigma * (1 - 1e-4), steps)), 1e-5).epsilon() > 8);
    }

    @Test
    void rdpNinetyEpochs() {
        // Table B, RDP, 90 epochs = 2250 steps: Opacus 1.416 (4 places; its exact return 1.416015625, ε 7.99803).
        RdpAccountant rdp = new RdpAccountant();
        Calibration.Result r = Calibration.noiseMultiplier(rdp, 8, 1e-5, 0.04, 2250);
        assertTrue(r.noiseMultiplier() <= 1.416015625 && r.noiseMultiplier() > 1.4155, () -> "sigma " + r.noiseMultiplier());
        checkSmallest(rdp, r, 0.04, 2250);
    }

    @Test
    void rdpTwoThousandSteps() {
        // Table B, RDP, 2000 steps: Opacus 1.3562 (exact return 1.356201171875).
        RdpAccountant rdp = new RdpAccountant();
        Calibration.Result r = Calibration.noiseMultiplier(rdp, 8, 1e-5, 0.04, 2000);
        assertTrue(r.noiseMultiplier() <= 1.356201171875 && r.noiseMultiplier() > 1.3557, () -> "sigma " + r.noiseMultiplier());
        checkSmallest(rdp, r, 0.04, 2000);
    }

    @Test
    void prvNinetyEpochs() {
        // Table B, PRV, 90 epochs: Opacus 1.34765625 (its epochs-to-steps rule gives 2250 steps here).
        PrvAccountant prv = new PrvAccountant();
        Calibration.Result r = Calibration.noiseMultiplier(prv, 8, 1e-5, 0.04, 2250);
        assertTrue(r.noiseMultiplier() <= 1.34765625 && r.noiseMultiplier() > 1.3465, () -> "sigma " + r.noiseMultiplier());
        assertEquals("prv", r.epsilon().method());
    }

    @Test
    void stepsWithinBudgetIsTheLargest() {
        // The steps search must invert the epsilon of A1: 2250 steps at q 0.04, σ 1.5 cost 7.32911117143.
        RdpAccountant rdp = new RdpAccountant();
        assertEquals(2250, Calibration.maxSteps(rdp, 7.32911117143 + 1e-9, 1e-5, 0.04, 1.5).steps());
        assertEquals(2249, Calibration.maxSteps(rdp, 7.32911117143 - 1e-6, 1e-5, 0.04, 1.5).steps());
    }

    @Test
    void unreachableTargetIsAnError() {
        assertThrows(IllegalArgumentException.class, () -> Calibration.noiseMultiplier(new RdpAccountant(), 1e-9, 1e-5, 1, 1_000_000_000L));
    }
}
