package org.dpmammo.privacy.accounting;

import java.util.Arrays;

/**
 * The privacy random variable (PRV) of one step of the Poisson-subsampled Gaussian mechanism, from Gopi, Lee and
 * Wutschitz, "Numerical Composition of Differential Privacy" (arXiv 2106.02848, Propositions B1 and B4):
 * F(t) = 0 for t ≤ log(1−q); otherwise, with z = log((e^t + q − 1)/q),
 * F(t) = 1 − (q/2)·erfc((2zσ² − 1)/(2√2σ)) − ((1−q)/2)·erfc((2zσ² + 1)/(2√2σ)).
 *
 * <p>δ is read off the far upper tail, where F is within 1e-6 of 1, so F and its complement S = 1 − F are each
 * computed directly as a sum of erfc terms wherever they are the smaller one, instead of as a difference from 1.
 */
final class PrivacyLossDistribution {
    private final double q;
    private final double sigma;
    private final double logQ;
    private final double log1mQ;

    PrivacyLossDistribution(double q, double sigma) {
        this.q = q;
        this.sigma = sigma;
        this.logQ = Math.log(q);
        this.log1mQ = Math.log1p(-q);
    }

    /** log(1 − q): the PRV has no mass at or below it (F = 0 there). */
    double supportStart() {
        return log1mQ;
    }

    /** Writes F(t) to fs[0] and S(t) = 1 − F(t) to fs[1]. */
    void cdfAndSurvival(double t, double[] fs) {
        if (t <= log1mQ) {
            fs[0] = 0;
            fs[1] = 1;
            return;
        }
        double z;
        if (q == 1) {
            z = t;
        } else if (t > 0) {
            // e^t + q − 1 = e^t·(1 − (1−q)e^{−t}): no overflow for large t.
            z = t + Math.log1p(-(1 - q) * Math.exp(-t)) - logQ;
        } else {
            // e^t + q − 1 = (1−q)·expm1(t − log(1−q)): no cancellation just above the support's lower end.
            z = log1mQ + Math.log(Math.expm1(t - log1mQ)) - logQ;
        }
        double a = (z * sigma - 0.5 / sigma) / Math.sqrt(2);
        double b = (z * sigma + 0.5 / sigma) / Math.sqrt(2);
        if (a >= 0) {
            double s = 0.5 * q * SpecialFunctions.erfc(a) + 0.5 * (1 - q) * SpecialFunctions.erfc(b);
            fs[0] = 1 - s;
            fs[1] = s;
        } else if (b <= 0) {
            double f = 0.5 * q * SpecialFunctions.erfc(-a) + 0.5 * (1 - q) * SpecialFunctions.erfc(-b);
            fs[0] = f;
            fs[1] = 1 - f;
        } else {
            fs[0] = 0.5 * q * SpecialFunctions.erfc(-a) + 0.5 * (1 - q) * SpecialFunctions.erfc(-b);
            fs[1] = 0.5 * q * SpecialFunctions.erfc(a) + 0.5 * (1 - q) * SpecialFunctions.erfc(b);
        }
    }

    double cdf(double t) {
        double[] fs = new double[2];
        cdfAndSurvival(t, fs);
        return fs[0];
    }

    double survival(double t) {
        double[] fs = new double[2];
        cdfAndSurvival(t, fs);
        return fs[1];
    }

    /**
     * Mean of the PRV truncated to [tMin, tMax] and renormalised (tMin < 0 < tMax):
     * E = [∫_0^{tMax} (S(t) − S(tMax)) dt − ∫_{tMin}^0 (F(t) − F(tMin)) dt] / (F(tMax) − F(tMin)).
     * Both integrands are non-negative and computed without cancellation against 1, which matters because the
     * mean is tiny (about q²/σ² per step) yet is multiplied by the number of steps when the grid is shifted.
     */
    double truncatedMean(double tMin, double tMax) {
        double fMin = cdf(tMin);
        double sMax = survival(tMax);
        double mass = 1 - fMin - sMax;
        double upper = 0;
        double lo = 0;
        for (double hi : breakpoints(tMax)) {
            upper += Quadrature.integrate(t -> survival(t) - sMax, lo, hi);
            lo = hi;
        }
        double lower = 0;
        double bottom = Math.max(tMin, log1mQ);
        double left = 0;
        for (double b : breakpoints(-bottom)) {
            lower += Quadrature.integrate(t -> cdf(t) - fMin, -b, left);
            left = -b;
        }
        return (upper - lower) / mass;
    }

    /**
     * Split points on (0, end]: log-spaced near 0, where the loss of a small-q step concentrates, then doubling,
     * ending exactly at end.
     */
    private static double[] breakpoints(double end) {
        double[] p = new double[64];
        int n = 0;
        for (double x = 1e-5; x < end && n < 62; x *= x < 1 ? 10 : 2) p[n++] = x;
        p[n++] = end;
        return Arrays.copyOf(p, n);
    }
}
