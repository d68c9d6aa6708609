package org.dpmammo.train;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The study's evaluation metrics (docs/STUDY.md §7), with labels 1 = benign (the positive class) and 0 = malignant, and
 * a score p = softmax(logits)[1], the probability of benign. Definitions follow scikit-learn, which the study used:
 * accuracy from argmax (benign iff p &gt; 0.5, since torch's argmax picks class 0 on a tie), F1 for label 1 with 0
 * when undefined, AUROC = roc_auc_score (ties between a positive and a negative count one half), AUPRC =
 * average_precision_score (the step-wise sum Σ (Rₖ − Rₖ₋₁)·Pₖ over distinct thresholds, no interpolation).
 * AUROC and AUPRC are NaN when a class is absent, where scikit-learn raises or warns.
 */
public final class Metrics {
    private Metrics() {}

    public static double accuracy(int[] y, double[] p) {
        check(y, p);
        if (y.length == 0) return Double.NaN;
        int right = 0;
        for (int i = 0; i < y.length; i++) if ((p[i] > 0.5 ? 1 : 0) == y[i]) right++;
        return (double) right / y.length;
    }

    /** F1 of label 1 (benign) with the argmax prediction; 0 when there are no true and no predicted positives. */
    public static double f1(int[] y, double[] p) {
        check(y, p);
        int tp = 0, fp = 0, fn = 0;
        for (int i = 0; i < y.length; i++) {
            boolean pred = p[i] > 0.5;
            if (pred && y[i] == 1) tp++;
            else if (pred) fp++;
            else if (y[i] == 1) fn++;
        }
        int denom = 2 * tp + fp + fn;
        return denom == 0 ? 0 : 2.0 * tp / denom;
    }

    /** Area under the ROC curve as the Mann–Whitney statistic with half credit for tied scores. */
    public static double auroc(int[] y, double[] p) {
        check(y, p);
        Integer[] order = byScore(p, false);
        long pos = 0, neg = 0;
        for (int v : y) if (v == 1) pos++; else neg++;
        if (pos == 0 || neg == 0) return Double.NaN;
        // Walk groups of equal scores from the lowest: each positive beats every negative below its group and ties
        // with the negatives inside it.
        double wins = 0;
        long negBelow = 0;
        for (int i = 0; i < order.length; ) {
            int j = i;
            long gp = 0, gn = 0;
            while (j < order.length && p[order[j]] == p[order[i]]) {
                if (y[order[j]] == 1) gp++; else gn++;
                j++;
            }
            wins += gp * (negBelow + 0.5 * gn);
            negBelow += gn;
            i = j;
        }
        return wins / ((double) pos * neg);
    }

    /** Average precision: Σ over distinct thresholds (descending) of (recall gain) × (precision at that threshold). */
    public static double averagePrecision(int[] y, double[] p) {
        check(y, p);
        long pos = 0;
        for (int v : y) if (v == 1) pos++;
        if (pos == 0 || pos == y.length) return pos == 0 ? Double.NaN : 1.0;
        Integer[] order = byScore(p, true);
        double ap = 0;
        long tp = 0, seen = 0;
        for (int i = 0; i < order.length; ) {
            int j = i;
            long gp = 0;
            while (j < order.length && p[order[j]] == p[order[i]]) {
                if (y[order[j]] == 1) gp++;
                j++;
            }
            tp += gp;
            seen += j - i;
            ap += ((double) gp / pos) * ((double) tp / seen);
            i = j;
        }
        return ap;
    }

    /** A point of an operating curve: x, y and the score threshold (predict positive iff score ≥ threshold). */
    public record Point(double x, double y, double threshold) {}

    /** ROC curve points (false-positive rate, true-positive rate) from (0, 0) to (1, 1), one per distinct score. */
    public static List<Point> roc(int[] y, double[] p) {
        check(y, p);
        long pos = 0, neg = 0;
        for (int v : y) if (v == 1) pos++; else neg++;
        List<Point> out = new ArrayList<>();
        out.add(new Point(0, 0, Double.POSITIVE_INFINITY));
        Integer[] order = byScore(p, true);
        long tp = 0, fp = 0;
        for (int i = 0; i < order.length; ) {
            int j = i;
            while (j < order.length && p[order[j]] == p[order[i]]) {
                if (y[order[j]] == 1) tp++; else fp++;
                j++;
            }
            out.add(new Point(neg == 0 ? 0 : (double) fp / neg, pos == 0 ? 0 : (double) tp / pos, p[order[i]]));
            i = j;
        }
        return out;
    }

    /** Precision–recall curve points (recall, precision), one per distinct score, from the highest score down. */
    public static List<Point> precisionRecall(int[] y, double[] p) {
        check(y, p);
        long pos = 0;
        for (int v : y) if (v == 1) pos++;
        List<Point> out = new ArrayList<>();
        Integer[] order = byScore(p, true);
        long tp = 0, seen = 0;
        for (int i = 0; i < order.length; ) {
            int j = i;
            while (j < order.length && p[order[j]] == p[order[i]]) {
                if (y[order[j]] == 1) tp++;
                j++;
            }
            seen += j - i;
            out.add(new Point(pos == 0 ? 0 : (double) tp / pos, (double) tp / seen, p[order[i]]));
            i = j;
        }
        return out;
    }

    /**
     * The malignancy threshold on m = 1 − p (call malignant iff m ≥ t) that maximises Youden's J = sensitivity +
     * specificity − 1 on the given (validation) set; the highest such threshold on ties, so fewer false alarms.
     */
    public static double youdenThreshold(int[] y, double[] p) {
        check(y, p);
        double[] m = new double[p.length];
        int[] mal = new int[y.length];
        for (int i = 0; i < p.length; i++) {
            m[i] = 1 - p[i];
            mal[i] = 1 - y[i];
        }
        double best = Double.NEGATIVE_INFINITY, bestT = 0.5;
        for (Point pt : roc(mal, m)) {
            if (Double.isInfinite(pt.threshold())) continue;
            double j = pt.y() - pt.x();
            if (j > best) {
                best = j;
                bestT = pt.threshold();
            }
        }
        return bestT;
    }

    /** Sensitivity for malignancy: malignant cases with m = 1 − p ≥ t, over all malignant cases. */
    public static double sensitivity(int[] y, double[] p, double t) {
        check(y, p);
        int mal = 0, hit = 0;
        for (int i = 0; i < y.length; i++) {
            if (y[i] == 0) {
                mal++;
                if (1 - p[i] >= t) hit++;
            }
        }
        return mal == 0 ? Double.NaN : (double) hit / mal;
    }

    /** Specificity for malignancy: benign cases with m = 1 − p &lt; t, over all benign cases. */
    public static double specificity(int[] y, double[] p, double t) {
        check(y, p);
        int ben = 0, ok = 0;
        for (int i = 0; i < y.length; i++) {
            if (y[i] == 1) {
                ben++;
                if (1 - p[i] < t) ok++;
            }
        }
        return ben == 0 ? Double.NaN : (double) ok / ben;
    }

    /** A point estimate with its percentile bootstrap interval. */
    public record Estimate(double value, double lo, double hi) {}

    /** Every reported metric on one set; sensitivity and specificity use a threshold fixed beforehand (on validation). */
    public record Report(int n, int benign, Estimate accuracy, Estimate f1, Estimate auroc, Estimate auprc,
                         double threshold, Estimate sensitivity, Estimate specificity) {}

    @FunctionalInterface
    private interface Metric {
        double of(int[] y, double[] p);
    }

    /**
     * All metrics with 95 % percentile bootstrap intervals over {@code resamples} resamples of the examples drawn
     * with a generator seeded by {@code seed}; a resample on which a metric is undefined (one class only) is skipped
     * for that metric.
     */
    public static Report report(int[] y, double[] p, double threshold, int resamples, long seed) {
        Metric[] ms = {
            Metrics::accuracy, Metrics::f1, Metrics::auroc, Metrics::averagePrecision,
            (yy, pp) -> sensitivity(yy, pp, threshold), (yy, pp) -> specificity(yy, pp, threshold)};
        Estimate[] e = bootstrap(y, p, ms, resamples, seed);
        int benign = 0;
        for (int v : y) benign += v;
        return new Report(y.length, benign, e[0], e[1], e[2], e[3], threshold, e[4], e[5]);
    }

    /** AUROC with its 95 % percentile bootstrap interval, on the resamples {@link #report} draws for the same seed. */
    public static Estimate aurocInterval(int[] y, double[] p, int resamples, long seed) {
        return bootstrap(y, p, new Metric[] {Metrics::auroc}, resamples, seed)[0];
    }

    /** Each metric's point value and percentile interval over {@code resamples} resamples of the examples. */
    private static Estimate[] bootstrap(int[] y, double[] p, Metric[] ms, int resamples, long seed) {
        check(y, p);
        int n = y.length;
        double[][] samples = new double[ms.length][resamples];
        int[] count = new int[ms.length];
        java.util.SplittableRandom rng = new java.util.SplittableRandom(seed);
        int[] yb = new int[n];
        double[] pb = new double[n];
        for (int b = 0; b < resamples && n > 0; b++) {
            for (int i = 0; i < n; i++) {
                int k = rng.nextInt(n);
                yb[i] = y[k];
                pb[i] = p[k];
            }
            for (int m = 0; m < ms.length; m++) {
                double v = ms[m].of(yb, pb);
                if (!Double.isNaN(v)) samples[m][count[m]++] = v;
            }
        }
        Estimate[] e = new Estimate[ms.length];
        for (int m = 0; m < ms.length; m++) {
            double[] s = Arrays.copyOf(samples[m], count[m]);
            Arrays.sort(s);
            e[m] = new Estimate(ms[m].of(y, p), percentile(s, 0.025), percentile(s, 0.975));
        }
        return e;
    }

    /** Linear interpolation between order statistics (numpy's default percentile). */
    static double percentile(double[] sorted, double q) {
        if (sorted.length == 0) return Double.NaN;
        double pos = q * (sorted.length - 1);
        int lo = (int) Math.floor(pos);
        int hi = Math.min(lo + 1, sorted.length - 1);
        return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
    }

    private static Integer[] byScore(double[] p, boolean descending) {
        Integer[] order = new Integer[p.length];
        for (int i = 0; i < p.length; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> descending ? Double.compare(p[b], p[a]) : Double.compare(p[a], p[b]));
        return order;
    }

    private static void check(int[] y, double[] p) {
        if (y.length != p.length) throw new IllegalArgumentException("metrics: " + y.length + " labels for " + p.length + " scores");
        for (int v : y) if (v != 0 && v != 1) throw new IllegalArgumentException("metrics: label " + v + " is not 0 or 1");
        for (double v : p) if (Double.isNaN(v)) throw new IllegalArgumentException("metrics: a score is NaN");
    }
}
