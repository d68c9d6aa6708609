package org.dpmammo.privacy.accounting;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Rényi-DP accountant for the Poisson-subsampled Gaussian mechanism, following Mironov, Talwar and Zhang,
 * "Rényi Differential Privacy of the Sampled Gaussian Mechanism" (arXiv 1908.10530, §3.3), with the RDP → (ε, δ)
 * conversion of Balle et al., "Hypothesis Testing Interpretations and Rényi DP" (arXiv 1905.09982, Thm 21).
 *
 * <p>Everything is in log space so that A_α stays finite for σ down to 0.3 and orders up to 1024 (log A_α reaches
 * millions there). Fractional orders use the exact signed binomial series, as Opacus does, so ε agrees with Opacus'
 * RDPAccountant; dp_accounting's absolute-value series is a slightly larger upper bound and is not used.
 *
 * <p>Every finite input answers in bounded time. Below σ ≈ 1e-154 the exponent i²/(2σ²) leaves double range; the RDP
 * at such an order is reported as +∞, so ε = +∞ with the warning "RDP is infinite at every order" (between 1e-154
 * and 1e-150 some orders stay finite and ε is a finite number near 1e300).
 */
public final class RdpAccountant implements Accountant {
    /** Opacus' orders: 1.1, 1.2, …, 10.9, then 12, 13, …, 63 (11 is not in the list). */
    public static final double[] DEFAULT_ORDERS = defaultOrders();
    /**
     * The default orders plus a roughly geometric set from 64 to 1024 (about four per octave), for small σ or very
     * large ε, where the optimum moves above 63.
     */
    public static final double[] EXTENDED_ORDERS = extendedOrders();

    /**
     * The fractional series stops once a term drops below e^-30 (A_α ≥ 1, so this is a relative error below 1e-13,
     * the same cut-off Opacus uses).
     */
    private static final double LOG_TERM_CUTOFF = -30;
    /** A fractional series that has not converged by then is treated as +∞ at that order, which is always safe. */
    private static final int MAX_SERIES_TERMS = 2_000_000;

    private final double[] orders;

    public RdpAccountant() {
        this(DEFAULT_ORDERS);
    }

    public RdpAccountant(double[] orders) {
        if (orders.length == 0) throw new IllegalArgumentException("no RDP orders");
        for (double a : orders) {
            if (!(a > 1)) throw new IllegalArgumentException("RDP orders must be > 1, got " + a);
        }
        this.orders = orders.clone();
    }

    @Override
    public String name() {
        return "rdp";
    }

    public double[] orders() {
        return orders.clone();
    }

    /**
     * RDP ε_α of one step of the sampled Gaussian mechanism (sensitivity 1, add/remove adjacency):
     * log(A_α)/(α − 1) with A_α = E_{z∼N(0,σ²)}[((1−q) + q·e^{(2z−1)/(2σ²)})^α].
     */
    public static double rdpPerStep(double q, double sigma, double alpha) {
        if (q == 1) return alpha / (2 * sigma * sigma);
        if (alpha == Double.POSITIVE_INFINITY) return Double.POSITIVE_INFINITY;
        double logA = alpha == Math.rint(alpha) ? logAInteger(q, sigma, (int) alpha) : logAFractional(q, sigma, alpha);
        return logA / (alpha - 1);
    }

    /** Per-order RDP of the whole history: RDP composes by adding, Σ_j steps_j · ε_α(q_j, σ_j). */
    public double[] rdpCurve(List<Segment> history) {
        double[] total = new double[orders.length];
        for (Segment s : Segment.compact(history)) {
            for (int k = 0; k < orders.length; k++) {
                total[k] += s.steps() * rdpPerStep(s.sampleRate(), s.noiseMultiplier(), orders[k]);
            }
        }
        return total;
    }

    @Override
    public Epsilon epsilon(List<Segment> history, double delta) {
        Segment.checkDelta(delta);
        return epsilonFromCurve(rdpCurve(history), delta);
    }

