package org.dpmammo.privacy.accounting;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Published RDP values. Every test names its source: the row of docs/DP-MATH.md §3 (Tables A and D) and the
 * upstream test or document it quotes. "Signed series" rows must match to the digits given; rows produced with
 * dp_accounting's absolute-value series are used only where the optimum is at an integer order, where both series
 * are identical.
 */
class RdpGoldenTest {
    private static final RdpAccountant OPACUS = new RdpAccountant();

    /** TF Privacy's compute_dp_sgd_privacy orders. */
    private static final double[] TF_ORDERS = tfOrders();

    private static double[] tfOrders() {
        List<Double> o = new ArrayList<>(List.of(1.25, 1.5, 1.75, 2.0, 2.25, 2.5, 3.0, 3.5, 4.0, 4.5));
        for (int a = 5; a <= 63; a++) o.add((double) a);
        o.addAll(List.of(128.0, 256.0, 512.0));
        return o.stream().mapToDouble(Double::doubleValue).toArray();
    }

    /** dp_accounting's DEFAULT_RDP_ORDERS: 1.1..10.9, 11..63, 128, 256, 512, 1024. */
    private static double[] dpAccountingOrders() {
        List<Double> o = new ArrayList<>();
        for (int x = 1; x <= 99; x++) o.add(1 + x / 10.0);
        for (int a = 11; a <= 63; a++) o.add((double) a);
        o.addAll(List.of(128.0, 256.0, 512.0, 1024.0));
        return o.stream().mapToDouble(Double::doubleValue).toArray();
    }

    private static Epsilon eps(RdpAccountant a, double q, double sigma, long steps, double delta) {
        return a.epsilon(List.of(new Segment(q, sigma, steps)), delta);
    }

    @Test
    void a1_opacusRdpAccountantTest() {
        // A1: opacus/tests/accountants_test.py::test_rdp_accountant, 7.32911117143 (opt. order 3.9, signed series).
        Epsilon e = eps(OPACUS, 0.04, 1.5, 2250, 1e-5);
        assertEquals(7.32911117143, e.epsilon(), 1e-10);
        assertEquals(3.9, e.order());
    }

    @Test
    void a4_tfComputeDpSgdPrivacyTest0() {
        // A4: tensorflow_privacy compute_dp_sgd_privacy_test.py Test0: 0.7242234026109595 at order 19.
        Epsilon e = eps(new RdpAccountant(TF_ORDERS), 150.0 / 60000, 1.3, 6000, 1e-5);
        assertEquals(0.7242234026109595, e.epsilon(), 1e-12);
        assertEquals(19, e.order());
    }

    @Test
    void a5_tfComputeDpSgdPrivacyTest1() {
        // A5: same file, Test1: 1.4154988495444842 at order 13.
        Epsilon e = eps(new RdpAccountant(TF_ORDERS), 100.0 / 1e5, 1.0, 30000, 1e-7);
        assertEquals(1.4154988495444842, e.epsilon(), 1e-12);
        assertEquals(13, e.order());
    }

    @Test
    void a6_tfComputeDpSgdPrivacyTest2_smallSigma() {
        // A6: same file, Test2: 5907982.3113984 at order 1.25 (sigma = 0.1, log A in the millions). dp_accounting
        // uses the absolute-value series at this fractional order; the signed series must agree to 1e-9 relative
        // here because the alternating tail is negligible next to A.
        Epsilon e = eps(new RdpAccountant(TF_ORDERS), 1024.0 / 1e8, 0.1, 976563, 1e-7);
        assertEquals(5907982.3113984, e.epsilon(), 5907982.3113984 * 1e-9);
        assertEquals(1.25, e.order());
    }

    @Test
    void a7_a8_noSubsampling() {
        // A7, A8: tensorflow_privacy test_compute_dp_sgd_example_privacy (no_microbatching / microbatching,
        // no subsampling, dp_accounting default orders): 10.8602036 and 26.2880374.
        RdpAccountant dp = new RdpAccountant(dpAccountingOrders());
        assertEquals(10.8602036, eps(dp, 1, 0.7, 2, 1e-5).epsilon(), 1e-7);
        assertEquals(26.2880374, eps(dp, 1, 0.35, 2, 1e-5).epsilon(), 1e-7);
    }

