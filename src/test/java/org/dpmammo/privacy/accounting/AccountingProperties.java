package org.dpmammo.privacy.accounting;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.Scale;

/** Properties every correct accountant has, over the range DP-SGD uses; tries are capped to keep the suite fast. */
class AccountingProperties {
    private static final RdpAccountant RDP = new RdpAccountant();

    private static double eps(Accountant a, double q, double sigma, long steps, double delta) {
        return a.epsilon(List.of(new Segment(q, sigma, steps)), delta).epsilon();
    }

    @Property(tries = 60)
    void rdpEpsilonGrowsWithStepsAndSampleRateAndShrinksWithSigma(
            @ForAll @Scale(6) @DoubleRange(min = 0.001, max = 0.9) double q, @ForAll @Scale(6) @DoubleRange(min = 0.5, max = 10) double sigma,
            @ForAll @LongRange(min = 1, max = 10_000) long steps) {
        double e = eps(RDP, q, sigma, steps, 1e-5);
        assertTrue(eps(RDP, q, sigma, steps + 1 + steps / 10, 1e-5) >= e);
        assertTrue(eps(RDP, Math.min(1, q * 1.1), sigma, steps, 1e-5) >= e);
        assertTrue(eps(RDP, q, sigma * 1.1, steps, 1e-5) <= e);
    }

    @Property(tries = 100)
    void withoutSubsamplingRdpIsTheGaussianOne(@ForAll @Scale(6) @DoubleRange(min = 0.3, max = 100) double sigma,
                                               @ForAll @Scale(6) @DoubleRange(min = 1.01, max = 200) double alpha) {
        assertEquals(alpha / (2 * sigma * sigma), RdpAccountant.rdpPerStep(1, sigma, alpha), 1e-12 * alpha / (sigma * sigma));
        // The general series must approach the same value as q → 1 (it never sees the q = 1 shortcut).
        double order = Math.max(1.1, Math.rint(alpha * 10) / 10);
        double nearlyOne = RdpAccountant.rdpPerStep(1 - 1e-10, sigma, order);
        double gaussian = order / (2 * sigma * sigma);
        assertEquals(gaussian, nearlyOne, 1e-6 * gaussian + 1e-9);
    }

    @Property(tries = 200)
    void orderTwoHasAClosedForm(@ForAll @Scale(6) @DoubleRange(min = 1e-4, max = 1) double q,
                                @ForAll @Scale(6) @DoubleRange(min = 0.3, max = 100) double sigma) {
        double closed = Math.log1p(q * q * Math.expm1(1 / (sigma * sigma)));
        assertEquals(closed, RdpAccountant.rdpPerStep(q, sigma, 2), 1e-12 * closed + 1e-300);
    }

    @Property(tries = 60)
    void fractionalSeriesIsContinuousAcrossAnIntegerOrder(@ForAll @Scale(6) @DoubleRange(min = 1e-3, max = 0.99) double q,
                                                         @ForAll @Scale(6) @DoubleRange(min = 0.5, max = 20) double sigma) {
        // α = 2 goes through the finite sum, α = 2 ± 1e-7 through the signed infinite series: they must meet.
        double at2 = RdpAccountant.rdpPerStep(q, sigma, 2);
        double rel = 1e-5 * at2;
        assertEquals(at2, RdpAccountant.rdpPerStep(q, sigma, 2 + 1e-7), rel);
        assertEquals(at2, RdpAccountant.rdpPerStep(q, sigma, 2 - 1e-7), rel);
    }

    @Property(tries = 50)
    void composingPhasesSumsRdp(@ForAll @Scale(6) @DoubleRange(min = 0.001, max = 1) double q1, @ForAll @Scale(6) @DoubleRange(min = 0.5, max = 10) double s1,
                                @ForAll @LongRange(min = 0, max = 5000) long t1, @ForAll @Scale(6) @DoubleRange(min = 0.001, max = 1) double q2,
                                @ForAll @Scale(6) @DoubleRange(min = 0.5, max = 10) double s2, @ForAll @LongRange(min = 0, max = 5000) long t2) {
        double[] both = RDP.rdpCurve(List.of(new Segment(q1, s1, t1), new Segment(q2, s2, t2)));
        double[] orders = RDP.orders();
        for (int k = 0; k < orders.length; k++) {
            double sum = t1 * RdpAccountant.rdpPerStep(q1, s1, orders[k]) + t2 * RdpAccountant.rdpPerStep(q2, s2, orders[k]);
            assertEquals(sum, both[k], 1e-12 * sum);
        }
        // Splitting a phase in two changes nothing.
        double whole = eps(RDP, q1, s1, t1 + t2, 1e-6);
        double split = RDP.epsilon(List.of(new Segment(q1, s1, t1), new Segment(q1, s1, t2)), 1e-6).epsilon();
        assertEquals(whole, split, 1e-12 * whole);
    }

