package org.dpmammo.models.scatter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.dpmammo.util.ComplexFft;
import org.junit.jupiter.api.Test;

/**
 * The scattering transform against references that share none of its fast path: direct circular convolution in
 * space with the sampled filters, the Littlewood–Paley sum of the filter bank, and the transform's exact symmetries
 * (translation by 2^J pixels shifts every output map by one sample; a quarter turn permutes the orientations).
 */
class ScatteringTest {
    private static float[] randomImage(int n, long seed) {
        Random r = new Random(seed);
        float[] x = new float[n * n];
        for (int i = 0; i < x.length; i++) x[i] = r.nextFloat();
        return x;
    }

    /** Circular convolution (x ⋆ h)[p] = Σ_q x[q]·h[p − q] of a real image with a complex filter {re, im}. */
    private static double[][] convolve(double[] x, double[][] h, int n) {
        double[] re = new double[n * n], im = new double[n * n];
        for (int py = 0; py < n; py++) {
            for (int px = 0; px < n; px++) {
                double sr = 0, si = 0;
                for (int qy = 0; qy < n; qy++) {
                    for (int qx = 0; qx < n; qx++) {
                        int k = Math.floorMod(py - qy, n) * n + Math.floorMod(px - qx, n);
                        sr += x[qy * n + qx] * h[0][k];
                        si += x[qy * n + qx] * h[1][k];
                    }
                }
                re[py * n + px] = sr;
                im[py * n + px] = si;
            }
        }
        return new double[][] {re, im};
    }

    @Test
    void matchesTheNumpyReference() throws Exception {
        int n = 32;
        float[] img = new float[n * n];
        for (int i = 0; i < img.length; i++) img[i] = (float) (0.5 + 0.5 * Math.sin(0.37 * i + 0.011 * i * i / n));
        float[] s = new Scattering(n, 2, 8).transform(img);
        java.util.List<String> want = java.nio.file.Files.readAllLines(java.nio.file.Path.of("src/test/resources/fixtures/scattering-32/reference.txt"));
        assertEquals(want.size(), s.length);
        for (int i = 0; i < s.length; i++) assertEquals(Double.parseDouble(want.get(i)), s[i], 1e-6, "value " + i);
    }

    @Test
    void zerothAndFinestFirstOrderEqualDirectSpatialConvolution() {
        int n = 16, J = 2, L = 8;
        Scattering sc = new Scattering(n, J, L);
        float[] img = randomImage(n, 3);
        float[] s = sc.transform(img);
        double[] x = new double[n * n];
        for (int i = 0; i < x.length; i++) x[i] = img[i];
        double[][] phi = Scattering.gabor(n, 0.8 * (1 << (J - 1)), 0, 0, 1);
        int o = n >> J;
        double[][] s0 = convolve(x, phi, n);
        for (int y = 0; y < o; y++) for (int xx = 0; xx < o; xx++) assertEquals(s0[0][(y << J) * n + (xx << J)], s[y * o + xx], 1e-5, "S0");
        for (int t = 0; t < L; t++) {
            // j1 = 0: the modulus is taken at full resolution, so the fast path is exact here.
            double theta = ((L - L / 2 - 1) - t) * Math.PI / L;
            double[][] u = convolve(x, Scattering.morlet(n, 0.8, theta, 3.0 / 4.0 * Math.PI, 4.0 / L), n);
            double[] mod = new double[n * n];
            for (int i = 0; i < mod.length; i++) mod[i] = Math.hypot(u[0][i], u[1][i]);
            double[][] s1 = convolve(mod, phi, n);
            for (int y = 0; y < o; y++) {
                for (int xx = 0; xx < o; xx++) {
                    assertEquals(s1[0][(y << J) * n + (xx << J)], s[((1 + t) * o + y) * o + xx], 1e-5, "S1 θ index " + t);
                }
            }
        }
    }

