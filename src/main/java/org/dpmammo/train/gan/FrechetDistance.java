package org.dpmammo.train.gan;

/**
 * The Fréchet distance between Gaussians fitted to two sets of feature vectors, as in FID and the study's FRD:
 * ‖μ₁ − μ₂‖² + tr(C₁ + C₂ − 2(C₁^½ C₂ C₁^½)^½). The symmetric form of the cross term keeps every square root that of a
 * symmetric PSD matrix, so a Jacobi eigen-decomposition suffices (no general matrix square root, no complex parts).
 */
public final class FrechetDistance {
    private FrechetDistance() {}

    /** Distance between the sample Gaussians of rows a [n₁][d] and b [n₂][d]; each set needs at least two rows. */
    public static double between(double[][] a, double[][] b) {
        if (a.length < 2 || b.length < 2) throw new IllegalArgumentException("Fréchet distance needs at least 2 vectors per set, got " + a.length + " and " + b.length);
        if (a[0].length != b[0].length) throw new IllegalArgumentException("Fréchet distance: feature sizes " + a[0].length + " and " + b[0].length + " differ");
        return of(mean(a), covariance(a), mean(b), covariance(b));
    }

    public static double of(double[] mu1, double[][] c1, double[] mu2, double[][] c2) {
        int d = mu1.length;
        double dm = 0;
        for (int i = 0; i < d; i++) dm += (mu1[i] - mu2[i]) * (mu1[i] - mu2[i]);
        double[][] r1 = SymmetricEigen.sqrtPsd(c1);
        double[][] inner = multiply(multiply(r1, c2), r1);
        symmetrize(inner);
        double[][] cross = SymmetricEigen.sqrtPsd(inner);
        double tr = 0;
        for (int i = 0; i < d; i++) tr += c1[i][i] + c2[i][i] - 2 * cross[i][i];
        // Rounding can leave a tiny negative trace for identical covariances; the distance is non-negative by definition.
        return dm + Math.max(0, tr);
    }

    public static double[] mean(double[][] x) {
        int d = x[0].length;
        double[] m = new double[d];
        for (double[] row : x) for (int j = 0; j < d; j++) m[j] += row[j];
        for (int j = 0; j < d; j++) m[j] /= x.length;
        return m;
    }

    /** The unbiased sample covariance (divisor n − 1, as numpy.cov and the FID code use). */
    public static double[][] covariance(double[][] x) {
        int n = x.length, d = x[0].length;
        double[] m = mean(x);
        double[][] c = new double[d][d];
        for (double[] row : x) {
            for (int i = 0; i < d; i++) {
                double di = row[i] - m[i];
                for (int j = i; j < d; j++) c[i][j] += di * (row[j] - m[j]);
            }
        }
        for (int i = 0; i < d; i++) {
            for (int j = i; j < d; j++) {
                c[i][j] /= n - 1;
                c[j][i] = c[i][j];
            }
        }
        return c;
    }

    static double[][] multiply(double[][] a, double[][] b) {
        int n = a.length, m = b[0].length, k = b.length;
        double[][] out = new double[n][m];
        for (int i = 0; i < n; i++) {
            for (int p = 0; p < k; p++) {
                double aip = a[i][p];
                for (int j = 0; j < m; j++) out[i][j] += aip * b[p][j];
            }
        }
        return out;
    }

    private static void symmetrize(double[][] a) {
        for (int i = 0; i < a.length; i++) {
            for (int j = i + 1; j < a.length; j++) {
                double s = (a[i][j] + a[j][i]) / 2;
                a[i][j] = s;
                a[j][i] = s;
            }
        }
    }
}
