package org.dpmammo.util;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class SnappedGaussianTest {
    /**
     * A seeded run must add the noise it added before the keystream was computed several blocks per call: values and a
     * hash of every output bit recorded with the one-block-at-a-time generator (main at a948ac6), over three full
     * chunks and a partial one, from substream 3 of a step above 2^32.
     */
    @Test
    void noiseIsBitForBitWhatTheOneBlockGeneratorDrew() {
        int[] key = {0x03020100, 0x07060504, 0x0b0a0908, 0x0f0e0d0c, 0x13121110, 0x17161514, 0x1b1a1918, 0x1f1e1d1c};
        int n = 3 * SnappedGaussian.CHUNK + 1000;
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (i % 7) * 0.25f - 0.5f;
        SnappedGaussian.addTo(v, 0, n, key, 42L + (5L << 32), 3, 1.1, Math.scalb(1.0, Math.getExponent(1.1) - 12));
        int[] at = {0, 1, 2, 8191, 8192, 16384, n - 1};
        int[] bits = {-1083625472, -1082249216, 1066053632, -1140588544, -1110704128, 1029898240, -1078505472};
        for (int k = 0; k < at.length; k++) assertEquals(bits[k], Float.floatToRawIntBits(v[at[k]]), "coordinate " + at[k]);
        long h = 1125899906842597L;
        for (float f : v) h = 31 * h + Float.floatToRawIntBits(f);
        assertEquals(-4354002931382354715L, h);
    }
}
