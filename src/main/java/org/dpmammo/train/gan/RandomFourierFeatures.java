package org.dpmammo.train.gan;

import org.dpmammo.autograd.Grad;
import org.dpmammo.autograd.Ops;
import org.dpmammo.autograd.Variable;
import org.dpmammo.tensor.Tensor;
import org.dpmammo.util.Rng;
import org.dpmammo.util.Scope;

/**
 * Random Fourier features of the Gaussian kernel k(x, x') = exp(−‖x − x'‖²/(2ℓ²)) (Rahimi &amp; Recht 2007), as DP-MERF
 * uses them (Harder et al. 2021): ω₁…ω_{D/2} ~ N(0, I/ℓ²) and φ(x) = √(2/D)·[cos(ωⱼ·x), sin(ωⱼ·x)]ⱼ, so that
 * φ(x)·φ(x') estimates k(x, x') and ‖φ(x)‖ = 1 for every x, exactly (cos² + sin² = 1): the bound the DP release's
 * sensitivity rests on, whatever the image. The frequencies depend only on (seed, input size, D, ℓ), never on data.
 */
public final class RandomFourierFeatures {
    private static final long STREAM = 0x52464646L;

    public final int inputSize, features;
    public final double bandwidth;
    public final long seed;
    /** ω as rows: [D/2, inputSize]. */
    private final Tensor omega;
    private final float scale;

    public RandomFourierFeatures(int inputSize, int features, double bandwidth, long seed) {
        if (inputSize < 1 || features < 2 || features % 2 != 0) throw new IllegalArgumentException("need input size ≥ 1 and an even feature count ≥ 2, got " + inputSize + ", " + features);
        if (!(bandwidth > 0) || Double.isInfinite(bandwidth)) throw new IllegalArgumentException("kernel bandwidth must be positive and finite, got " + bandwidth);
        this.inputSize = inputSize;
        this.features = features;
        this.bandwidth = bandwidth;
        this.seed = seed;
        Rng rng = new Rng(seed).fork(STREAM);
        float[] w = new float[features / 2 * inputSize];
        for (int i = 0; i < w.length; i++) w[i] = (float) (rng.nextGaussian() / bandwidth);
        omega = Tensor.of(w, features / 2, inputSize);
        scale = (float) Math.sqrt(2.0 / features);
    }

    /** ω·x for every row of x [B, inputSize]: [B, D/2]. */
    private float[] projections(Tensor x) {
        try (Scope s = Grad.noGrad()) {
            return Ops.matmul(Variable.constant(x), Variable.constant(omega), false, true).value().toArray();
        }
    }

    /** φ of every row of x [B, inputSize]: [B, D], cosines in the first half of each row, sines in the second. */
    public float[] features(Tensor x) {
        int b = x.shapeRef()[0], h = features / 2;
        float[] u = projections(x), out = new float[b * features];
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < h; j++) {
                double v = u[i * h + j];
                out[i * features + j] = (float) (scale * Math.cos(v));
                out[i * features + h + j] = (float) (scale * Math.sin(v));
            }
        }
        return out;
    }

    /**
     * The gradient with respect to x [B, inputSize] of Σᵢ rᵢ·φ(xᵢ), given r [B, D] (the loss's gradient with respect
     * to each φ(xᵢ)): ∂/∂u of s·cos u is −s·sin u, of s·sin u is s·cos u, and u = ω·x, so the result is (rᶜ ∘ −s sin U +
     * rˢ ∘ s cos U)·ω. Returned as [B, inputSize].
     */
    public Tensor backward(Tensor x, float[] r) {
        int b = x.shapeRef()[0], h = features / 2;
        float[] u = projections(x), gu = new float[b * h];
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < h; j++) {
                double v = u[i * h + j];
                gu[i * h + j] = (float) (scale * (-Math.sin(v) * r[i * features + j] + Math.cos(v) * r[i * features + h + j]));
            }
        }
        try (Scope s = Grad.noGrad()) {
            return Ops.matmul(Variable.constant(Tensor.of(gu, b, h)), Variable.constant(omega)).value();
        }
    }
}