    /**
     * The (ε, δ) guarantee implied by an RDP curve over this accountant's orders, minimised over the orders with
     * ε(α) = r_α + log((α−1)/α) − (log δ + log α)/(α − 1) (Balle et al. 2020, Thm 21). ε is clamped at 0: an
     * (ε, δ) guarantee with negative ε implies one with ε = 0.
     */
    public Epsilon epsilonFromCurve(double[] rdp, double delta) {
        Segment.checkDelta(delta);
        if (rdp.length != orders.length) throw new IllegalArgumentException("RDP curve and orders differ in length");
        if (Arrays.stream(rdp).allMatch(r -> r == 0)) {
            // No step taken: nothing was released, and the conversion's slack terms must not invent a cost.
            return new Epsilon(0, delta, "rdp", Double.NaN, 0, 0, List.of());
        }
        double logDelta = Math.log(delta);
        double best = Double.POSITIVE_INFINITY;
        int bestK = -1;
        for (int k = 0; k < orders.length; k++) {
            double a = orders[k];
            double eps = rdp[k] + Math.log1p(-1 / a) - (logDelta + Math.log(a)) / (a - 1);
            if (eps < best) {
                best = eps;
                bestK = k;
            }
        }
        List<String> warnings = new ArrayList<>();
        if (bestK < 0) {
            warnings.add("RDP is infinite at every order; no finite epsilon");
            return new Epsilon(Double.POSITIVE_INFINITY, delta, "rdp", Double.NaN, 0, Double.POSITIVE_INFINITY, warnings);
        }
        double order = orders[bestK];
        if (best > 0 && orders.length > 1 && (bestK == 0 || bestK == orders.length - 1)) {
            boolean largest = bestK == orders.length - 1;
            warnings.add("optimal RDP order " + order + " is the " + (largest ? "largest" : "smallest")
                    + " order tried; epsilon may be loose" + (largest && order < 1024 ? " (the extended orders reach 1024)" : ""));
        }
        double eps = Math.max(0, best);
        return new Epsilon(eps, delta, "rdp", order, 0, eps, warnings);
    }

