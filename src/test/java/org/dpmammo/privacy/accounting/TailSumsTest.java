package org.dpmammo.privacy.accounting;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The tail sums δ(ε) is read from, in closed form from a band-limited spectrum, against direct sums of the samples. */
class TailSumsTest {
    /**
     * A composed PRV is a smooth bump with a few hundred non-negligible bins: here the mass of N(μ, s²) on a grid,
     * composed with itself T = 1000 times through its spectrum (in polar form), with the bins the accountant treats
     * as negligible (|X_k|² < e^{−1500/T}) set to zero, and read through a circular offset that wraps. The closed
     * form must agree with summing the inverse transform's samples directly.
     */
    @Test
    void closedFormMatchesDirectSumsOfTheSamples() {
        int n = 1 << 14;
        double dt = 1e-3;
        int steps = 1000;
        double[] x = new double[n];
        double mu = 2000;
        double sd = 20;
        for (int j = 0; j < n; j++) x[j] = Math.exp(-0.5 * Math.pow((j - mu) / sd, 2)) / (sd * Math.sqrt(2 * Math.PI));
        Fft fft = new Fft(n);
        double[][] spectrum = fft.realForward(x, 0, n);
        double[] re = spectrum[0];
        double[] im = spectrum[1];
        int bandwidth = 0;
        for (int k = 0; k <= n / 2; k++) {
            int p = fft.bin(k);
            double mag2 = re[p] * re[p] + im[p] * im[p];
            if (mag2 < Math.exp(-1500.0 / steps)) {
                re[p] = 0;
                im[p] = 0;
            } else {
                double mag = Math.pow(mag2, steps / 2.0);
                double phase = steps * Math.atan2(im[p], re[p]);
                re[p] = mag * Math.cos(phase);
                im[p] = mag * Math.sin(phase);
                bandwidth = k + 1;
            }
        }
        // The composed bump N(3μ, 3s²) has only low frequencies.
        assertTrue(bandwidth > 10 && bandwidth < n / 64, "bandwidth " + bandwidth);
        double[] composed = new double[n];
        fft.realInverse(re.clone(), im.clone(), composed);
        for (int offset : new int[] {0, 1234, n - 700}) {
            int size = n - 900;
            TailSums closed = TailSums.fromSpectrum(fft, re, im, bandwidth, offset, size, dt);
            double[] got = new double[2];
            for (int i : new int[] {1, 17, 3000, 5999, 6000, 6001, 7777, size - 2, size - 1}) {
                double d1 = 0;
                double d2 = 0;
                for (int j = i; j < size; j++) {
                    double p = composed[(j + offset) % n];
                    d1 += p;
                    d2 += p * Math.exp(-(j - i) * dt);
                }
                closed.at(i, got);
                assertEquals(d1, got[0], 1e-13, "d1 offset " + offset + " i " + i);
                assertEquals(d2, got[1], 1e-13, "d2 offset " + offset + " i " + i);
            }
        }
    }

    /** The samples path is the accountant's original reading: sums from the top, through the offset. */
    @Test
    void samplesPathSumsFromTheTop() {
        double[] x = {0.1, 0.2, 0.3, 0.4};
        TailSums sums = TailSums.fromSamples(x, 3, 3, 0.5);
        // p = x[3], x[0], x[1]
        double[] got = new double[2];
        sums.at(0, got);
        assertEquals(0.4 + 0.1 + 0.2, got[0], 1e-15);
        assertEquals(0.4 + 0.1 * Math.exp(-0.5) + 0.2 * Math.exp(-1.0), got[1], 1e-15);
        sums.at(2, got);
        assertEquals(0.2, got[0], 1e-15);
        assertEquals(0.2, got[1], 1e-15);
    }

    @Test
    void rejectsABandwidthBeyondHalfTheLength() {
        Fft fft = new Fft(16);
        double[] re = new double[9];
        double[] im = new double[9];
        assertThrows(IllegalArgumentException.class, () -> TailSums.fromSpectrum(fft, re, im, 9, 0, 10, 0.1));
        assertThrows(IllegalArgumentException.class, () -> TailSums.fromSpectrum(fft, re, im, 0, 0, 10, 0.1));
    }
}
