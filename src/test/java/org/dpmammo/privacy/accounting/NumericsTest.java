package org.dpmammo.privacy.accounting;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The numerical building blocks against independent references. */
class NumericsTest {
    @Test
    void erfcMatchesMpmath() {
        // Values from mpmath.erfc at 40 significant digits, rounded to double.
        double[][] cases = {
            {-3.0, 1.9999779095030015}, {-0.5, 1.5204998778130465}, {0.0, 1.0}, {0.3, 0.6713732405408726},
            {1.0, 0.15729920705028513}, {1.9999, 0.004679802092970608}, {2.0, 0.004677734981047266},
            {5.0, 1.537459794428035e-12}, {9.99, 2.553157649309535e-45}, {10.5, 7.035928090177523e-50},
            {26.0, 5.663192408856143e-296},
        };
        for (double[] c : cases) assertEquals(c[1], SpecialFunctions.erfc(c[0]), Math.abs(c[1]) * 1e-14, "x=" + c[0]);
    }

    @Test
    void logErfcBeyondUnderflow() {
        // log erfc(x) ~ −x² − log(x√π) − 1/(2x²) + … ; at x = 1000 the mpmath value is −1000007.4801207219.
        assertEquals(-1000007.4801207219, SpecialFunctions.logErfc(1000), 1e-9);
        assertEquals(Math.log(SpecialFunctions.erfc(3.7)), SpecialFunctions.logErfc(3.7), 1e-14);
        assertEquals(Math.log(2), SpecialFunctions.logErfc(-40), 1e-15);
    }

    @Test
    void realFftMatchesNaiveDftAndInverts() {
        Random r = new Random(7);
        // 1 << 16 packs into a half-length transform above the in-cache block, so the depth-first recursion runs too;
        // 1 << 19 also runs the parallel stages and passes.
        for (int n : new int[] {4, 8, 64, 1024, 1 << 16, 1 << 19}) {
            double[] x = new double[n];
            for (int i = 0; i < n; i++) x[i] = r.nextGaussian();
            Fft f = new Fft(n);
            double[][] spectrum = f.realForward(x, 0, n);
            double[] re = spectrum[0];
            double[] im = spectrum[1];
            // Every bin up to n = 64; a sample of bins above, fewer for the largest (each costs n cosines).
            int step = Math.max(1, n / (n <= 1 << 16 ? 128 : 16));
            for (int k = 0; k <= n / 2; k += step) {
                double sr = 0;
                double si = 0;
                for (int j = 0; j < n; j++) {
                    double a = -2 * Math.PI * ((long) j * k % n) / n;
                    sr += x[j] * Math.cos(a);
                    si += x[j] * Math.sin(a);
                }
                assertEquals(sr, re[f.bin(k)], 1e-9 * n, "n=" + n + " k=" + k);
                assertEquals(si, im[f.bin(k)], 1e-9 * n, "n=" + n + " k=" + k);
            }
            double[] back = new double[n];
            f.realInverse(re, im, back);
            for (int j = 0; j < n; j++) assertEquals(x[j], back[j], 1e-12);
        }
    }

    /**
     * A PRV's pmf is zero outside a short window, which the transform's first pass skips: the result must be the
     * transform of the whole sequence (exactly: skipped points are zeros) and match the direct DFT. Windows inside
     * one quarter, across quarters, at both ends, and at odd offsets that split a packed complex point.
     */
    @Test
    void windowedRealFftIsTheFullTransform() {
        Random r = new Random(11);
        int n = 1 << 19;
        Fft f = new Fft(n);
        int[][] windows = {{300001, 340003}, {0, 7}, {n / 2 - 5001, n / 2 + 5000}, {n - 9, n}, {65535, 65536 * 5 + 3}};
        for (int[] w : windows) {
            double[] x = new double[n];
            for (int i = w[0]; i < w[1]; i++) x[i] = r.nextDouble();
            double[][] windowed = f.realForward(x, w[0], w[1]);
            double[][] full = f.realForward(x, 0, n);
            for (int p = 0; p <= n / 2; p++) {
                assertEquals(full[0][p], windowed[0][p], 0.0, "window " + w[0] + " position " + p);
                assertEquals(full[1][p], windowed[1][p], 0.0, "window " + w[0] + " position " + p);
            }
            for (int k : new int[] {0, 1, 977, n / 4, n / 2 - 3, n / 2}) {
                double sr = 0;
                double si = 0;
                for (int j = w[0]; j < w[1]; j++) {
                    double a = -2 * Math.PI * ((long) j * k % n) / n;
                    sr += x[j] * Math.cos(a);
                    si += x[j] * Math.sin(a);
                }
                assertEquals(sr, windowed[0][f.bin(k)], 1e-9 * (w[1] - w[0] + 1), "window " + w[0] + " k=" + k);
                assertEquals(si, windowed[1][f.bin(k)], 1e-9 * (w[1] - w[0] + 1), "window " + w[0] + " k=" + k);
            }
        }
        assertThrows(IllegalArgumentException.class, () -> f.realForward(new double[n], 5, 4));
    }

    @Test
    void quadratureIntegratesAGaussianTail() {
        // ∫_0^∞ erfc(t) dt = 1/√π; truncated at 30 the rest is far below rounding.
        assertEquals(1 / Math.sqrt(Math.PI), Quadrature.integrate(SpecialFunctions::erfc, 0, 30), 1e-15);
    }

    @Test
    void prvCdfIsTheGaussianCdfWithoutSubsampling() {
        // q = 1: the PRV of a Gaussian step is N(μ, 2μ) with μ = 1/(2σ²), so F(t) = ½·erfc((μ − t)/(2√μ)).
        double sigma = 1.3;
        double mu = 1 / (2 * sigma * sigma);
        PrivacyLossDistribution d = new PrivacyLossDistribution(1, sigma);
        for (double t : new double[] {-2, 0, 0.3, 1, 4}) {
            assertEquals(0.5 * SpecialFunctions.erfc((mu - t) / (2 * Math.sqrt(mu))), d.cdf(t), 1e-15, "t=" + t);
        }
    }
}
