package org.dpmammo.models.scatter;

import org.dpmammo.autograd.Variable;
import org.dpmammo.models.FixedFeatures;
import org.dpmammo.models.ImageClassifier;
import org.dpmammo.models.swin.SwinTransformer;
import org.dpmammo.nn.LayerNorm;
import org.dpmammo.nn.Module;
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
 * <p>Channel 0 of the pipeline's [−1, 1] images, mapped back to [0, 1], is transformed; each distinct image's
 * normalised vector is computed once per process ({@link FixedFeatures}).
 */
public final class ScatterNet extends ImageClassifier {
    /** The shape: input side S, scales J, orientations L. */
    public record Config(int imageSize, int scales, int angles) {
        /** The preset: 64 × 64 input, J = 3, L = 8 (217 channels of 8 × 8, 434 features). */
        public static Config preset() {
            return new Config(64, 3, 8);
        }
    }

    public final Config config;
    public final SwinTransformer.Head headKind;
    private final Scattering scattering;
    public final LayerNorm norm;
    private final Module head;

    public ScatterNet(Config config, SwinTransformer.Head head, int numClasses, Rng rng) {
        this.config = config;
        this.headKind = head;
        this.scattering = new Scattering(config.imageSize(), config.scales(), config.angles());
        int k = scattering.channels();
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
        return 2 * scattering.channels();
    }

    @Override
    public Module head() {
        return head;
    }

    /** Features [N, F]: the fixed part as a constant, then the affine (differentiable in its parameters). */
    @Override
    public Variable features(Variable images) {
        String id = "scatter/" + config.imageSize() + "/" + config.scales() + "/" + config.angles();
        return norm.forward(Variable.constant(FixedFeatures.batch("scatternet", id, images.value(), config.imageSize(), numFeatures(),
                pixels -> pooled(scattering, pixels))));
    }

    /**
     * The fixed feature of one image in [0, 1]: log(mean |S_k| + 10⁻³) over the whole map and the central half, then
     * standardised within each (order × region) group.
     */
    public static float[] pooled(Scattering sc, float[] pixels) {
        float[] s = sc.transform(pixels);
        int k = sc.channels(), o = sc.outputSize(), lo = o / 4, hi = o - o / 4;
        int[] group = new int[2 * k];
        for (int c = 0; c < k; c++) {
            group[c] = sc.order(c);
            group[k + c] = 3 + sc.order(c);
        }
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
}
