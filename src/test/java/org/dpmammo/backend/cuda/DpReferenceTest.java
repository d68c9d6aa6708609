package org.dpmammo.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dpmammo.util.Rng;
import org.junit.jupiter.api.Test;

/** The DP references the GPU self-test trusts, checked against their definitions. */
class DpReferenceTest {
    private static float[] random(Rng rng, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) rng.nextDouble() * 2 - 1;
        return a;
    }

    /** The ghost identity dp_ghost_norms relies on: Σ_{t,s}(a_t·a_s)(g_t·g_s) = ‖Σ_t a_t g_tᵀ‖². */
    @Test
    void ghostIdentityEqualsMaterialisedNorm() {
        Rng rng = new Rng(11);
        int b = 3, t = 5, din = 4, dout = 6;
        float[] a = random(rng, b * t * din), g = random(rng, b * t * dout);
        float[] ref = DpReference.ghostNormsMaterialised(a, g, b, t, din, dout);
        for (int i = 0; i < b; i++) {
            double s = 0;
            for (int p = 0; p < t; p++) {
                for (int q = 0; q < t; q++) {
                    double aa = 0, gg = 0;
                    for (int j = 0; j < din; j++) aa += (double) a[(i * t + p) * din + j] * a[(i * t + q) * din + j];
                    for (int k = 0; k < dout; k++) gg += (double) g[(i * t + p) * dout + k] * g[(i * t + q) * dout + k];
                    s += aa * gg;
                }
            }
            assertEquals(ref[i], s, 1e-5 * Math.max(1, s));
        }
    }

    @Test
    void clippedSumOfUnitFactorsIsThePlainGradientAndFactorsClip() {
        Rng rng = new Rng(5);
        int b = 4, t = 2, din = 3, dout = 2;
        float[] a = random(rng, b * t * din), g = random(rng, b * t * dout);
        float[] ones = {1, 1, 1, 1};
        float[] sum = DpReference.clippedSum(a, g, ones, b, t, din, dout);
        float[] direct = new float[din * dout];
        for (int r = 0; r < b * t; r++) for (int j = 0; j < din; j++) for (int k = 0; k < dout; k++) direct[j * dout + k] += a[r * din + j] * g[r * dout + k];
        assertArrayEquals(direct, sum, 1e-5f);
        float[] c = DpReference.clipFactors(new float[] {0, 0.25f, 4, 100}, 1f);
        assertEquals(1f, c[0]);
        assertEquals(1f, c[1]);
        assertEquals(0.5f, c[2], 1e-6f);
        assertEquals(0.1f, c[3], 1e-6f);
        float[] dropped = DpReference.clipFactors(new float[] {Float.NaN, Float.POSITIVE_INFINITY}, 1f);
        assertEquals(0f, dropped[0], "a NaN norm drops the example, as DpSgd.factor does");
        assertEquals(0f, dropped[1]);
    }

    @Test
    void noiseIsStandardNormalScaledAndDeterministicPerKeyAndStep() {
        int[] key = {1, 2, 3, 4, 5, 6, 7, 8};
        int n = 40_000;
        double sigma = 2.5, res = Math.scalb(1.0, Math.getExponent(sigma) - 12);
        float[] z = DpReference.gaussianNoise(key, 0, 1, sigma, res, null, n);
        double mean = 0, var = 0, fourth = 0;
        for (float v : z) mean += v;
        mean /= n;
        for (float v : z) {
            double d = (v - mean) / sigma;
            var += d * d;
            fourth += d * d * d * d;
            assertEquals(Math.rint(v / res) * res, v, "every value lies on the snapping grid");
        }
        var /= n;
        fourth /= n;
        assertEquals(0, mean / sigma, 0.03);
        assertEquals(1, var, 0.03);
        assertEquals(3, fourth, 0.15);  // Gaussian kurtosis
        assertArrayEquals(z, DpReference.gaussianNoise(key, 0, 1, sigma, res, null, n));
        float[] other = DpReference.gaussianNoise(key, 1, 1, sigma, res, null, 8);
        assertTrue(other[0] != z[0] || other[1] != z[1], "a new step gives a new stream");
        assertEquals(0x0123456789abcdefL, DpReference.word(new int[] {0x01234567, 0x89abcdef}, 0), "high half first");
    }

    @Test
    void adamwFirstStepMovesEachWeightByAboutTheLearningRate() {
        float[] p = {1f, -2f}, g = {0.3f, -0.1f}, m = new float[2], v = new float[2];
        DpReference.adamw(p, g, m, v, 0.01f, 0.9f, 0.999f, 1e-8f, 0f, 1 - 0.9f, 1 - 0.999f);
        assertEquals(0.99f, p[0], 1e-5f);
        assertEquals(-1.99f, p[1], 1e-5f);
    }
}
