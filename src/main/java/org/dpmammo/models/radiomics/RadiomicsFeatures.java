package org.dpmammo.models.radiomics;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.List;

/**
 * A radiomics-style description of one grayscale patch, computed in pure Java so that generator quality can be
 * measured without downloaded network weights (the study's FRD uses radiomics features for the same reason).
 *
 * <p>Three groups, all on intensities in [0, 1]:
 * <ul>
 *   <li>first order (10): mean, std, skewness, excess kurtosis, histogram entropy (64 bins, bits), percentiles
 *       10/25/50/75/90;
 *   <li>GLCM texture (10): contrast, homogeneity, energy, correlation, dissimilarity of the symmetric, normalised
 *       co-occurrence matrix on 16 grey levels, averaged over the four directions 0°, 45°, 90°, 135° (rotation
 *       invariant, as pyradiomics averages), at distances 1 and 3;
 *   <li>shape of the central mass (6): the Otsu-thresholded connected component nearest the centre; area fraction,
 *       perimeter (pixel edges between mass and background, over the image side), compactness 4πA/P², eccentricity
 *       of the pixel-coordinate covariance, margin irregularity (coefficient of variation of the boundary's distance
 *       to the centroid: spiculated margins vary more) and mass–background contrast.
 * </ul>
 * The edge-count perimeter of a digital disc is its L1 length 8r, so a disc's compactness is near π²/16, not 1;
 * only comparisons between sets matter.
 */
public final class RadiomicsFeatures {
    /** Feature names in vector order, for reports. */
    public static final List<String> NAMES = List.of(
            "mean", "std", "skewness", "kurtosis", "entropy", "p10", "p25", "p50", "p75", "p90",
            "glcm1_contrast", "glcm1_homogeneity", "glcm1_energy", "glcm1_correlation", "glcm1_dissimilarity",
            "glcm3_contrast", "glcm3_homogeneity", "glcm3_energy", "glcm3_correlation", "glcm3_dissimilarity",
            "mass_area", "mass_perimeter", "mass_compactness", "mass_eccentricity", "mass_irregularity", "mass_contrast");

    public static final int DIM = NAMES.size();
    static final int GLCM_LEVELS = 16;
    private static final int HIST_BINS = 64;

    private RadiomicsFeatures() {}

    /** The feature vector of a width × height image with values in [0, 1] (values outside are clamped). */
    public static double[] of(float[] image, int width, int height) {
        if (image.length != width * height || width < 4 || height < 4) {
            throw new IllegalArgumentException("radiomics: " + image.length + " values for a " + width + "x" + height + " image (at least 4x4)");
        }
        double[] x = new double[image.length];
        for (int i = 0; i < x.length; i++) x[i] = Math.max(0, Math.min(1, Float.isNaN(image[i]) ? 0 : image[i]));
        double[] f = new double[DIM];
        firstOrder(x, f);
        int[] q = quantize(x, GLCM_LEVELS);
        System.arraycopy(glcmAveraged(q, width, height, 1), 0, f, 10, 5);
        System.arraycopy(glcmAveraged(q, width, height, 3), 0, f, 15, 5);
        shape(x, width, height, f);
        return f;
    }

    private static void firstOrder(double[] x, double[] f) {
        int n = x.length;
        double mean = 0;
        for (double v : x) mean += v;
        mean /= n;
        double m2 = 0, m3 = 0, m4 = 0;
        for (double v : x) {
            double d = v - mean, d2 = d * d;
            m2 += d2;
            m3 += d2 * d;
            m4 += d2 * d2;
        }
        m2 /= n;
        m3 /= n;
        m4 /= n;
        f[0] = mean;
        f[1] = Math.sqrt(m2);
        // A flat image has no shape to its histogram: report the Gaussian values instead of dividing by zero.
        f[2] = m2 > 1e-12 ? m3 / Math.pow(m2, 1.5) : 0;
        f[3] = m2 > 1e-12 ? m4 / (m2 * m2) - 3 : 0;
        int[] hist = new int[HIST_BINS];
        for (double v : x) hist[Math.min(HIST_BINS - 1, (int) (v * HIST_BINS))]++;
        double h = 0;
        for (int c : hist) {
            if (c == 0) continue;
            double p = (double) c / n;
            h -= p * Math.log(p) / Math.log(2);
        }
        f[4] = h;
        double[] sorted = x.clone();
        Arrays.sort(sorted);
        double[] ps = {0.10, 0.25, 0.50, 0.75, 0.90};
        for (int i = 0; i < ps.length; i++) f[5 + i] = percentile(sorted, ps[i]);
    }