    @Test
    void coarserOrdersStayCloseToFullResolutionComputation() {
        // Coefficients after ψ_j with j > 0 come from subsampled moduli: compare with the same cascade computed at
        // full resolution by direct convolution; the difference is the aliasing the fast algorithm accepts.
        int n = 16, J = 2, L = 4;
        Scattering sc = new Scattering(n, J, L);
        float[] img = randomImage(n, 5);
        float[] s = sc.transform(img);
        double[] x = new double[n * n];
        for (int i = 0; i < x.length; i++) x[i] = img[i];
        double[][] phi = Scattering.gabor(n, 0.8 * (1 << (J - 1)), 0, 0, 1);
        int o = n >> J, k = 1 + L; // first channel of j1 = 1
        for (int t = 0; t < L; t++) {
            double theta = ((L - L / 2 - 1) - t) * Math.PI / L;
            double[][] u = convolve(x, Scattering.morlet(n, 1.6, theta, 3.0 / 8.0 * Math.PI, 4.0 / L), n);
            double[] mod = new double[n * n];
            for (int i = 0; i < mod.length; i++) mod[i] = Math.hypot(u[0][i], u[1][i]);
            double[][] s1 = convolve(mod, phi, n);
            double err = 0, norm = 0;
            for (int y = 0; y < o; y++) {
                for (int xx = 0; xx < o; xx++) {
                    double want = s1[0][(y << J) * n + (xx << J)], got = s[((k + t) * o + y) * o + xx];
                    err += (want - got) * (want - got);
                    norm += want * want;
                }
            }
            assertTrue(Math.sqrt(err / norm) < 0.05, "S1 j1 = 1, θ index " + t + ": relative error " + Math.sqrt(err / norm));
        }
    }

    @Test
    void filterBankIsNearlyTightAndNonExpansive() {
        // Littlewood–Paley: |φ̂(ω)|² + ½ Σ_{j,θ} (|ψ̂(ω)|² + |ψ̂(−ω)|²), the energy the first layer keeps at frequency ω.
        int n = 64, J = 3, L = 8;
        double[] lp = new double[n * n];
        double[][] phi = Scattering.gabor(n, 0.8 * (1 << (J - 1)), 0, 0, 1);
        accumulate(lp, spectrum(phi, n), 1.0, n);
        for (int j = 0; j < J; j++) {
            for (int t = 0; t < L; t++) {
                double theta = ((L - L / 2 - 1) - t) * Math.PI / L;
                double[] f = spectrum(Scattering.morlet(n, 0.8 * (1 << j), theta, 3.0 / 4.0 * Math.PI / (1 << j), 4.0 / L), n);
                accumulate(lp, f, 0.5, n);
            }
        }
        double max = 0, minLow = Double.MAX_VALUE;
        for (int u = 0; u < n; u++) {
            for (int v = 0; v < n; v++) {
                double wu = 2 * Math.PI * (u < n / 2 ? u : u - n) / n, wv = 2 * Math.PI * (v < n / 2 ? v : v - n) / n;
                max = Math.max(max, lp[u * n + v]);
                if (Math.hypot(wu, wv) <= Math.PI / 2) minLow = Math.min(minLow, lp[u * n + v]);
            }
        }
        assertEquals(1.0, lp[0], 1e-9, "the low-pass keeps the mean exactly");
        assertTrue(max <= 1.02, "at most 2 % expansive, got " + max);
        assertTrue(minLow >= 0.75, "the band |ω| ≤ π/2 is covered, got " + minLow);
    }

    private static double[] spectrum(double[][] filter, int n) {
        double[] re = filter[0].clone(), im = filter[1].clone();
        new ComplexFft(n).transform2d(re, im, false);
        double[] p = new double[n * n];
        for (int i = 0; i < p.length; i++) p[i] = re[i] * re[i] + im[i] * im[i];
        return p;
    }