    @Property(tries = 25, edgeCases = EdgeCasesMode.MIXIN)
    void prvNeverExceedsRdp(@ForAll @Scale(6) @DoubleRange(min = 0.001, max = 0.2) double q, @ForAll @Scale(6) @DoubleRange(min = 0.6, max = 4) double sigma,
                            @ForAll @LongRange(min = 10, max = 2000) long steps) throws Exception {
        // The raw PRV upper bound, before the accountant caps it at the RDP bound, must already be below RDP. At
        // δ = 1e-5 the RDP conversion alone costs about 0.1 over this whole range (it is 0.103 at q = 0.001,
        // σ = 4, 10 steps), so the added ε error of 0.01 never decides the comparison and every try is checked.
        double rdp = eps(RDP, q, sigma, steps, 1e-5);
        double prv = new PrvAccountant().bounds(List.of(new Segment(q, sigma, steps)), 1e-5).upper();
        assertTrue(prv <= rdp, () -> "PRV " + prv + " > RDP " + rdp);
    }

    @Property(tries = 12)
    void heterogeneousPrvNeverExceedsRdp(@ForAll @Scale(6) @DoubleRange(min = 0.005, max = 0.1) double q1, @ForAll @Scale(6) @DoubleRange(min = 0.8, max = 3) double s1,
                                         @ForAll @Scale(6) @DoubleRange(min = 0.005, max = 0.1) double q2, @ForAll @Scale(6) @DoubleRange(min = 0.8, max = 3) double s2) {
        List<Segment> h = List.of(new Segment(q1, s1, 300), new Segment(q2, s2, 700));
        Epsilon prv = new PrvAccountant().epsilon(h, 1e-5);
        assertTrue(prv.epsilon() <= RDP.epsilon(h, 1e-5).epsilon());
        assertTrue(prv.warnings().isEmpty(), prv.warnings().toString());
    }

    @Property(tries = 30)
    void sigmaCalibrationRoundTrips(@ForAll @Scale(6) @DoubleRange(min = 0.5, max = 10) double target, @ForAll @Scale(6) @DoubleRange(min = 0.001, max = 0.1) double q,
                                    @ForAll @LongRange(min = 10, max = 10_000) long steps) {
        Calibration.Result r = Calibration.noiseMultiplier(RDP, target, 1e-5, q, steps);
        double sigma = r.noiseMultiplier();
        assertTrue(eps(RDP, q, sigma, steps, 1e-5) <= target);
        assertTrue(eps(RDP, q, sigma * (1 - Calibration.SIGMA_RELATIVE_TOLERANCE), steps, 1e-5) > target);
    }

    @Property(tries = 30)
    void stepsCalibrationRoundTrips(@ForAll @Scale(6) @DoubleRange(min = 0.5, max = 10) double target, @ForAll @Scale(6) @DoubleRange(min = 0.001, max = 0.1) double q,
                                    @ForAll @Scale(6) @DoubleRange(min = 0.7, max = 5) double sigma) {
        long steps = Calibration.maxSteps(RDP, target, 1e-5, q, sigma).steps();
        assertTrue(steps == 0 || eps(RDP, q, sigma, steps, 1e-5) <= target);
        assertTrue(eps(RDP, q, sigma, steps + 1, 1e-5) > target);
    }

    @Property(tries = 15)
    void rdpStaysFiniteAndNonNegativeOverTheWholeRange(@ForAll @Scale(8) @DoubleRange(min = 1e-6, max = 1) double q,
                                                      @ForAll @Scale(4) @DoubleRange(min = 0.3, max = 100) double sigma) {
        RdpAccountant extended = new RdpAccountant(RdpAccountant.EXTENDED_ORDERS);
        for (double r : extended.rdpCurve(List.of(new Segment(q, sigma, 1_000_000)))) {
            assertTrue(r >= 0 && r < Double.POSITIVE_INFINITY, () -> "RDP " + r);
        }
        double e = extended.epsilon(List.of(new Segment(q, sigma, 1_000_000)), 1e-6).epsilon();
        assertTrue(e >= 0 && e < Double.POSITIVE_INFINITY);
    }
}