    /**
     * log A_α for integer α from the finite binomial sum Σ_{i=0}^{α} C(α,i)(1−q)^{α−i} q^i e^{(i²−i)/(2σ²)}.
     * Since the binomial weights sum to 1, A_α − 1 = Σ_{i≥2} C(α,i)(1−q)^{α−i} q^i (e^{(i²−i)/(2σ²)} − 1), a sum
     * of positive terms; working with it keeps full relative precision when A_α − 1 is tiny (small q, large σ),
     * where summing to ≈ 1 first would leave only a few correct digits of log A_α.
     */
    static double logAInteger(double q, double sigma, int alpha) {
        double logQ = Math.log(q);
        double log1mQ = Math.log1p(-q);
        double twoSigma2 = 2 * sigma * sigma;
        double[] terms = new double[alpha + 1];
        double logBinom = 0;
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 1; i <= alpha; i++) {
            logBinom += Math.log((double) (alpha - i + 1) / i);
            if (i < 2) continue;
            double x = ((double) i * i - i) / twoSigma2;
            // log(e^x − 1), without overflow for large x
            double logExpm1 = x > 1 ? x + Math.log1p(-Math.exp(-x)) : Math.log(Math.expm1(x));
            terms[i] = logBinom + i * logQ + (alpha - i) * log1mQ + logExpm1;
            max = Math.max(max, terms[i]);
        }
        if (max == Double.NEGATIVE_INFINITY) return 0;
        // A term that overflowed (σ so small that i²/(2σ²) is beyond double range) makes A_α itself +∞.
        if (max == Double.POSITIVE_INFINITY) return Double.POSITIVE_INFINITY;
        double sum = 0;
        for (int i = 2; i <= alpha; i++) sum += Math.exp(terms[i] - max);
        double logAm1 = max + Math.log(sum);
        // log A = log(1 + e^{logAm1}), in the form that neither overflows nor loses the small case.
        return logAm1 > 0 ? logAm1 + Math.log1p(Math.exp(-logAm1)) : Math.log1p(Math.exp(logAm1));
    }

    /**
     * log A_α for fractional α: the integral split at z₀ = σ² log(1/q − 1) + 1/2, each half expanded as a
     * generalised binomial series (Mironov et al. 2019, §3.3). For i > α the coefficients C(α, i) alternate in
     * sign and are kept signed, so the result is A_α itself rather than an upper bound on it.
     */
    static double logAFractional(double q, double sigma, double alpha) {
        double logQ = Math.log(q);
        double log1mQ = Math.log1p(-q);
        double sigma2 = sigma * sigma;
        double z0 = sigma2 * (log1mQ - logQ) + 0.5;
        double sqrt2Sigma = Math.sqrt(2) * sigma;
        // Terms are kept as (sign, log magnitude) and summed at the end relative to the largest, which is exact
        // enough here: the series starts with its largest terms, all positive, and the signed tail only shrinks.
        Terms s0 = new Terms();
        Terms s1 = new Terms();
        double logAbsBinom = 0;
        int sign = 1;
        for (int i = 0; i < MAX_SERIES_TERMS; i++) {
            if (i > 0) {
                double ratio = (alpha - i + 1) / i;
                if (ratio < 0) sign = -sign;
                logAbsBinom += Math.log(Math.abs(ratio));
            }
            double j = alpha - i;
            double logS0 = logAbsBinom + i * logQ + j * log1mQ + ((double) i * i - i) / (2 * sigma2)
                    - SpecialFunctions.LOG_2 + SpecialFunctions.logErfc((i - z0) / sqrt2Sigma);
            double logS1 = logAbsBinom + j * logQ + i * log1mQ + (j * j - j) / (2 * sigma2)
                    - SpecialFunctions.LOG_2 + SpecialFunctions.logErfc((z0 - j) / sqrt2Sigma);
            // Below σ ≈ 1e-154, i²/(2σ²) overflows while log erfc(·) goes to −∞: a term of unknown (in truth
            // enormous) size. +∞ at this order is safe, and stops a series that would otherwise never converge.
            if (!(logS0 < Double.POSITIVE_INFINITY && logS1 < Double.POSITIVE_INFINITY)) return Double.POSITIVE_INFINITY;
            s0.add(sign, logS0);
            s1.add(sign, logS1);
            if (i > alpha && Math.max(logS0, logS1) < LOG_TERM_CUTOFF) {
                // A_α ≥ 1 (Jensen: the base has mean 1), so a log below 0 is rounding when A_α − 1 is below
                // double resolution (tiny q, large σ); report 0 there rather than a negative RDP.
                return Math.max(0, SpecialFunctions.logAdd(s0.logSum(), s1.logSum()));
            }
        }
        return Double.POSITIVE_INFINITY;
    }

    /** Signed terms given by their logs, summed exactly relative to the largest. */
    private static final class Terms {
        private double[] logs = new double[64];
        private boolean[] negative = new boolean[64];
        private int n;
        private double max = Double.NEGATIVE_INFINITY;

        void add(int sign, double log) {
            if (n == logs.length) {
                logs = Arrays.copyOf(logs, 2 * n);
                negative = Arrays.copyOf(negative, 2 * n);
            }
            logs[n] = log;
            negative[n++] = sign < 0;
            max = Math.max(max, log);
        }

        /** log of the sum; +∞ if rounding left it non-positive, which makes this order unusable but never unsafe. */
        double logSum() {
            if (max == Double.NEGATIVE_INFINITY) return max;
            double sum = 0;
            double comp = 0;
            for (int k = 0; k < n; k++) {
                double v = Math.exp(logs[k] - max);
                if (negative[k]) v = -v;
                // Neumaier summation: the alternating tail adds many small terms of both signs.
                double t = sum + v;
                comp += Math.abs(sum) >= Math.abs(v) ? (sum - t) + v : (v - t) + sum;
                sum = t;
            }
            sum += comp;
            return sum > 0 ? max + Math.log(sum) : Double.POSITIVE_INFINITY;
        }
    }

    private static double[] defaultOrders() {
        double[] o = new double[99 + 52];
        for (int x = 1; x <= 99; x++) o[x - 1] = 1 + x / 10.0;
        for (int a = 12; a <= 63; a++) o[99 + a - 12] = a;
        return o;
    }

    private static double[] extendedOrders() {
        double[] high = {64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384, 448, 512, 640, 768, 896, 1024};
        double[] d = defaultOrders();
        double[] o = Arrays.copyOf(d, d.length + high.length);
        System.arraycopy(high, 0, o, d.length, high.length);
        return o;
    }
}
