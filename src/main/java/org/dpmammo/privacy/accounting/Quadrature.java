package org.dpmammo.privacy.accounting;

import java.util.function.DoubleUnaryOperator;

/**
 * Adaptive Gauss–Legendre integration: a 16-point rule on an interval is accepted when it agrees with the rule
 * applied to the two halves; otherwise both halves are refined. The nodes are computed at class load by Newton's
 * method on the Legendre polynomial, so no tabulated constants need checking.
 */
final class Quadrature {
    private static final int POINTS = 16;
    private static final double[] NODES = new double[POINTS];
    private static final double[] WEIGHTS = new double[POINTS];
    /**
     * A piece is accepted at this absolute or relative disagreement. The integrands are bounded by 1 and the
     * relative part sits above double rounding of a 32-term sum, so refinement always stops.
     */
    private static final double ABS_TOLERANCE = 1e-15;
    private static final double REL_TOLERANCE = 1e-13;
    private static final int MAX_DEPTH = 30;

    static {
        for (int i = 0; i < POINTS; i++) {
            double x = Math.cos(Math.PI * (i + 0.75) / (POINTS + 0.5));
            double dp = 0;
            for (int iter = 0; iter < 100; iter++) {
                // P_n(x) and P_n'(x) by the three-term recurrence.
                double p0 = 1;
                double p1 = x;
                for (int k = 2; k <= POINTS; k++) {
                    double p2 = ((2 * k - 1) * x * p1 - (k - 1) * p0) / k;
                    p0 = p1;
                    p1 = p2;
                }
                dp = POINTS * (x * p1 - p0) / (x * x - 1);
                double dx = p1 / dp;
                x -= dx;
                if (Math.abs(dx) < 1e-16) break;
            }
            NODES[i] = x;
            WEIGHTS[i] = 2 / ((1 - x * x) * dp * dp);
        }
    }

    private Quadrature() {}

    static double integrate(DoubleUnaryOperator f, double a, double b) {
        if (!(b > a)) return 0;
        return adapt(f, a, b, rule(f, a, b), MAX_DEPTH);
    }

    private static double adapt(DoubleUnaryOperator f, double a, double b, double whole, int depth) {
        double m = 0.5 * (a + b);
        double left = rule(f, a, m);
        double right = rule(f, m, b);
        double both = left + right;
        if (depth == 0 || Math.abs(both - whole) <= Math.max(ABS_TOLERANCE, REL_TOLERANCE * Math.abs(both))) return both;
        return adapt(f, a, m, left, depth - 1) + adapt(f, m, b, right, depth - 1);
    }

    private static double rule(DoubleUnaryOperator f, double a, double b) {
        double c = 0.5 * (a + b);
        double r = 0.5 * (b - a);
        double s = 0;
        for (int i = 0; i < POINTS; i++) s += WEIGHTS[i] * f.applyAsDouble(c + r * NODES[i]);
        return s * r;
    }
}
