package org.dpmammo.privacy.noise;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class GaussianNoiseTest {
    /** Φ(x) through erf's Maclaurin series, independent of the code under test. */
    static double normalCdf(double x) {
        double z = x / Math.sqrt(2);
        if (Math.abs(z) > 6) return z > 0 ? 1 : 0;
        double sum = 0, term = z;
        for (int k = 0; k < 300; k++) {
            sum += term / (2 * k + 1);
            term *= -z * z / (k + 1);
        }
        return 0.5 * (1 + 2 / Math.sqrt(Math.PI) * sum);
    }

    @Test
    void millionDrawsAreStandardNormal() {
        GaussianNoise g = new GaussianNoise(RandomSource.deterministic(7, "noise"));
        int n = 1_000_000;
        float[] draws = new float[n];
        g.addTo(draws, 0, n, 1.0); // noise on zeros: the draws themselves, snapped to a 2^-12 grid
        double[] z = new double[n];
        double mean = 0, m2 = 0;
        for (int i = 0; i < n; i++) {
            z[i] = draws[i];
            mean += z[i];
        }
        mean /= n;
        for (double v : z) m2 += (v - mean) * (v - mean);
        double var = m2 / (n - 1);
        // Standard errors: mean 1e-3, variance √(2/n) ≈ 1.4e-3; allow 5 of them.
        assertEquals(0, mean, 5e-3);
        assertEquals(1, var, 7.5e-3);
        Arrays.sort(z);
        double d = 0;
        for (int i = 0; i < n; i++) {
            double f = normalCdf(z[i]);
            d = Math.max(d, Math.max((i + 1.0) / n - f, f - (double) i / n));
        }
        // Kolmogorov–Smirnov critical value at α = 0.001: 1.95/√n (the 2^-12 snapping grid moves the CDF by < 1e-4).
        assertTrue(d < 1.95 / Math.sqrt(n), "KS statistic " + d);
    }

    @Test
    void noisyOutputsLieOnAGridFixedByTheNoiseScaleAlone() {
        double std = 0.37;
        double r = GaussianNoise.resolution(std);
        // r = 2^(⌊log₂ 0.37⌋ − 12) = 2^(−2 − 12), and every std in the same octave [0.25, 0.5) gets the same grid.
        assertEquals(Math.scalb(1.0, -14), r, 0);
        assertEquals(r, GaussianNoise.resolution(0.25), 0);
        assertEquals(r, GaussianNoise.resolution(0.4999), 0);
        assertEquals(2 * r, GaussianNoise.resolution(0.5), 0);
        assertTrue(r <= std / 4096 && r > std / 8192, "resolution " + r);
        GaussianNoise g = new GaussianNoise(RandomSource.deterministic(1, "noise"));
        // Inputs with arbitrary low-order bits: the outputs must not keep them.
        float[] v = {0.1f, 1.2345678f, -3.3333333f, 1e-7f, 12.5f + Math.ulp(12.5f)};
        for (int rep = 0; rep < 1000; rep++) {
            float[] x = v.clone();
            g.addTo(x, 0, x.length, std);
            for (float f : x) {
                double k = f / r;
                assertEquals(Math.rint(k), k, 0, "output " + f + " is not a multiple of " + r);
            }
        }
    }

    @Test
    void noiseStdScalesAndZeroStdIsIdentity() {
        GaussianNoise g = new GaussianNoise(RandomSource.deterministic(3, "noise"));
        float[] x = new float[200_000];
        g.addTo(x, 0, x.length, 2.5);
        double s = 0;
        for (float f : x) s += f * f;
        assertEquals(2.5, Math.sqrt(s / x.length), 0.02);
        float[] y = {1.5f, -2f};
        g.addTo(y, 0, 2, 0);
        assertEquals(1.5f, y[0]);
        assertThrows(IllegalArgumentException.class, () -> g.addTo(y, 0, 2, -1));
        assertThrows(IllegalArgumentException.class, () -> g.addTo(y, 0, 2, Double.NaN));
    }

    @Test
    void noiseIsAFunctionOfKeyAndStepOnly() {
        float[] a = new float[3 * org.dpmammo.util.SnappedGaussian.CHUNK + 5], b = a.clone(), c = a.clone();
        RandomSource s1 = RandomSource.deterministic(4, "noise"), s2 = RandomSource.deterministic(4, "noise");
        s1.seekStep(9);
        s2.seekStep(9);
        new GaussianNoise(s1).addTo(a, 0, a.length, 1.0);
        new GaussianNoise(s2).addTo(b, 0, b.length, 1.0);
        for (int i = 0; i < a.length; i++) assertEquals(a[i], b[i], 0f);
        s2.seekStep(10);
        new GaussianNoise(s2).addTo(c, 0, c.length, 1.0);
        assertNotEquals(a[0], c[0]);
    }

    @Test
    void deterministicStreamsRepeatAndSecureStreamsDoNot() {
        RandomSource a = RandomSource.deterministic(5, "noise"), b = RandomSource.deterministic(5, "noise");
        RandomSource c = RandomSource.deterministic(5, "sampler");
        long x = a.nextLong();
        assertEquals(x, b.nextLong());
        assertNotEquals(x, c.nextLong());
        assertFalse(a.isSecure());
        RandomSource s1 = RandomSource.secure(), s2 = RandomSource.secure();
        assertTrue(s1.isSecure());
        assertNotEquals(s1.nextLong(), s2.nextLong());
        // Seeking to a step replays that step's stream exactly.
        a.seekStep(42);
        long first = a.nextLong();
        a.nextLong();
        a.seekStep(42);
        assertEquals(first, a.nextLong());
    }
}