    /** Linear interpolation between order statistics (numpy's default). */
    static double percentile(double[] sorted, double p) {
        double pos = p * (sorted.length - 1);
        int lo = (int) Math.floor(pos);
        int hi = Math.min(sorted.length - 1, lo + 1);
        return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
    }

    /** Grey levels 0..levels-1 by equal-width bins on [0, 1]. */
    static int[] quantize(double[] x, int levels) {
        int[] q = new int[x.length];
        for (int i = 0; i < x.length; i++) q[i] = Math.min(levels - 1, (int) (x[i] * levels));
        return q;
    }

    /** The five GLCM properties averaged over the four directions at one distance. */
    static double[] glcmAveraged(int[] q, int width, int height, int d) {
        int[][] offsets = {{0, d}, {-d, d}, {-d, 0}, {-d, -d}};
        double[] sum = new double[5];
        for (int[] o : offsets) {
            double[] p = glcmProperties(glcm(q, width, height, o[0], o[1], GLCM_LEVELS));
            for (int i = 0; i < 5; i++) sum[i] += p[i] / offsets.length;
        }
        return sum;
    }

    /**
     * The symmetric co-occurrence matrix of levels at offset (dy, dx), normalised to sum 1: P[i][j] counts pixel pairs
     * (a, a + offset) with levels (i, j), plus the transposed pairs.
     */
    static double[][] glcm(int[] q, int width, int height, int dy, int dx, int levels) {
        double[][] p = new double[levels][levels];
        long total = 0;
        for (int y = 0; y < height; y++) {
            int y2 = y + dy;
            if (y2 < 0 || y2 >= height) continue;
            for (int x = 0; x < width; x++) {
                int x2 = x + dx;
                if (x2 < 0 || x2 >= width) continue;
                int a = q[y * width + x], b = q[y2 * width + x2];
                p[a][b]++;
                p[b][a]++;
                total += 2;
            }
        }
        if (total > 0) for (double[] row : p) for (int j = 0; j < levels; j++) row[j] /= total;
        return p;
    }

