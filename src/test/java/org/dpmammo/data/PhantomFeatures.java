package org.dpmammo.data;

import java.util.Arrays;

/** Hand-made features and a tiny logistic regression, to measure how separable the phantom's classes are. */
final class PhantomFeatures {
    private PhantomFeatures() {}

    static double[] of(GrayImage g) {
        int n = g.width();
        float[] v = g.toUnit().data();
        double c = n * 0.53; // masses sit slightly down-right of centre
        double inner = 0;
        double innerN = 0;
        double ring = 0;
        double ringN = 0;
        double radial = 0;
        double tangential = 0;
        double maxGrad = 0;
        double rough = 0;
        for (int y = 1; y < n - 1; y++) {
            for (int x = 1; x < n - 1; x++) {
                double dx = x + 0.5 - c;
                double dy = y + 0.5 - c;
                double r = Math.sqrt(dx * dx + dy * dy) / n;
                double gx = (v[y * n + x + 1] - v[y * n + x - 1]) / 2;
                double gy = (v[(y + 1) * n + x] - v[(y - 1) * n + x]) / 2;
                double lap = v[y * n + x + 1] + v[y * n + x - 1] + v[(y + 1) * n + x] + v[(y - 1) * n + x] - 4 * v[y * n + x];
                if (r < 0.12) {
                    inner += v[y * n + x];
                    innerN++;
                }
                if (r > 0.35 && r < 0.48) {
                    ring += v[y * n + x];
                    ringN++;
                }
                if (r > 0.1 && r < 0.45) {
                    double ux = dx / (r * n);
                    double uy = dy / (r * n);
                    double gr = gx * ux + gy * uy;
                    double gt = -gx * uy + gy * ux;
                    radial += gr * gr;
                    tangential += gt * gt;
                    maxGrad = Math.max(maxGrad, Math.abs(gr));
                    rough += lap * lap;
                }
            }
        }
        double contrast = inner / innerN - ring / ringN;
        return new double[] {
            maxGrad / (Math.abs(contrast) + 0.02),
            Math.log((radial + 1e-9) / (tangential + 1e-9)),
            contrast,
            Math.log(rough + 1e-9) - Math.log(radial + tangential + 1e-9),
        };
    }

    /** Fits logistic regression on rows [0, train) by gradient descent on standardised features; scores every row. */
    static double[] logisticScores(double[][] x, int[] y, int train) {
        int d = x[0].length;
        double[] mean = new double[d];
        double[] sd = new double[d];
        for (int j = 0; j < d; j++) {
            for (int i = 0; i < train; i++) mean[j] += x[i][j] / train;
            for (int i = 0; i < train; i++) sd[j] += (x[i][j] - mean[j]) * (x[i][j] - mean[j]) / train;
            sd[j] = Math.sqrt(sd[j]) + 1e-12;
        }
        double[][] z = new double[x.length][d];
        for (int i = 0; i < x.length; i++) for (int j = 0; j < d; j++) z[i][j] = (x[i][j] - mean[j]) / sd[j];
        double[] w = new double[d + 1];
        for (int it = 0; it < 2000; it++) {
            double[] grad = new double[d + 1];
            for (int i = 0; i < train; i++) {
                double err = sigmoid(dot(w, z[i])) - y[i];
                for (int j = 0; j < d; j++) grad[j] += err * z[i][j] / train;
                grad[d] += err / train;
            }
            for (int j = 0; j <= d; j++) w[j] -= 0.5 * grad[j];
        }
        double[] s = new double[x.length];
        for (int i = 0; i < x.length; i++) s[i] = dot(w, z[i]);
        return s;
    }

    private static double dot(double[] w, double[] z) {
        double s = w[z.length];
        for (int j = 0; j < z.length; j++) s += w[j] * z[j];
        return s;
    }

    private static double sigmoid(double t) {
        return 1 / (1 + Math.exp(-t));
    }

    /** Area under the ROC curve: the probability a positive outscores a negative, ties counting half. */
    static double auroc(double[] score, int[] label) {
        Integer[] idx = new Integer[score.length];
        for (int i = 0; i < idx.length; i++) idx[i] = i;
        Arrays.sort(idx, (a, b) -> Double.compare(score[a], score[b]));
        double rankSum = 0;
        long pos = 0;
        int i = 0;
        while (i < idx.length) {
            int j = i;
            while (j + 1 < idx.length && score[idx[j + 1]] == score[idx[i]]) j++;
            double rank = (i + j) / 2.0 + 1;
            for (int k = i; k <= j; k++) {
                if (label[idx[k]] == 1) {
                    rankSum += rank;
                    pos++;
                }
            }
            i = j + 1;
        }
        long neg = score.length - pos;
        return (rankSum - pos * (pos + 1) / 2.0) / (pos * (double) neg);
    }
}
