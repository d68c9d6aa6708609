package org.dpmammo.util;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** The transform against the O(n²) DFT sum, its inverse, and the 2-D transform against the 2-D sum. */
class ComplexFftTest {
    @Test
    void matchesTheDftSumForEveryLength() {
        java.util.Random r = new java.util.Random(1);
        for (int n = 2; n <= 128; n <<= 1) {
            double[] re = new double[n], im = new double[n];
            for (int i = 0; i < n; i++) {
                re[i] = r.nextGaussian();
                im[i] = r.nextGaussian();
            }
            double[] fr = re.clone(), fi = im.clone();
            new ComplexFft(n).transform(fr, fi, 0, 1, false);
            for (int k = 0; k < n; k++) {
                double sr = 0, si = 0;
                for (int j = 0; j < n; j++) {
                    double a = -2 * Math.PI * j * k / n;
                    sr += re[j] * Math.cos(a) - im[j] * Math.sin(a);
                    si += re[j] * Math.sin(a) + im[j] * Math.cos(a);
                }
                assertEquals(sr, fr[k], 1e-9 * n, "n " + n + " k " + k);
                assertEquals(si, fi[k], 1e-9 * n, "n " + n + " k " + k);
            }
            new ComplexFft(n).transform(fr, fi, 0, 1, true);
            for (int i = 0; i < n; i++) {
                assertEquals(re[i], fr[i], 1e-12 * n);
                assertEquals(im[i], fi[i], 1e-12 * n);
            }
        }
    }

    @Test
    void twoDimensionalTransformIsTheDoubleSum() {
        int n = 8;
        java.util.Random r = new java.util.Random(2);
        double[] re = new double[n * n], im = new double[n * n];
        for (int i = 0; i < re.length; i++) re[i] = r.nextGaussian();
        double[] fr = re.clone(), fi = im.clone();
        new ComplexFft(n).transform2d(fr, fi, false);
        for (int u = 0; u < n; u++) {
            for (int v = 0; v < n; v++) {
                double sr = 0, si = 0;
                for (int y = 0; y < n; y++) {
                    for (int x = 0; x < n; x++) {
                        double a = -2 * Math.PI * (u * y + v * x) / (double) n;
                        sr += re[y * n + x] * Math.cos(a);
                        si += re[y * n + x] * Math.sin(a);
                    }
                }
                assertEquals(sr, fr[u * n + v], 1e-9);
                assertEquals(si, fi[u * n + v], 1e-9);
            }
        }
    }

    @Test
    void refusesLengthsThatAreNotPowersOfTwo() {
        assertThrows(IllegalArgumentException.class, () -> new ComplexFft(12));
        assertThrows(IllegalArgumentException.class, () -> new ComplexFft(1));
    }
}
