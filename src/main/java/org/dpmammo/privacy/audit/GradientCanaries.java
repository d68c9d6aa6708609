package org.dpmammo.privacy.audit;

import java.util.ArrayList;
import java.util.List;
import org.dpmammo.privacy.dpsgd.DpSgd;
import org.dpmammo.privacy.noise.RandomSource;
import org.dpmammo.util.Rng;

/**
 * White-box gradient canaries (Steinke, Nasr &amp; Jagielski 2023, §6, "gradient space"): m fixed random directions in
 * parameter space, each included in the run with probability ½. At every step each included canary is Poisson-sampled
 * with the run's rate q, exactly as a real example is, and a sampled canary adds its direction to the clipped sum
 * before noise. Canaries are scored afterwards by how far the total model update moved against their direction.
 *
 * <p>A canary's raw gradient has norm {@link #RAW_NORM_OVER_C}·C, as a worst-case outlier's would: correct clipping
 * brings it to norm C, the most one example may contribute, while an implementation that forgets to clip lets it
 * through at full length, which the audit then sees.
 */
public final class GradientCanaries implements DpSgd.ExtraExamples {
    /** Raw canary length in units of C (see the class comment). */
    public static final double RAW_NORM_OVER_C = 100;

    private final float[][] directions;
    private final boolean[] included;
    private final float rawNorm;
    private final double sampleRate;
    private final RandomSource sampler;

    /**
     * @param directions one unit vector per canary, over the trainable parameters in DpSgd's order (kept, not copied:
     *                   m × d floats is the audit's largest allocation)
     * @param included   which canaries take part (each drawn with probability ½ by the caller)
     */
    public GradientCanaries(float[][] directions, boolean[] included, double maxGradNorm, double sampleRate, RandomSource sampler) {
        if (directions.length != included.length) throw new IllegalArgumentException(directions.length + " directions but " + included.length + " inclusion flags");
        this.directions = directions;
        this.rawNorm = (float) (RAW_NORM_OVER_C * maxGradNorm);
        this.included = included.clone();
        this.sampleRate = sampleRate;
        this.sampler = sampler;
    }

    /**
     * m random unit vectors of dimension d (Gaussian, normalised): nearly orthogonal to each other when d ≫ m·q. They
     * are the auditor's own public choice, so a fast non-cryptographic generator is enough.
     */
    public static float[][] randomDirections(int m, int d, Rng rng) {
        float[][] out = new float[m][d];
        for (int i = 0; i < m; i++) {
            double sq = 0;
            for (int t = 0; t < d; t++) {
                double v = rng.nextGaussian();
                out[i][t] = (float) v;
                sq += v * v;
            }
            float inv = (float) (1 / Math.sqrt(sq));
            for (int t = 0; t < d; t++) out[i][t] *= inv;
        }
        return out;
    }

    @Override
    public List<float[]> at(long step) {
        // One coin per canary, addressed by the step, so a resumed run samples what the uninterrupted one would.
        sampler.seekStep(step);
        List<float[]> out = new ArrayList<>();
        for (int i = 0; i < directions.length; i++) {
            boolean sampled = sampler.nextDouble() < sampleRate;
            if (sampled && included[i]) {
                float[] g = directions[i].clone();
                for (int t = 0; t < g.length; t++) g[t] *= rawNorm;
                out.add(g);
            }
        }
        return out;
    }

    /**
     * Scores: minus the projection of the total update θ_T − θ₀ on each canary's direction (SGD steps against the
     * gradient, so an included canary pulls the model the other way). Higher means "more likely included".
     */
    public static double[] scores(float[][] unitDirections, float[] before, float[] after) {
        double[] s = new double[unitDirections.length];
        for (int i = 0; i < s.length; i++) {
            double dot = 0;
            for (int t = 0; t < before.length; t++) dot += (double) (after[t] - before[t]) * unitDirections[i][t];
            s[i] = -dot;
        }
        return s;
    }
}
