package org.dpmammo.privacy.accounting;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Noise multipliers so small that 1/(2σ²) leaves double range (σ below about 1e-154): both accountants must answer at
 * once, with ε = +∞ (a valid, if useless, bound) rather than NaN or a series that never converges. Before the fix a
 * single fractional order at σ = 1e-160 took 2 s and the 99 fractional orders a few minutes.
 */
class TinySigmaTest {
    private static final double[] SIGMAS = {4.9e-324, 1e-300, 1e-160, 1e-155, 1e-154, 1e-150, 1e-100};

    @Test
    void perStepRdpIsNeverNaNAndGrowsAsSigmaShrinks() {
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            for (double q : new double[] {1e-9, 0.01, 0.5, 1 - 1e-9, 1}) {
                for (double alpha : RdpAccountant.EXTENDED_ORDERS) {
                    double previous = 0;
                    for (int k = SIGMAS.length - 1; k >= 0; k--) {
                        double r = RdpAccountant.rdpPerStep(q, SIGMAS[k], alpha);
                        String where = "q=" + q + " sigma=" + SIGMAS[k] + " alpha=" + alpha;
                        assertFalse(Double.isNaN(r), where);
                        assertTrue(r >= previous, where + ": " + r + " < " + previous);
                        previous = r;
                    }
                    // Below 1e-155 even one step's RDP is beyond double range.
                    assertEquals(Double.POSITIVE_INFINITY, RdpAccountant.rdpPerStep(q, 1e-160, alpha), "q=" + q + " alpha=" + alpha);
                }
            }
        });
    }

    @Test
    void bothAccountantsReportInfiniteEpsilonAtOnce() {
        List<Segment> history = List.of(new Segment(0.01, 1e-160, 10));
        for (Accountant a : new Accountant[] {new RdpAccountant(), new RdpAccountant(RdpAccountant.EXTENDED_ORDERS), new PrvAccountant()}) {
            Epsilon e = assertTimeoutPreemptively(Duration.ofSeconds(5), () -> a.epsilon(history, 1e-5), a.name());
            assertEquals(Double.POSITIVE_INFINITY, e.epsilon(), a.name());
            assertTrue(e.warnings().stream().anyMatch(w -> w.contains("infinite")), e.warnings().toString());
        }
    }

    @Test
    void justAboveTheOverflowEpsilonIsHugeButFinite() {
        // σ = 1e-150: order-2 RDP is about 1/σ² = 1e300 per step, still a double.
        Epsilon e = assertTimeoutPreemptively(Duration.ofSeconds(5),
                () -> new PrvAccountant().epsilon(List.of(new Segment(0.01, 1e-150, 10)), 1e-5));
        assertTrue(e.epsilon() > 1e299 && e.epsilon() < Double.POSITIVE_INFINITY, e.toString());
    }
}