    @Test
    void a9_a10_subsampledAbsoluteSeriesIsAnUpperBound() {
        // A9, A10: same test, q = 0.01 over 120 steps: 3.2392676 and 22.6248601 (dp_accounting default orders).
        // Their optima are at fractional orders (4.4 and 1.6 here), where dp_accounting's absolute-value series
        // over-estimates A_α, so the exact signed series must come out at or below them, and close.
        RdpAccountant dp = new RdpAccountant(dpAccountingOrders());
        double a9 = eps(dp, 0.01, 0.7, 120, 1e-5).epsilon();
        assertTrue(a9 <= 3.2392676 && a9 > 3.2392676 * (1 - 1e-4), "A9 " + a9);
        double a10 = eps(dp, 0.01, 0.35, 120, 1e-5).epsilon();
        assertTrue(a10 <= 22.6248601 && a10 > 22.6248601 * (1 - 2e-3), "A10 " + a10);
    }

    @Test
    void a15_a16_privacyStatement() {
        // A15, A16: tensorflow_privacy test_dp_sgd_privacy_statement_*: 13.376 and 1.616 (3 decimals printed).
        RdpAccountant dp = new RdpAccountant(dpAccountingOrders());
        assertEquals(13.376, eps(dp, 1, 1.0, 5, 1e-6).epsilon(), 5e-4);
        assertEquals(1.616, eps(dp, 64.0 / 10000, 1.0, 782, 1e-6).epsilon(), 5e-4);
    }

    @Test
    void a21_gaussianAtEpsilonOne() {
        // A21: dp_accounting rdp_privacy_accountant_test.py::test_compute_epsilon_delta_gaussian: sigma 4.530877117
        // gives eps = 1 at delta 1e-6 over orders 1.001..99.999 in steps of 0.001 (order 1 itself is excluded).
        double[] orders = new double[99_000 - 2];
        for (int k = 0; k < orders.length; k++) orders[k] = (1001 + k) / 1000.0;
        assertEquals(1.0, eps(new RdpAccountant(orders), 1, 4.530877117, 1, 1e-6).epsilon(), 1e-8);
    }

    @Test
    void a22_pureDpCurve() {
        // A22: dp_accounting test_compute_epsilon_delta_pure_dp: RDP 1.1 at orders 2..32 gives 1.32783806176, order 32.
        double[] orders = new double[31];
        double[] rdp = new double[31];
        for (int k = 0; k < 31; k++) {
            orders[k] = k + 2;
            rdp[k] = 1.1;
        }
        Epsilon e = new RdpAccountant(orders).epsilonFromCurve(rdp, 1e-5);
        assertEquals(1.32783806176, e.epsilon(), 1e-10);
        assertEquals(32, e.order());
    }

    @Test
    void a23_opacusComputeDpSgdPrivacyScript() {
        // A23: docstring of opacus/scripts/compute_dp_sgd_privacy.py: 2.39 at alpha 5 (reproduced 2.393329).
        Epsilon e = eps(new RdpAccountant(new double[] {2, 5, 10, 20, 100}), 0.01, 1.0, 300, 1e-5);
        assertEquals(2.393329, e.epsilon(), 1e-6);
        assertEquals(5, e.order());
    }

    @Test
    void a24_heterogeneousComposition() {
        // A24: docstring of opacus/accountants/analysis/rdp.py: two phases, orders 2..32: 0.336 at alpha 23
        // (reproduced 0.336344).
        double[] orders = new double[31];
        for (int k = 0; k < 31; k++) orders[k] = k + 2;
        Epsilon e = new RdpAccountant(orders).epsilon(List.of(new Segment(1e-5, 1.0, 10), new Segment(1e-4, 3.0, 4)), 1e-5);
        assertEquals(0.336344, e.epsilon(), 1e-6);
        assertEquals(23, e.order());
    }

    @Test
    void a25_tfMnistTutorialImprovedConversion() {
        // A25: TF MNIST tutorial setting (256/60000, sigma 1.1, 14063 steps); with Opacus' orders and the improved
        // conversion docs/DP-MATH.md §3.1 records the independent 2.59666 at order 8.1.
        Epsilon e = eps(OPACUS, 256.0 / 60000, 1.1, 14063, 1e-5);
        assertEquals(2.59666, e.epsilon(), 5e-6);
        assertEquals(8.1, e.order());
    }

    @Test
    void a26_oldTfTwoPhaseImprovedConversion() {
        // A26: old TF rdp_accountant_test (before 868cf54), two phases, its 21 orders; signed series with the
        // improved conversion: 7.38797 (the classic conversion gave the published 8.509656).
        double[] orders = {1.25, 1.5, 1.75, 2, 2.5, 3, 4, 5, 6, 7, 8, 10, 12, 14, 16, 20, 24, 28, 32, 64, 256};
        Epsilon e = new RdpAccountant(orders).epsilon(List.of(new Segment(1e-4, 0.4, 40000), new Segment(0.1, 2, 100)), 1e-5);
        assertEquals(7.38797, e.epsilon(), 5e-6);
    }