    /** Contrast Σ(i−j)²P, homogeneity ΣP/(1+(i−j)²), energy ΣP², correlation, dissimilarity Σ|i−j|P. */
    static double[] glcmProperties(double[][] p) {
        int n = p.length;
        double contrast = 0, homogeneity = 0, energy = 0, dissimilarity = 0, mu = 0;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                double v = p[i][j];
                int d = i - j;
                contrast += d * d * v;
                homogeneity += v / (1 + d * d);
                energy += v * v;
                dissimilarity += Math.abs(d) * v;
                mu += i * v;
            }
        }
        // Symmetric P: the row and column marginals agree, so one mean and one variance serve both.
        double var = 0, cov = 0;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                var += (i - mu) * (i - mu) * p[i][j];
                cov += (i - mu) * (j - mu) * p[i][j];
            }
        }
        // A constant image has zero variance: its pixels are perfectly (trivially) correlated, as scikit-image reports.
        double correlation = var > 1e-12 ? cov / var : 1;
        return new double[] {contrast, homogeneity, energy, correlation, dissimilarity};
    }

    private static void shape(double[] x, int width, int height, double[] f) {
        double t = otsu(x);
        boolean[] fg = new boolean[x.length];
        for (int i = 0; i < x.length; i++) fg[i] = x[i] > t;
        boolean[] mass = centralComponent(fg, width, height);
        long area = 0;
        double sy = 0, sx = 0, inside = 0, outside = 0;
        for (int y = 0; y < height; y++) {
            for (int xx = 0; xx < width; xx++) {
                int i = y * width + xx;
                if (mass[i]) {
                    area++;
                    sy += y;
                    sx += xx;
                    inside += x[i];
                } else {
                    outside += x[i];
                }
            }
        }
        int n = x.length;
        if (area == 0) {
            // No mass found (a flat image): a point-like, perfectly regular, contrastless "mass".
            f[20] = 0;
            f[21] = 0;
            f[22] = 0;
            f[23] = 0;
            f[24] = 0;
            f[25] = 0;
            return;
        }
        double cy = sy / area, cx = sx / area;
        double cyy = 0, cxx = 0, cxy = 0;
        long perimeter = 0;
        double rSum = 0, rSq = 0;
        long boundary = 0;
        for (int y = 0; y < height; y++) {
            for (int xx = 0; xx < width; xx++) {
                int i = y * width + xx;
                if (!mass[i]) continue;
                double dy = y - cy, dx = xx - cx;
                cyy += dy * dy;
                cxx += dx * dx;
                cxy += dy * dx;
                // Image borders count as background: a mass cut by the border has a border edge.
                int edges = (y == 0 || !mass[i - width] ? 1 : 0) + (y == height - 1 || !mass[i + width] ? 1 : 0)
                        + (xx == 0 || !mass[i - 1] ? 1 : 0) + (xx == width - 1 || !mass[i + 1] ? 1 : 0);
                perimeter += edges;
                if (edges > 0) {
                    double r = Math.sqrt(dy * dy + dx * dx);
                    rSum += r;
                    rSq += r * r;
                    boundary++;
                }
            }
        }
        cyy /= area;
        cxx /= area;
        cxy /= area;
        double half = (cyy + cxx) / 2, disc = Math.sqrt(Math.max(0, (cyy - cxx) * (cyy - cxx) / 4 + cxy * cxy));
        double lMax = half + disc, lMin = Math.max(0, half - disc);
        double rMean = rSum / boundary, rVar = Math.max(0, rSq / boundary - rMean * rMean);
        f[20] = (double) area / n;
        f[21] = perimeter / Math.sqrt(n);
        f[22] = 4 * Math.PI * area / ((double) perimeter * perimeter);
        f[23] = lMax > 1e-12 ? Math.sqrt(1 - lMin / lMax) : 0;
        f[24] = rMean > 1e-12 ? Math.sqrt(rVar) / rMean : 0;
        f[25] = area == n ? 0 : inside / area - outside / (n - area);
    }

    /** Otsu's threshold over 256 bins: the level that maximises the between-class variance. */
    static double otsu(double[] x) {
        int bins = 256;
        int[] hist = new int[bins];
        for (double v : x) hist[Math.min(bins - 1, (int) (v * bins))]++;
        double total = x.length, sumAll = 0;
        for (int i = 0; i < bins; i++) sumAll += i * (double) hist[i];
        double wB = 0, sumB = 0, best = -1;
        int bestBin = 0;
        for (int i = 0; i < bins; i++) {
            wB += hist[i];
            if (wB == 0) continue;
            double wF = total - wB;
            if (wF == 0) break;
            sumB += i * (double) hist[i];
            double mB = sumB / wB, mF = (sumAll - sumB) / wF;
            double between = wB * wF * (mB - mF) * (mB - mF);
            if (between > best) {
                best = between;
                bestBin = i;
            }
        }
        // Pixels strictly above the top edge of the best bin are foreground.
        return (bestBin + 1) / (double) bins - 1e-12;
    }

    /**
     * The 4-connected foreground component that holds the foreground pixel nearest the image centre (patches are cut
     * around the mass, so that component is the mass); all false when there is no foreground.
     */
    static boolean[] centralComponent(boolean[] fg, int width, int height) {
        double cy = (height - 1) / 2.0, cx = (width - 1) / 2.0, best = Double.MAX_VALUE;
        int seed = -1;
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                if (!fg[y * width + x]) continue;
                double d = (y - cy) * (y - cy) + (x - cx) * (x - cx);
                if (d < best) {
                    best = d;
                    seed = y * width + x;
                }
            }
        }
        boolean[] out = new boolean[fg.length];
        if (seed < 0) return out;
        ArrayDeque<Integer> queue = new ArrayDeque<>();
        queue.add(seed);
        out[seed] = true;
        while (!queue.isEmpty()) {
            int i = queue.poll(), y = i / width, x = i % width;
            int[] nb = {y > 0 ? i - width : -1, y < height - 1 ? i + width : -1, x > 0 ? i - 1 : -1, x < width - 1 ? i + 1 : -1};
            for (int j : nb) {
                if (j >= 0 && fg[j] && !out[j]) {
                    out[j] = true;
                    queue.add(j);
                }
            }
        }
        return out;
    }
}
