package org.dpmammo.privacy.accounting;

/**
 * erfc, log erfc and log-space addition to full double precision. Java has no erfc, and the accountants need
 * log erfc far into the tail (arguments in the thousands), where erfc itself underflows.
 *
 * <p>Both go through the scaled function erfcx(x) = e^{x²}·erfc(x) for x ≥ 0, which is smooth and slowly
 * varying: on [0, 10) it is read from a table of Taylor expansions (fast: the RDP series and the PRV grid evaluate
 * it millions of times), beyond that from Laplace's continued fraction, which converges in a few steps there.
 */
final class SpecialFunctions {
    static final double LOG_2 = Math.log(2);
    private static final double TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);
    /** Taylor centres sit at (m + ½)·STEP, so an argument is never more than STEP/2 from its centre. */
    private static final double STEP = 0.125;
    private static final double TABLE_END = 10;
    /** Terms per expansion: with |x − c| ≤ 1/16 the truncation error is far below double rounding. */
    private static final int TERMS = 18;
    /** The continued fraction is exact to rounding from here on in under 60 steps; the table is seeded from it. */
    private static final double CF_EXACT_FROM = 2;
    /** erfc(x) is below the smallest subnormal double beyond this. */
    private static final double ERFC_UNDERFLOW = 27.3;
    private static final double[][] TAYLOR = taylorTable();

    private SpecialFunctions() {}

    /** The complementary error function, with full relative accuracy up to underflow. */
    static double erfc(double x) {
        if (Double.isNaN(x)) return Double.NaN;
        if (x < 0) return 2 - erfc(-x);
        return x > ERFC_UNDERFLOW ? 0 : Math.exp(-x * x) * erfcx(x);
    }

    /** log erfc(x) for every x, including arguments where erfc underflows. */
    static double logErfc(double x) {
        if (Double.isNaN(x)) return Double.NaN;
        if (x == Double.POSITIVE_INFINITY) return Double.NEGATIVE_INFINITY;
        if (x < 0) return LOG_2 + Math.log1p(-0.5 * erfc(-x));
        // −x² split into its rounded value and the exact remainder: far in the tail x² is large and callers add it
        // to terms of the opposite sign, so its rounding error would otherwise show.
        double hi = x * x;
        double lo = Math.fma(x, x, -hi);
        return -hi + (Math.log(erfcx(x)) - lo);
    }

    /** log(e^a + e^b) without overflow. */
    static double logAdd(double a, double b) {
        if (a == Double.NEGATIVE_INFINITY) return b;
        if (b == Double.NEGATIVE_INFINITY) return a;
        return Math.max(a, b) + Math.log1p(Math.exp(-Math.abs(a - b)));
    }

    /** erfcx(x) = e^{x²}·erfc(x) for x ≥ 0. */
    private static double erfcx(double x) {
        if (x >= TABLE_END) return erfcxContinuedFraction(x);
        int m = (int) (x / STEP);
        return horner(TAYLOR[m], x - (m + 0.5) * STEP);
    }

    private static double horner(double[] a, double d) {
        double s = a[a.length - 1];
        for (int k = a.length - 2; k >= 0; k--) s = s * d + a[k];
        return s;
    }

    /**
     * Taylor coefficients of erfcx around each centre c. erfcx solves y' = 2xy − 2/√π, which gives
     * a₁ = 2c·a₀ − 2/√π and (k+1)·a_{k+1} = 2c·a_k + 2·a_{k−1}. Rounding in a₀ grows along the ODE's other
     * solution e^{x²}, by at most e^{2c·|x−c|} ≈ 3.5 within reach of a centre, so the recurrence is safe here.
     * a₀ comes from the continued fraction where that is exact (c ≥ 2) and, below, from the neighbouring
     * expansion one step up, a direction in which errors shrink.
     */
    private static double[][] taylorTable() {
        int centres = (int) Math.round(TABLE_END / STEP);
        double[][] t = new double[centres][];
        for (int m = centres - 1; m >= 0; m--) {
            double c = (m + 0.5) * STEP;
            double a0 = c >= CF_EXACT_FROM ? erfcxContinuedFraction(c) : horner(t[m + 1], -STEP);
            double[] a = new double[TERMS];
            a[0] = a0;
            a[1] = 2 * c * a0 - TWO_OVER_SQRT_PI;
            for (int k = 1; k + 1 < TERMS; k++) a[k + 1] = (2 * c * a[k] + 2 * a[k - 1]) / (k + 1);
            t[m] = a;
        }
        return t;
    }

    /**
     * erfcx(x) for x ≥ 2 from Laplace's continued fraction √π·erfcx(x) = 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))),
     * evaluated with the modified Lentz method.
     */
    private static double erfcxContinuedFraction(double x) {
        double f = x;
        double c = x;
        double d = 0;
        for (int n = 1; n < 200; n++) {
            double a = 0.5 * n;
            d = 1 / (x + a * d);
            c = x + a / c;
            double delta = c * d;
            f *= delta;
            if (Math.abs(delta - 1) < 1e-16) break;
        }
        return 1 / (Math.sqrt(Math.PI) * f);
    }
}
