package org.dpmammo.privacy.audit;

import java.util.Arrays;
import java.util.List;

/**
 * The statistics of "Privacy Auditing with One (1) Training Run" (Steinke, Nasr &amp; Jagielski 2023, arXiv
 * 2305.08846): m canaries are each included in training independently with probability ½; after one run the auditor
 * guesses "in" for the r₊ highest-scoring canaries and "out" for the r₋ lowest and abstains on the rest. If the
 * training algorithm is (ε, δ)-DP, the number W of correct guesses among the r = r₊ + r₋ guesses satisfies
 * (their Theorem 3.1 with the δ term of their Algorithm 2)
 *
 * <pre>
 *   P[W ≥ v] ≤ β + 2mδ·α,   β = P[Bin(r, q) ≥ v],   α = max_{1 ≤ i ≤ v} P[v − i ≤ Bin(r, q) &lt; v] / i,
 *   q = e^ε / (1 + e^ε)   (the accuracy of ε-DP randomised response).
 * </pre>
 *
 * So an observed v whose p-value at ε is below 1 − confidence rejects (ε, δ)-DP, and the largest rejected ε is an
 * empirical lower bound on the ε the run really has. Pure arithmetic, no state: it can be checked alone.
 */
public final class OneRunAudit {
    private OneRunAudit() {}

    /** The outcome of one guessing rule: how many canaries were guessed and how many of those guesses were right. */
    public record Guesses(int plus, int minus, int guessed, int correct) {}

    /** The audit's verdict: the lower bound, and the guessing rule that gave it. */
    public record Result(double epsilonLowerBound, int canaries, Guesses best, double confidence, int rulesTried) {}

    /** P[W ≥ v] under (ε, δ)-DP with m canaries, r guesses (the theorem's bound, capped at 1). */
    public static double pValue(int m, int r, int v, double eps, double delta) {
        if (!(0 <= v && v <= r && r <= m)) throw new IllegalArgumentException("need 0 ≤ v ≤ r ≤ m, got v=" + v + " r=" + r + " m=" + m);
        if (!(eps >= 0) || !(delta >= 0 && delta <= 1)) throw new IllegalArgumentException("need ε ≥ 0 and δ in [0, 1], got " + eps + ", " + delta);
        double[] pmf = binomialPmf(r, 1 / (1 + Math.exp(-eps)));
        double beta = 0;
        for (int k = v; k <= r; k++) beta += pmf[k];
        double alpha = 0, below = 0;
        for (int i = 1; i <= v; i++) {
            below += pmf[v - i];
            alpha = Math.max(alpha, below / i);
        }
        return Math.min(1, beta + 2 * m * delta * alpha);
    }

    /** Bin(r, q) probabilities, computed in logs so that r in the thousands neither underflows nor overflows early. */
    static double[] binomialPmf(int r, double q) {
        double[] logFact = new double[r + 1];
        for (int i = 1; i <= r; i++) logFact[i] = logFact[i - 1] + Math.log(i);
        double lq = Math.log(q), l1q = Math.log1p(-q);
        double[] pmf = new double[r + 1];
        for (int k = 0; k <= r; k++) {
            // q = 1 only at ε = ∞; 0·log 0 is 0 there.
            double a = k == 0 ? 0 : k * lq, b = r - k == 0 ? 0 : (r - k) * l1q;
            pmf[k] = Math.exp(logFact[r] - logFact[k] - logFact[r - k] + a + b);
        }
        return pmf;
    }

    /**
     * The largest ε (to 1e-4) that v correct out of r guesses rejects at the given confidence, or 0 when even ε = 0 is
     * not rejected. The p-value grows with ε, so bisection finds the boundary.
     */
    public static double epsilonLowerBound(int m, int r, int v, double delta, double confidence) {
        double level = 1 - confidence;
        if (pValue(m, r, v, 0, delta) >= level) return 0;
        double lo = 0, hi = 1;
        while (pValue(m, r, v, hi, delta) < level) {
            lo = hi;
            hi *= 2;
            if (hi > 1e3) return lo; // every finite ε tried is rejected: only a bound this large is reported
        }
        while (hi - lo > 1e-4) {
            double mid = (lo + hi) / 2;
            if (pValue(m, r, v, mid, delta) < level) lo = mid;
            else hi = mid;
        }
        return lo;
    }

    /**
     * Guesses from scores (higher = more likely included): "in" for the {@code plus} highest, "out" for the
     * {@code minus} lowest, and counts the correct ones against the truth.
     */
    public static Guesses guess(double[] scores, boolean[] included, int plus, int minus) {
        int m = scores.length;
        if (included.length != m || plus < 0 || minus < 0 || plus + minus > m) {
            throw new IllegalArgumentException("guess: " + plus + " + " + minus + " guesses among " + m + " canaries");
        }
        Integer[] order = new Integer[m];
        for (int i = 0; i < m; i++) order[i] = i;
        // Ties broken by index, a rule fixed before the scores are seen.
        Arrays.sort(order, (a, b) -> scores[a] != scores[b] ? Double.compare(scores[b], scores[a]) : Integer.compare(a, b));
        int correct = 0;
        for (int k = 0; k < plus; k++) if (included[order[k]]) correct++;
        for (int k = m - minus; k < m; k++) if (!included[order[k]]) correct++;
        return new Guesses(plus, minus, plus + minus, correct);
    }

    /**
     * Runs the audit over several guessing rules (each a fraction of m guessed on each side) and keeps the best. Trying
     * several rules on the same run is multiple testing, so each is judged at confidence 1 − (1 − confidence)/rules
     * (Bonferroni): the reported bound holds at the stated confidence overall.
     */
    public static Result audit(double[] scores, boolean[] included, double delta, double confidence, List<Double> fractionsPerSide) {
        int m = scores.length;
        int rules = fractionsPerSide.size();
        double each = 1 - (1 - confidence) / rules;
        Guesses best = new Guesses(0, 0, 0, 0);
        double bound = 0;
        for (double f : fractionsPerSide) {
            int k = (int) Math.floor(f * m);
            if (k < 1 || 2 * k > m) throw new IllegalArgumentException("guess fraction " + f + " gives " + k + " guesses per side of " + m + " canaries");
            Guesses g = guess(scores, included, k, k);
            double e = epsilonLowerBound(m, g.guessed(), g.correct(), delta, each);
            if (e > bound || best.guessed() == 0) {
                bound = Math.max(bound, e);
                best = g;
            }
        }
        return new Result(bound, m, best, confidence, rules);
    }
}
