package org.dpmammo.data;

import java.util.Arrays;

/** Hand-made features and a tiny logistic regression, to measure how separable the phantom's classes are. */
final class PhantomFeatures {
    private PhantomFeatures() {}

    /**
     * Six features read off the mass the way a radiologist would: find the mass (brightest smoothed point near the
     * centre), then along 32 rays measure where the intensity falls halfway to the background (size and outline
     * irregularity), how steeply it falls there (margin sharpness), and, beyond the margin, how much gradient energy
     * runs across the rays rather than along them (spicules).
     */
    static double[] of(GrayImage g) {
        int n = g.width();
        float[] v = g.toUnit().data();
        float[] sm = boxBlur(v, n, Math.max(1, n / 32));
        int cx = n / 2;
        int cy = n / 2;
        double best = -1;
        for (int y = (int) (0.35 * n); y < 0.75 * n; y++) {
            for (int x = (int) (0.35 * n); x < 0.75 * n; x++) {
                if (sm[y * n + x] > best) {
                    best = sm[y * n + x];
                    cx = x;
                    cy = y;
                }
            }
        }
        double bg = 0;
        int bgN = 0;
        for (int y = 0; y < n; y++) {
            for (int x = 0; x < n; x++) {
                double r = Math.hypot(x - cx, y - cy);
                if (r > 0.42 * n) {
                    bg += sm[y * n + x];
                    bgN++;
                }
            }
        }
        bg = bgN > 0 ? bg / bgN : 0;
        double peak = best;
        double half = (peak + bg) / 2;
        int rays = 32;
        double[] rh = new double[rays];
        double slope = 0;
        for (int k = 0; k < rays; k++) {
            double a = 2 * Math.PI * k / rays;
            double r = 1;
            while (r < 0.5 * n && sample(sm, n, cx + r * Math.cos(a), cy + r * Math.sin(a)) > half) r += 0.5;
            rh[k] = r;
            double in = sample(v, n, cx + (r - 2) * Math.cos(a), cy + (r - 2) * Math.sin(a));
            double out = sample(v, n, cx + (r + 2) * Math.cos(a), cy + (r + 2) * Math.sin(a));
            slope += (in - out) / rays;
        }
        double mean = Arrays.stream(rh).average().orElse(1);
        double var = Arrays.stream(rh).map(r -> (r - mean) * (r - mean)).average().orElse(0);
        double radial = 1e-9;
        double tangential = 1e-9;
        for (int y = 1; y < n - 1; y++) {
            for (int x = 1; x < n - 1; x++) {
                double dx = x - cx;
                double dy = y - cy;
                double r = Math.sqrt(dx * dx + dy * dy);
                if (r < 1.1 * mean || r > 2.2 * mean) continue;
                double gx = (v[y * n + x + 1] - v[y * n + x - 1]) / 2;
                double gy = (v[(y + 1) * n + x] - v[(y - 1) * n + x]) / 2;
                double gr = (gx * dx + gy * dy) / r;
                double gt = (-gx * dy + gy * dx) / r;
                radial += gr * gr;
                tangential += gt * gt;
            }
        }
        double contrast = peak - bg;
        return new double[] {
            contrast,
            mean / n,
            Math.sqrt(var) / mean,
            slope / (Math.abs(contrast) + 0.02),
            Math.log(tangential / radial),
            Math.log(tangential + radial),
        };
    }

    private static double sample(float[] v, int n, double x, double y) {
        int xi = Math.max(0, Math.min(n - 1, (int) Math.round(x)));
        int yi = Math.max(0, Math.min(n - 1, (int) Math.round(y)));
        return v[yi * n + xi];
    }

    private static float[] boxBlur(float[] v, int n, int r) {
        float[] out = new float[v.length];
        for (int y = 0; y < n; y++) {
            for (int x = 0; x < n; x++) {
                double s = 0;
                int c = 0;
                for (int j = Math.max(0, y - r); j <= Math.min(n - 1, y + r); j++) {
                    for (int i = Math.max(0, x - r); i <= Math.min(n - 1, x + r); i++) {
                        s += v[j * n + i];
                        c++;
                    }
                }
                out[y * n + x] = (float) (s / c);
            }
        }
        return out;
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
