package org.dpmammo.models.scatter;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.dpmammo.autograd.Variable;
import org.dpmammo.models.swin.SwinTransformer;
import org.dpmammo.tensor.Tensor;
import org.dpmammo.util.Rng;
import org.junit.jupiter.api.Test;

/** The model's features against the transform pooled by hand, and the head on top. */
class ScatterNetTest {
    @Test
    void featuresArePooledLogScatteringStandardisedPerGroup() {
        ScatterNet.Config cfg = new ScatterNet.Config(16, 2, 4);
        ScatterNet net = new ScatterNet(cfg, SwinTransformer.Head.LINEAR, 2, new Rng(1));
        Scattering sc = new Scattering(16, 2, 4);
        int n = 3, k = sc.channels(), o = sc.outputSize(), plane = 16 * 16;
        Rng rng = new Rng(2);
        float[] images = new float[n * 3 * plane];
        for (int i = 0; i < n; i++) {
            for (int p = 0; p < plane; p++) {
                float v = (float) rng.nextDouble() * 2 - 1;
                for (int c = 0; c < 3; c++) images[(i * 3 + c) * plane + p] = v;
            }
        }
        Tensor f = net.features(Variable.constant(Tensor.of(images, n, 3, 16, 16))).value();
        assertArrayEquals(new int[] {n, 2 * k}, f.shape());
        assertEquals(2 * k, net.numFeatures());
        for (int i = 0; i < n; i++) {
            float[] x = new float[plane];
            for (int p = 0; p < plane; p++) x[p] = (images[i * 3 * plane + p] + 1) / 2;
            float[] s = sc.transform(x);
            double[] raw = new double[2 * k];
            for (int c = 0; c < k; c++) {
                double all = 0, centre = 0;
                for (int y = 0; y < o; y++) {
                    for (int xx = 0; xx < o; xx++) {
                        double a = Math.abs(s[(c * o + y) * o + xx]);
                        all += a;
                        if (y >= o / 4 && y < o - o / 4 && xx >= o / 4 && xx < o - o / 4) centre += a;
                    }
                }
                raw[c] = Math.log(all / (o * o) + 1e-3);
                raw[k + c] = Math.log(centre / ((o / 2) * (o / 2)) + 1e-3);
            }
            // Groups: order 0, 1, 2 of the whole map, then of the centre.
            int[][] ranges = {{0, 1}, {1, 1 + 2 * 4}, {1 + 2 * 4, k}, {k, k + 1}, {k + 1, k + 1 + 2 * 4}, {k + 1 + 2 * 4, 2 * k}};
            double[] z = new double[2 * k];
            for (int[] r : ranges) {
                double mean = 0, var = 0;
                for (int j = r[0]; j < r[1]; j++) mean += raw[j] / (r[1] - r[0]);
                for (int j = r[0]; j < r[1]; j++) var += (raw[j] - mean) * (raw[j] - mean) / (r[1] - r[0]);
                for (int j = r[0]; j < r[1]; j++) z[j] = (raw[j] - mean) / Math.sqrt(var + 1e-5);
            }
            // Then the LayerNorm with γ = 1, β = 0: mean 0 already; the two single-channel groups (S0) are 0, so
            // the variance is (F − 2)/F and the vector grows by √(F/(F − 2)).
            double var = 0;
            for (double v : z) var += v * v / z.length;
            for (int j = 0; j < 2 * k; j++) assertEquals(z[j] / Math.sqrt(var + 1e-5), f.get(i, j), 1e-4, "example " + i + " feature " + j);
            assertEquals(0, f.get(i, 0), 1e-6, "S0 alone in its group carries nothing");
        }
        Tensor logits = net.forward(Variable.constant(Tensor.of(images, n, 3, 16, 16))).value();
        assertArrayEquals(new int[] {n, 2}, logits.shape());
    }
}
