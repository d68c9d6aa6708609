package org.dpmammo.privacy.accounting;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
            double[] re = new double[n / 2 + 1];
            double[] im = new double[n / 2 + 1];
            f.realForward(x, re, im);
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
