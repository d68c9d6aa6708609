package org.dpmammo.models.swin;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.Map;
import java.util.function.Function;
import org.dpmammo.autograd.NnOps;
import org.dpmammo.autograd.Ops;
import org.dpmammo.autograd.Variable;
import org.dpmammo.nn.Parameter;
import org.dpmammo.optim.SGD;
import org.dpmammo.privacy.dpsgd.DpSgd;
import org.dpmammo.privacy.noise.GaussianNoise;
import org.dpmammo.privacy.noise.RandomSource;
import org.dpmammo.tensor.Tensor;
import org.dpmammo.util.Rng;
import org.junit.jupiter.api.Test;

/**
 * Full-model DP-SGD on a small Swin against the obviously-correct loop: every trainable parameter's update from one
 * DP step (σ = 0, SGD with lr 1) equals the mean of single-example gradients, each from its own ordinary backward,
 * clipped one by one where C bites. The model has a shifted stage (8×8 grid, window 4, masked path) and an
 * unshifted one (4×4 grid, one window), patch embedding, LayerNorms, patch merging and a linear head.
 */
class SwinDpSgdTest {
    static final int N = 3;
    static final SwinConfig SMALL = new SwinConfig(16, 2, 8, new int[] {2, 2}, new int[] {2, 2}, 4, 2.0, 0.0);
    static final int[] LABELS = {0, 1, 1};

    static Tensor images(int side) {
        Rng rng = new Rng(7);
        Tensor x = Tensor.zeros(N, 3, side, side);
        for (int i = 0; i < x.numel(); i++) x.data()[i] = (float) rng.uniform(-1, 1);
        return x;
    }

    static Function<int[], Variable> losses(SwinTransformer m, Tensor x) {
        int per = x.numel() / N;
        return idx -> {
            int[] s = x.shape();
            s[0] = idx.length;
            Tensor xb = Tensor.zeros(s);
            int[] y = new int[idx.length];
            for (int i = 0; i < idx.length; i++) {
                System.arraycopy(x.data(), idx[i] * per, xb.data(), i * per, per);
                y[i] = LABELS[idx[i]];
            }
            return NnOps.crossEntropy(m.forward(Variable.constant(xb)), y, 0f);
        };
    }

    /** Each example's gradient, parameter by parameter in name order, from its own backward pass. */
    static float[][][] singleExampleGradients(SwinTransformer m, Tensor x) {
        Map<String, Parameter> ps = m.namedParameters();
        float[][][] out = new float[N][ps.size()][];
        for (int i = 0; i < N; i++) {
            m.zeroGrad();
            Ops.sum(losses(m, x).apply(new int[] {i}), false).backward();
            int k = 0;
            for (Parameter p : ps.values()) out[i][k++] = p.grad().toArray();
        }
        m.zeroGrad();
        return out;
    }

    static float[][] values(SwinTransformer m) {
        return m.namedParameters().values().stream().map(p -> p.value().toArray()).toArray(float[][]::new);
    }

    /**
     * One DP step with clipping norm c and no noise; the update of every parameter is compared with the mean of
     * min(1, c/(‖gᵢ‖ + 1e-6))·gᵢ, relative to the largest element of that parameter's expected update.
     */
    static void assertStepIsClippedMeanOfSingleExampleGradients(SwinConfig config, double c, boolean expectClipping) throws IOException {
        SwinTransformer m = new SwinTransformer(config, SwinTransformer.Head.LINEAR, 2, new Rng(3));
        m.train(); // drop-path 0: training mode, yet deterministic
        Tensor x = images(config.imageSize());
        float[][][] g = singleExampleGradients(m, x);
        double[] factor = new double[N];
        boolean anyClipped = false;
        for (int i = 0; i < N; i++) {
            double sq = 0;
            for (float[] p : g[i]) for (float v : p) sq += (double) v * v;
            factor[i] = Math.min(1, c / (Math.sqrt(sq) + 1e-6));
            anyClipped |= factor[i] < 1;
        }
        assertTrue(anyClipped == expectClipping, "clipping " + (expectClipping ? "never bit" : "bit unexpectedly"));
        float[][] before = values(m);
        DpSgd dp = new DpSgd(m, new SGD(m.parameters(), 1.0), new DpSgd.Config(0, c, 1.0, N, 2, DpSgd.Clipping.FLAT),
                new GaussianNoise(RandomSource.deterministic(1, "noise")));
        dp.step(0, new int[] {0, 1, 2}, losses(m, x)); // physical chunks [0, 1] and [2]
        float[][] after = values(m);
        String[] names = m.namedParameters().keySet().toArray(String[]::new);
        for (int k = 0; k < names.length; k++) {
            double[] want = new double[before[k].length];
            for (int i = 0; i < N; i++) for (int e = 0; e < want.length; e++) want[e] += factor[i] * g[i][k][e] / N;
            double scale = 0, err = 0;
            for (int e = 0; e < want.length; e++) {
                scale = Math.max(scale, Math.abs(want[e]));
                err = Math.max(err, Math.abs((before[k][e] - after[k][e]) - want[e]));
            }
            assertTrue(scale > 0, names[k] + " has no gradient");
            // 1e-4 relative, with a floor for float32 rounding of the parameter values themselves (|w| ≤ ~1).
            assertTrue(err <= 1e-4 * scale + 2e-7, names[k] + ": update error " + err + " at scale " + scale);
        }
    }

    @Test
    void unclippedStepIsTheMeanOfSingleExampleGradients() throws IOException {
        assertStepIsClippedMeanOfSingleExampleGradients(SMALL, 1e9, false);
    }

    @Test
    void clippedStepClipsEachExampleAlone() throws IOException {
        assertStepIsClippedMeanOfSingleExampleGradients(SMALL, 0.05, true);
    }

    /** The ViT-style model (one stage, window = grid, so global attention and no shift) through the same rules. */
    @Test
    void vitStyleModelClipsEachExampleAlone() throws IOException {
        assertStepIsClippedMeanOfSingleExampleGradients(SwinConfig.vit(16, 4, 8, 2, 2, 2.0, 0.0), 0.05, true);
    }
}
