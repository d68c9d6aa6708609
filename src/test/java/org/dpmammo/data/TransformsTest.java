package org.dpmammo.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.util.Arrays;
import org.dpmammo.util.Rng;
import org.junit.jupiter.api.Test;

class TransformsTest {
    private static FloatImage img(int c, int h, int w, float... v) {
        return new FloatImage(c, h, w, v);
    }

    @Test
    void areaDownscaleAveragesTheCoveredInterval() {
        // 4 -> 2: pairs averaged.
        assertArrayEquals(new float[] {1.5f, 3.5f}, Transforms.resize(img(1, 1, 4, 1, 2, 3, 4), 1, 2).data(), 1e-6f);
        // 3 -> 2: each output covers 1.5 inputs: (a + b/2) / 1.5 and (b/2 + c) / 1.5.
        assertArrayEquals(new float[] {(3 + 0.5f * 6) / 1.5f, (0.5f * 6 + 9) / 1.5f},
                Transforms.resize(img(1, 1, 3, 3, 6, 9), 1, 2).data(), 1e-5f);
        // 2-D: a 4x4 block image to 2x2 gives the block means.
        float[] v = new float[16];
        for (int y = 0; y < 4; y++) for (int x = 0; x < 4; x++) v[y * 4 + x] = y * 4 + x;
        assertArrayEquals(new float[] {2.5f, 4.5f, 10.5f, 12.5f}, Transforms.resize(img(1, 4, 4, v), 2, 2).data(), 1e-5f);
    }

    @Test
    void bilinearUpscaleUsesHalfPixelCentres() {
        // PyTorch: F.interpolate(tensor([[[0., 1.]]]), size=4, mode="linear", align_corners=False) = [0, 0.25, 0.75, 1].
        assertArrayEquals(new float[] {0f, 0.25f, 0.75f, 1f}, Transforms.resize(img(1, 1, 2, 0, 1), 1, 4).data(), 1e-6f);
        // 3 -> 5: source positions max(0, (o + 0.5) * 0.6 - 0.5) = 0, 0.4, 1.0, 1.6, 2.2 (clamped to the last pixel).
        assertArrayEquals(new float[] {0f, 0.4f * 10, 10f, 10 + 0.6f * 10, 20f},
                Transforms.resize(img(1, 1, 3, 0, 10, 20), 1, 5).data(), 1e-5f);
        // 2-D 2x2 -> 4x4: the inner 2x2 of the result is the bilinear blend at quarter positions.
        FloatImage up = Transforms.resize(img(1, 2, 2, 0, 4, 8, 12), 4, 4);
        assertEquals(0f, up.get(0, 0, 0), 1e-6f);
        assertEquals(0.25f * 4 + 0.25f * 8, up.get(0, 1, 1), 1e-5f);
        assertEquals(12f, up.get(0, 3, 3), 1e-6f);
    }

    @Test
    void resizeKeepsConstantsAndSizes() {
        float[] v = new float[128 * 128];
        Arrays.fill(v, 0.3f);
        for (int[] s : new int[][] {{224, 224}, {64, 64}, {100, 37}, {128, 128}}) {
            FloatImage r = Transforms.resize(img(1, 128, 128, v), s[0], s[1]);
            assertEquals(s[0], r.height());
            assertEquals(s[1], r.width());
            for (float f : r.data()) assertEquals(0.3f, f, 1e-6f);
        }
    }

    @Test
    void flipsChannelsAndRange() {
        FloatImage a = img(1, 2, 3, 1, 2, 3, 4, 5, 6);
        assertArrayEquals(new float[] {3, 2, 1, 6, 5, 4}, Transforms.flipHorizontal(a).data());
        assertArrayEquals(new float[] {4, 5, 6, 1, 2, 3}, Transforms.flipVertical(a).data());
        FloatImage rgb = Transforms.repeatChannels(img(1, 1, 2, 0f, 1f), 3);
        assertArrayEquals(new float[] {0, 1, 0, 1, 0, 1}, rgb.data());
        assertArrayEquals(new float[] {-1f, 0f, 1f}, Transforms.toSigned(img(1, 1, 3, 0f, 0.5f, 1f)).data());
    }

    @Test
    void classifierPipelineMatchesTheStudy() {
        short[] s = new short[128 * 128];
        for (int i = 0; i < s.length; i++) s[i] = (short) (i % 256);
        GrayImage g = new GrayImage(128, 128, 255, s);
        Pipeline p = Pipeline.classifier(224, false);
        assertArrayEquals(new int[] {3, 224, 224}, p.outShape(128, 128));
        FloatImage x = p.apply(g, new Rng(0));
        assertArrayEquals(new int[] {3, 224, 224}, x.shape());
        // Top-left output maps to source (0, 0) exactly: value 0 -> -1.
        assertEquals(-1f, x.get(0, 0, 0), 1e-6f);
        assertEquals(x.get(0, 100, 50), x.get(2, 100, 50));
        for (float f : x.data()) assertEquals(true, f >= -1f && f <= 1f);
    }

    @Test
    void augmentationIsDeterministicGivenTheSeed() {
        short[] s = new short[32 * 32];
        for (int i = 0; i < s.length; i++) s[i] = (short) ((i * 7919) % 256);
        GrayImage g = new GrayImage(32, 32, 255, s);
        Pipeline p = Pipeline.gan(32, true, true);
        assertArrayEquals(new int[] {1, 32, 32}, p.outShape(32, 32));
        assertArrayEquals(p.apply(g, new Rng(5)).data(), p.apply(g, new Rng(5)).data());
        boolean differs = false;
        for (long seed = 6; seed < 12 && !differs; seed++) differs = !Arrays.equals(p.apply(g, new Rng(5)).data(), p.apply(g, new Rng(seed)).data());
        assertEquals(true, differs);
        // A full-size crop box (scale 1, ratio 1) is the identity.
        FloatImage u = g.toUnit();
        assertArrayEquals(u.data(), Transforms.randomResizedCrop(u, new Rng(1), 32, 32, 1, 1, 1, 1).data());
        FloatImage c = Transforms.randomResizedCrop(u, new Rng(2), 32, 32, 0.95, 1, 0.95, 1.1);
        assertNotEquals(Arrays.toString(u.data()), Arrays.toString(c.data()));
    }
}
