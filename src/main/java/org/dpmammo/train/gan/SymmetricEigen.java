package org.dpmammo.train.gan;

/**
 * Eigen-decomposition of a real symmetric matrix by cyclic Jacobi rotations: A = V·diag(λ)·Vᵀ. Quadratically
 * convergent and unconditionally stable, which is all a few dozen feature dimensions need; the matrix square root of
 * the Fréchet distance is built on it.
 */
public final class SymmetricEigen {
    /** Eigenvalues (unsorted) and the eigenvectors as the columns of {@code vectors}. */
    public record Result(double[] values, double[][] vectors) {}

    private static final int MAX_SWEEPS = 100;

    private SymmetricEigen() {}

    public static Result of(double[][] matrix) {
        int n = matrix.length;
        double[][] a = new double[n][];
        for (int i = 0; i < n; i++) {
            if (matrix[i].length != n) throw new IllegalArgumentException("eigen: row " + i + " has " + matrix[i].length + " entries, expected " + n);
            a[i] = matrix[i].clone();
        }
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) {
                double s = Math.abs(a[i][j]) + Math.abs(a[j][i]);
                if (Math.abs(a[i][j] - a[j][i]) > 1e-9 * Math.max(1, s)) throw new IllegalArgumentException("eigen: matrix is not symmetric at (" + i + ", " + j + ")");
            }
        }
        double[][] v = new double[n][n];
        for (int i = 0; i < n; i++) v[i][i] = 1;
        for (int sweep = 0; sweep < MAX_SWEEPS; sweep++) {
            double off = 0, diag = 0;
            for (int i = 0; i < n; i++) {
                diag += a[i][i] * a[i][i];
                for (int j = i + 1; j < n; j++) off += a[i][j] * a[i][j];
            }
            if (off <= 1e-30 * Math.max(diag, 1e-300)) break;
            for (int p = 0; p < n; p++) for (int q = p + 1; q < n; q++) rotate(a, v, p, q);
        }
        double[] values = new double[n];
        for (int i = 0; i < n; i++) values[i] = a[i][i];
        return new Result(values, v);
    }

    /** One Jacobi rotation that zeroes a[p][q] (Golub & Van Loan, Algorithm 8.4.1, with the stable tangent). */
    private static void rotate(double[][] a, double[][] v, int p, int q) {
        double apq = a[p][q];
        if (apq == 0) return;
        double theta = (a[q][q] - a[p][p]) / (2 * apq);
        double t = Math.signum(theta) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        if (theta == 0) t = 1;
        double c = 1 / Math.sqrt(t * t + 1), s = t * c;
        int n = a.length;
        for (int k = 0; k < n; k++) {
            double akp = a[k][p], akq = a[k][q];
            a[k][p] = c * akp - s * akq;
            a[k][q] = s * akp + c * akq;
        }
        for (int k = 0; k < n; k++) {
            double apk = a[p][k], aqk = a[q][k];
            a[p][k] = c * apk - s * aqk;
            a[q][k] = s * apk + c * aqk;
        }
        for (int k = 0; k < n; k++) {
            double vkp = v[k][p], vkq = v[k][q];
            v[k][p] = c * vkp - s * vkq;
            v[k][q] = s * vkp + c * vkq;
        }
    }

    /**
     * The symmetric positive semi-definite square root V·diag(√max(λ, 0))·Vᵀ; eigenvalues below zero come from rounding
     * of a matrix that is PSD in exact arithmetic and are clamped.
     */
    public static double[][] sqrtPsd(double[][] matrix) {
        Result r = of(matrix);
        int n = matrix.length;
        double[] root = new double[n];
        for (int i = 0; i < n; i++) root[i] = Math.sqrt(Math.max(0, r.values()[i]));
        double[][] out = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = i; j < n; j++) {
                double s = 0;
                for (int k = 0; k < n; k++) s += r.vectors()[i][k] * root[k] * r.vectors()[j][k];
                out[i][j] = s;
                out[j][i] = s;
            }
        }
        return out;
    }
}
