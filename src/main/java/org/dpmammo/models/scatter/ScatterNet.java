package org.dpmammo.models.scatter;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.dpmammo.autograd.Variable;
import org.dpmammo.models.ImageClassifier;
import org.dpmammo.models.swin.SwinTransformer;
import org.dpmammo.nn.LayerNorm;
import org.dpmammo.nn.Module;
import org.dpmammo.tensor.Shape;
import org.dpmammo.tensor.Tensor;
import org.dpmammo.util.Parallel;
import org.dpmammo.util.Rng;

/**
 * A classifier on scattering features (Tramèr &amp; Boneh, ICLR 2021): a fixed two-layer {@link Scattering} of the
 * image, pooled, logged and normalised per example, then a per-feature affine ({@code norm}, a LayerNorm that
 * starts as the identity) and the head. Nothing before {@code norm} has parameters or sees any data, so the
 * features of a model fresh from its seed are public; {@code norm} is what synthetic pretraining can learn (with
 * the head) on public data, and it is frozen with the rest of the backbone under DP fine-tuning.
 *
 * <p>Feature: for each scattering channel k, log(mean |S_k| + 10⁻³) over the whole map and over its central
 * half (the mass sits in the middle of a patch), so F = 2·channels. Each of the six groups (order 0, 1, 2 × whole,
 * centre) is then standardised within the example — a normalisation with no statistics from any data set, as
 * GroupNorm; the groups keep the orders' very different scales from swamping one another. S0 is alone in its
 * group, so it standardises to 0: the mean intensity does not reach the head (folding it into the order-1 group
 * scored the same in tools/scattering_features.py).
 *
 * <p>The images come as the classifier pipeline makes them, [N, 3, S, S] in [−1, 1] with equal channels; channel 0
 * mapped back to [0, 1] is transformed. Scattering an image costs milliseconds and the grid meets the same images
 * again and again (flip variants, conditions, seeds, evaluation), so the normalised scattering vector of each
 * distinct input (by SHA-256 of its pixels) is kept in a bounded process-wide memo.
 */
public final class ScatterNet extends ImageClassifier {
    /** The shape: input side S, scales J, orientations L. */
    public record Config(int imageSize, int scales, int angles) {
        /** The preset: 64 × 64 input, J = 3, L = 8 (217 channels of 8 × 8, 434 features). */
        public static Config preset() {
            return new Config(64, 3, 8);
        }
    }

    private static final int MEMO_ENTRIES = 60_000;
    private static final Map<String, float[]> MEMO = new LinkedHashMap<>(1024, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, float[]> e) {
            return size() > MEMO_ENTRIES;
        }
    };

    public final Config config;
    public final SwinTransformer.Head headKind;
    private final Scattering scattering;
    private final int[] group;
    public final LayerNorm norm;
    private final Module head;

    public ScatterNet(Config config, SwinTransformer.Head head, int numClasses, Rng rng) {
        this.config = config;
        this.headKind = head;
        this.scattering = new Scattering(config.imageSize(), config.scales(), config.angles());
        int k = scattering.channels();
        group = new int[2 * k];
        for (int c = 0; c < k; c++) {
            group[c] = scattering.order(c);
            group[k + c] = 3 + scattering.order(c);
        }
        // γ = 1, β = 0: on a vector of mean 0 and variance (F − 2)/F (the two S0 entries are 0), a scaling by √(F/(F − 2)).
        norm = registerModule("norm", new LayerNorm(2 * k));
        this.head = registerModule("head", SwinTransformer.newHead(head, 2 * k, numClasses, rng));
    }

    @Override
    public int imageSize() {
        return config.imageSize();
    }

    @Override
    public int numFeatures() {
        return group.length;
    }

    @Override
    public Module head() {
        return head;
    }

    /** Features [N, F]: the fixed part as a constant, then the affine (differentiable in its parameters). */
    @Override
    public Variable features(Variable images) {
        Tensor x = images.value();
        int[] s = x.shapeRef();
        int size = config.imageSize();
        if (s.length != 4 || s[1] != 3 || s[2] != size || s[3] != size) {
            throw new IllegalArgumentException("scatternet: input " + Shape.str(s) + ", expected [N, 3, " + size + ", " + size + "]");
        }
        Tensor c = x.compact();
        float[] d = c.data();
        int n = s[0], f = group.length, plane = size * size, image = 3 * plane;
        float[] out = new float[n * f];
        Parallel.forRange(n, 1, (from, to) -> {
            for (int i = from; i < to; i++) {
                float[] pixels = new float[plane];
                for (int p = 0; p < plane; p++) pixels[p] = (d[i * image + p] + 1f) / 2f;
                System.arraycopy(fixedFeatures(pixels), 0, out, i * f, f);
            }
        });
        return norm.forward(Variable.constant(Tensor.of(out, n, f)));
    }

    /** The normalised pooled log-scattering vector of one image in [0, 1], from the memo when it was seen before. */
    float[] fixedFeatures(float[] pixels) {
        String key = key(pixels);
        float[] v;
        synchronized (MEMO) {
            v = MEMO.get(key);
        }
        if (v != null) return v;
        v = pooled(scattering, pixels, group);
        synchronized (MEMO) {
            MEMO.put(key, v);
        }
        return v;
    }

    /** log(mean |S_k| + 10⁻³) over the whole map and the central half, then standardised within each group. */
    static float[] pooled(Scattering sc, float[] pixels, int[] group) {
        float[] s = sc.transform(pixels);
        int k = sc.channels(), o = sc.outputSize(), lo = o / 4, hi = o - o / 4;
        double[] v = new double[2 * k];
        for (int c = 0; c < k; c++) {
            double all = 0, centre = 0;
            for (int y = 0; y < o; y++) {
                for (int x = 0; x < o; x++) {
                    double a = Math.abs(s[(c * o + y) * o + x]);
                    all += a;
                    if (y >= lo && y < hi && x >= lo && x < hi) centre += a;
                }
            }
            v[c] = Math.log(all / (o * o) + 1e-3);
            v[k + c] = Math.log(centre / ((hi - lo) * (hi - lo)) + 1e-3);
        }
        float[] out = new float[v.length];
        for (int g = 0; g < 6; g++) {
            double sum = 0, sq = 0;
            int m = 0;
            for (int i = 0; i < v.length; i++) {
                if (group[i] != g) continue;
                sum += v[i];
                m++;
            }
            double mean = sum / m;
            for (int i = 0; i < v.length; i++) if (group[i] == g) sq += (v[i] - mean) * (v[i] - mean);
            double sd = Math.sqrt(sq / m + 1e-5);
            for (int i = 0; i < v.length; i++) if (group[i] == g) out[i] = (float) ((v[i] - mean) / sd);
        }
        return out;
    }

    private String key(float[] pixels) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update((config.imageSize() + "/" + config.scales() + "/" + config.angles()).getBytes(java.nio.charset.StandardCharsets.UTF_8));
            ByteBuffer b = ByteBuffer.allocate(pixels.length * 4);
            for (float p : pixels) b.putFloat(p);
            md.update(b.array());
            return java.util.HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
