package org.dpmammo.train.gan;

import java.util.Arrays;

/**
 * Improved precision and recall of a generated distribution (Kynkäänniemi et al., NeurIPS 2019): each set's
 * manifold is the union of balls around its points with radius the distance to the point's k-th nearest neighbour in
 * the same set. Precision is the fraction of generated points inside the real manifold (fidelity), recall the
 * fraction of real points inside the generated manifold (coverage). Both are 1 when the sets are identical.
 */
public final class ManifoldPrecisionRecall {
    public record Result(double precision, double recall) {}

    private ManifoldPrecisionRecall() {}

    public static Result of(double[][] real, double[][] generated, int k) {
        if (k < 1) throw new IllegalArgumentException("precision/recall: k must be at least 1, got " + k);
        if (real.length <= k || generated.length <= k) {
            throw new IllegalArgumentException("precision/recall: each set needs more than k = " + k + " points, got " + real.length + " and " + generated.length);
        }
        double[] realRadii = kthNeighbourDistances(real, k);
        double[] genRadii = kthNeighbourDistances(generated, k);
        return new Result(coverage(generated, real, realRadii), coverage(real, generated, genRadii));
    }

    /** Fraction of the query points that lie in at least one ball (centre, radius) of the manifold. */
    static double coverage(double[][] queries, double[][] centres, double[] radii) {
        int inside = 0;
        for (double[] q : queries) {
            for (int j = 0; j < centres.length; j++) {
                if (distance(q, centres[j]) <= radii[j]) {
                    inside++;
                    break;
                }
            }
        }
        return (double) inside / queries.length;
    }

    /**
     * For every point, the distance to its k-th nearest other point of the same set (the point itself excluded);
     * one row of distances at a time, so memory stays linear in the set size.
     */
    static double[] kthNeighbourDistances(double[][] x, int k) {
        int n = x.length;
        double[] out = new double[n];
        double[] row = new double[n - 1];
        for (int i = 0; i < n; i++) {
            for (int j = 0, c = 0; j < n; j++) if (j != i) row[c++] = distance(x[i], x[j]);
            Arrays.sort(row);
            out[i] = row[k - 1];
        }
        return out;
    }

    static double distance(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += (a[i] - b[i]) * (a[i] - b[i]);
        return Math.sqrt(s);
    }
}
