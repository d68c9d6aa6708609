package org.dpmammo.models.radiomics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.dpmammo.autograd.Variable;
import org.dpmammo.models.scatter.ScatterNet;
import org.dpmammo.models.scatter.Scattering;
import org.dpmammo.models.swin.SwinTransformer;
import org.dpmammo.tensor.Tensor;
import org.dpmammo.util.Rng;
import org.junit.jupiter.api.Test;

/** The model's features against the radiomics (and scattering) of the same pixels, normalised by hand. */
class RadiomicsNetTest {
    private static final int SIZE = 16;

    /** n images [n, 3, S, S] in [−1, 1] with equal channels: a bright blob of random size on noise, so every feature group varies. */
    private static float[] images(int n, long seed) {
        Rng rng = new Rng(seed);
        int plane = SIZE * SIZE;
        float[] out = new float[n * 3 * plane];
        for (int i = 0; i < n; i++) {
            double r = 2 + 4 * rng.nextDouble();
            for (int y = 0; y < SIZE; y++) {
                for (int x = 0; x < SIZE; x++) {
                    double dy = y - 7.5, dx = x - 7.5;
                    double v = (dy * dy + dx * dx <= r * r ? 0.7 : 0.2) + 0.2 * rng.nextDouble();
                    for (int c = 0; c < 3; c++) out[(i * 3 + c) * plane + y * SIZE + x] = (float) (2 * v - 1);
                }
            }
        }
        return out;
    }

    /** Channel 0 of image i mapped back to [0, 1], as the model sees it. */
    private static float[] unit(float[] images, int i) {
        int plane = SIZE * SIZE;
        float[] x = new float[plane];
        for (int p = 0; p < plane; p++) x[p] = (images[i * 3 * plane + p] + 1) / 2;
        return x;
    }

    /** The documented map, written out feature by feature: 2(x − lo)/(hi − lo) − 1 on each definition's range, asinh where there is none. */
    private static double[] byHand(double[] f) {
        double[] z = new double[f.length];
        for (int i : new int[] {0, 5, 6, 7, 8, 9, 11, 12, 16, 17, 20, 23, 24}) z[i] = 2 * f[i] - 1; // [0, 1]
        z[1] = 4 * f[1] - 1; // std in [0, 1/2]
        z[2] = Math.log(f[2] + Math.sqrt(f[2] * f[2] + 1)); // asinh
        z[3] = Math.log(f[3] + Math.sqrt(f[3] * f[3] + 1));
        z[4] = f[4] / 3 - 1; // entropy in [0, 6] bits
        z[10] = f[10] / 112.5 - 1; // contrast in [0, 225]
        z[15] = f[15] / 112.5 - 1;
        z[14] = f[14] / 7.5 - 1; // dissimilarity in [0, 15]
        z[19] = f[19] / 7.5 - 1;
        z[13] = f[13]; // correlation in [−1, 1]
        z[18] = f[18];
        z[25] = f[25]; // mass contrast in [−1, 1]
        z[21] = 2 * f[21] / ((2.0 * SIZE * SIZE + 2) / SIZE) - 1; // perimeter in [0, (2n + 2)/side]
        z[22] = 2 * f[22] / (Math.PI / 4) - 1; // compactness in [0, π/4]
        return z;
    }

    /** LayerNorm with γ = 1, β = 0: the vector standardised (population variance, ε = 1e-5). */
    private static double[] layerNorm(double[] v) {
        double mean = 0, var = 0;
        for (double x : v) mean += x / v.length;
        for (double x : v) var += (x - mean) * (x - mean) / v.length;
        double[] out = new double[v.length];
        for (int j = 0; j < v.length; j++) out[j] = (v[j] - mean) / Math.sqrt(var + 1e-5);
        return out;
    }

    @Test
    void featuresAreRadiomicsMappedByTheirRangesThenLayerNormed() {
        RadiomicsNet net = new RadiomicsNet(new RadiomicsNet.Config(SIZE, null), SwinTransformer.Head.LINEAR, 2, new Rng(1));
        int n = 4;
        float[] images = images(n, 2);
        Tensor f = net.features(Variable.constant(Tensor.of(images, n, 3, SIZE, SIZE))).value();
        assertArrayEquals(new int[] {n, RadiomicsFeatures.DIM}, f.shape());
        assertEquals(RadiomicsFeatures.DIM, net.numFeatures());
        for (int i = 0; i < n; i++) {
            double[] expected = layerNorm(byHand(RadiomicsFeatures.of(unit(images, i), SIZE, SIZE)));
            for (int j = 0; j < expected.length; j++) assertEquals(expected[j], f.get(i, j), 1e-4, "example " + i + " feature " + RadiomicsFeatures.NAMES.get(j));
        }
        assertArrayEquals(new int[] {n, 2}, net.forward(Variable.constant(Tensor.of(images, n, 3, SIZE, SIZE))).value().shape());
    }

    @Test
    void withScatteringTheScatteringVectorFollowsTheRadiomics() {
        ScatterNet.Config sc = new ScatterNet.Config(SIZE, 2, 4);
        RadiomicsNet net = new RadiomicsNet(new RadiomicsNet.Config(SIZE, sc), SwinTransformer.Head.MLP, 2, new Rng(1));
        Scattering scattering = new Scattering(SIZE, 2, 4);
        int n = 3, k = scattering.channels();
        float[] images = images(n, 3);
        Tensor f = net.features(Variable.constant(Tensor.of(images, n, 3, SIZE, SIZE))).value();
        assertArrayEquals(new int[] {n, RadiomicsFeatures.DIM + 2 * k}, f.shape());
        for (int i = 0; i < n; i++) {
            double[] r = byHand(RadiomicsFeatures.of(unit(images, i), SIZE, SIZE));
            float[] s = ScatterNet.pooled(scattering, unit(images, i));
            double[] both = new double[r.length + s.length];
            System.arraycopy(r, 0, both, 0, r.length);
            for (int j = 0; j < s.length; j++) both[r.length + j] = s[j];
            double[] expected = layerNorm(both);
            for (int j = 0; j < expected.length; j++) assertEquals(expected[j], f.get(i, j), 1e-4, "example " + i + " feature " + j);
        }
    }

    @Test
    void aScatteringOfAnotherSizeAndAWrongInputAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new RadiomicsNet.Config(SIZE, new ScatterNet.Config(32, 2, 4)));
        RadiomicsNet net = new RadiomicsNet(new RadiomicsNet.Config(SIZE, null), SwinTransformer.Head.LINEAR, 2, new Rng(1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> net.features(Variable.constant(Tensor.of(new float[3 * 8 * 8], 1, 3, 8, 8))));
        assertEquals("radiomics: input [1, 3, 8, 8], expected [N, 3, 16, 16]", e.getMessage());
    }
}