    /** Adds w·(p(ω) [+ p(−ω) when w is ½]) for every ω. */
    private static void accumulate(double[] lp, double[] p, double w, int n) {
        for (int u = 0; u < n; u++) {
            for (int v = 0; v < n; v++) {
                double mirrored = p[((n - u) % n) * n + (n - v) % n];
                lp[u * n + v] += w == 1.0 ? p[u * n + v] : w * (p[u * n + v] + mirrored);
            }
        }
    }

    @Test
    void translationByTwoToTheJShiftsEveryMapByOneSample() {
        int n = 32, J = 2, L = 8;
        Scattering sc = new Scattering(n, J, L);
        float[] img = randomImage(n, 7), moved = new float[n * n];
        int dy = 4, dx = 8; // multiples of 2^J: output shifts (1, 2)
        for (int y = 0; y < n; y++) for (int x = 0; x < n; x++) moved[((y + dy) % n) * n + (x + dx) % n] = img[y * n + x];
        float[] a = sc.transform(img), b = sc.transform(moved);
        int o = sc.outputSize();
        for (int c = 0; c < sc.channels(); c++) {
            for (int y = 0; y < o; y++) {
                for (int x = 0; x < o; x++) {
                    assertEquals(a[(c * o + y) * o + x], b[(c * o + (y + 1) % o) * o + (x + 2) % o], 1e-5, "channel " + c);
                }
            }
        }
    }

    @Test
    void quarterTurnPermutesOrientations() {
        // Rotating the image by 90° about the origin (periodically) rotates each filter's angle by π/2, which is
        // L/2 orientation steps; |·| cannot tell θ from θ + π for a real image, so t ↦ t + L/2 mod L.
        int n = 32, J = 2, L = 8;
        Scattering sc = new Scattering(n, J, L);
        float[] img = randomImage(n, 11), turned = new float[n * n];
        for (int y = 0; y < n; y++) for (int x = 0; x < n; x++) turned[x * n + Math.floorMod(-y, n)] = img[y * n + x];
        double[] a = means(sc, img), b = means(sc, turned);
        assertEquals(a[0], b[0], 1e-5);
        for (int j = 0; j < J; j++) {
            for (int t = 0; t < L; t++) {
                double want = a[1 + j * L + t], got = b[1 + j * L + (t + L / 2) % L];
                assertEquals(want, got, 2e-3 * Math.abs(want), "S1 j " + j + " t " + t);
            }
        }
        int k = 1 + J * L;
        for (int j1 = 0; j1 < J; j1++) {
            for (int t1 = 0; t1 < L; t1++) {
                for (int j2 = j1 + 1; j2 < J; j2++) {
                    for (int t2 = 0; t2 < L; t2++, k++) {
                        int perm = 1 + J * L + index(J, L, j1, (t1 + L / 2) % L, j2, (t2 + L / 2) % L);
                        assertEquals(a[k], b[perm], 2e-3 * Math.abs(a[k]), "S2 " + j1 + "," + t1 + "," + j2 + "," + t2);
                    }
                }
            }
        }
    }

    /** Offset of second-order channel (j1, t1, j2, t2) after the first 1 + J·L channels. */
    private static int index(int J, int L, int j1, int t1, int j2, int t2) {
        int k = 0;
        for (int a = 0; a < J; a++) {
            for (int s = 0; s < L; s++) {
                for (int b = a + 1; b < J; b++) {
                    for (int u = 0; u < L; u++, k++) if (a == j1 && s == t1 && b == j2 && u == t2) return k;
                }
            }
        }
        throw new IllegalArgumentException();
    }

    private static double[] means(Scattering sc, float[] img) {
        float[] s = sc.transform(img);
        int o = sc.outputSize();
        double[] m = new double[sc.channels()];
        for (int c = 0; c < m.length; c++) for (int i = 0; i < o * o; i++) m[c] += s[c * o * o + i] / (o * o);
        return m;
    }
}
