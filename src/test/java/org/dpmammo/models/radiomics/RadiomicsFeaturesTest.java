package org.dpmammo.models.radiomics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Radiomics features of images whose answers can be worked out by hand. */
class RadiomicsFeaturesTest {
    @Test
    void glcmOfACheckerboardByHand() {
        int n = 8;
        float[] img = new float[n * n];
        for (int y = 0; y < n; y++) for (int x = 0; x < n; x++) img[y * n + x] = (x + y) % 2;
        double[] f = RadiomicsFeatures.of(img, n, n);
        // Levels 0 and 15. Horizontal and vertical neighbours always differ: P[0][15] = P[15][0] = ½, so contrast 225,
        // homogeneity 1/226, energy ½, correlation −1, dissimilarity 15. Diagonal neighbours always agree: contrast 0,
        // homogeneity 1, correlation 1, dissimilarity 0; their energy counts the pairs: at distance 1 there are 7 × 7
        // pairs per diagonal, 25 of one colour and 24 of the other, so (25² + 24²)/49²; at distance 3, 5 × 5 pairs
        // split 13/12. The four directions average these; distance 3 is odd, so its pairs also always differ or agree.
        double[][] expected = {
            {112.5, (2.0 / 226 + 2) / 4, (1 + 2 * (625.0 + 576) / 2401) / 4, 0, 7.5},
            {112.5, (2.0 / 226 + 2) / 4, (1 + 2 * (169.0 + 144) / 625) / 4, 0, 7.5}};
        for (int d = 0; d < 2; d++) {
            for (int i = 0; i < 5; i++) {
                assertEquals(expected[d][i], f[10 + 5 * d + i], 1e-12, RadiomicsFeatures.NAMES.get(10 + 5 * d + i));
            }
        }
        // First order of a half-black, half-white image: mean ½, std ½, no skew, excess kurtosis −2, one bit.
        assertEquals(0.5, f[0], 1e-12);
        assertEquals(0.5, f[1], 1e-12);
        assertEquals(0, f[2], 1e-12);
        assertEquals(-2, f[3], 1e-12);
        assertEquals(1, f[4], 1e-12);
        assertEquals(0, f[5], 1e-12);
        assertEquals(1, f[9], 1e-12);
    }

    @Test
    void shapeOfACentralDiscAndEllipse() {
        int n = 64;
        float[] disc = new float[n * n], ellipse = new float[n * n];
        for (int y = 0; y < n; y++) {
            for (int x = 0; x < n; x++) {
                double dy = y - 31.5, dx = x - 31.5;
                if (dy * dy + dx * dx <= 15 * 15) disc[y * n + x] = 0.8f;
                else disc[y * n + x] = 0.2f;
                if (dy * dy / (8.0 * 8) + dx * dx / (20.0 * 20) <= 1) ellipse[y * n + x] = 0.9f;
            }
        }
        double[] f = RadiomicsFeatures.of(disc, n, n);
        assertEquals(Math.PI * 225 / (n * n), f[20], 0.01, "area fraction");
        assertTrue(f[23] < 0.1, "a disc is not eccentric: " + f[23]);
        assertTrue(f[24] < 0.05, "a disc has a regular margin: " + f[24]);
        assertEquals(0.6, f[25], 1e-6, "mass-background contrast");
        // The edge-count perimeter of a digital disc is its L1 length 8r, so compactness 4π·πr²/(8r)² → π²/16.
        assertEquals(Math.PI * Math.PI / 16, f[22], 0.02);
        double[] e = RadiomicsFeatures.of(ellipse, n, n);
        assertEquals(Math.sqrt(1 - 64.0 / 400), e[23], 0.02, "eccentricity of an 8 × 20 ellipse");
        assertTrue(e[24] > f[24] + 0.1, "an ellipse's radius varies more than a disc's");
    }
}