    @Test
    void d2_signedSeriesSequence() {
        // D2: old TF / Opacus rdp_accountant_test.py::test_compute_rdp_sequence (q 0.01, sigma 2.5, 50 steps),
        // reproduced values 6.50070897e-4, 1.08541806e-3, then 2.1808e-3, 2.3846e-2, 1.6742e2 (5 digits).
        double[] alphas = {1.5, 2.5, 5, 50, 100};
        double[] want = {6.50070897e-4, 1.08541806e-3, 2.1808e-3, 2.3846e-2, 1.6742e2};
        double[] rtol = {1e-8, 1e-8, 5e-5, 5e-5, 5e-5};
        for (int k = 0; k < alphas.length; k++) {
            double got = 50 * RdpAccountant.rdpPerStep(0.01, 2.5, alphas[k]);
            assertEquals(want[k], got, want[k] * rtol[k], "alpha " + alphas[k]);
        }
        assertEquals(Double.POSITIVE_INFINITY, RdpAccountant.rdpPerStep(0.01, 2.5, Double.POSITIVE_INFINITY));
    }

    @Test
    void d3_d4_d6_scalarsAndClosedForms() {
        // D3: old TF test_compute_rdp_scalar: 0.07737 (5 places), reproduced 0.07736968.
        assertEquals(0.07736968, 10 * RdpAccountant.rdpPerStep(0.1, 2, 5), 1e-8);
        // D4: old TF test_compute_rdp_no_sampling: 0.1 = alpha/(2 sigma^2).
        assertEquals(0.1, RdpAccountant.rdpPerStep(1, 10, 20), 1e-15);
        // D6: dp_accounting test_compute_rdp_gaussian.
        assertEquals(3.14159 / (2 * 2.71828 * 2.71828), RdpAccountant.rdpPerStep(1, 2.71828, 3.14159), 1e-15);
    }

    @Test
    void d7_logAAgainstMpmathIntegral() {
        // D7: dp_accounting test_compute_log_a_equals_mp cases; independent signed-series values of log A from
        // docs/DP-MATH.md §3.4 (the upstream test compares to an mpmath integral at rtol 1e-4).
        double[][] cases = {
            {1e-7, 0.1, 1.01, 4.0034136e-8}, {1e-6, 0.1, 256, 3.2604632e6}, {1e-5, 0.1, 256.1, 3.2636070e6},
            {1e-6, 1, 27, 8.7695113e-10}, {1e-4, 1, 1.5, 6.4426870e-9}, {1e-3, 1, 2, 1.71828035e-6},
            {0.01, 10, 20, 1.91296999e-4}, {0.1, 100, 20.5, 1.99918185e-4}, {0.99, 0.1, 256, 3.2639974e6},
            {0.999, 100, 256.1, 3.26010804},
        };
        for (double[] c : cases) {
            double logA = RdpAccountant.rdpPerStep(c[0], c[1], c[2]) * (c[2] - 1);
            assertEquals(c[3], logA, Math.abs(c[3]) * 1e-7, "q=" + c[0] + " sigma=" + c[1] + " alpha=" + c[2]);
        }
    }

    @Test
    void d8_d9_independentPerStepValues() {
        // D8: docs/DP-MATH.md §3.4, independent computation, q = 256/60000, sigma 1.1, signed series.
        double[] a8 = {1.5, 2, 3, 4.5, 8, 16, 32, 63};
        double[] w8 = {1.747978454e-5, 2.339577601e-5, 3.536769897e-5, 5.369172341e-5, 9.834106178e-5, 0.7918914328,
            7.590188346, 20.48812058};
        for (int k = 0; k < a8.length; k++) {
            assertEquals(w8[k], RdpAccountant.rdpPerStep(256.0 / 60000, 1.1, a8[k]), w8[k] * 1e-9, "alpha " + a8[k]);
        }
        // D9: q = 0.04, sigma 1.5 (3.9 is the optimal order of A1).
        double[] a9 = {2, 3.9, 4, 10};
        double[] w9 = {8.949969669e-4, 1.833202200e-3, 1.885340064e-3, 5.786875743e-3};
        for (int k = 0; k < a9.length; k++) {
            assertEquals(w9[k], RdpAccountant.rdpPerStep(0.04, 1.5, a9[k]), w9[k] * 1e-9, "alpha " + a9[k]);
        }
    }

    @Test
    void zeroStepsCostNothing() {
        assertEquals(0, eps(OPACUS, 0.5, 1, 0, 1e-5).epsilon());
    }
}
