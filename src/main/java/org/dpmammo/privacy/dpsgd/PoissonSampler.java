package org.dpmammo.privacy.dpsgd;

import java.util.Arrays;
import org.dpmammo.privacy.noise.RandomSource;

/**
 * Poisson sampling as the accountants assume it: at every step each of the N examples joins the batch
 * independently with probability q. Batch sizes vary and can be 0 (an empty batch is still a step: noise is still
 * added and privacy is still spent). Steps per epoch follow Opacus: ⌊1/q⌋.
 */
public final class PoissonSampler {
    private final int datasetSize;
    private final double q;
    private final RandomSource source;

    public PoissonSampler(int datasetSize, double sampleRate, RandomSource source) {
        if (datasetSize <= 0) throw new IllegalArgumentException("Poisson sampler: dataset size must be positive, got " + datasetSize);
        if (!(sampleRate > 0 && sampleRate <= 1)) throw new IllegalArgumentException("Poisson sampler: sample rate q must be in (0, 1], got " + sampleRate);
        this.datasetSize = datasetSize;
        this.q = sampleRate;
        this.source = source;
    }

    public double sampleRate() {
        return q;
    }

    public int datasetSize() {
        return datasetSize;
    }

    /** Steps in one epoch, ⌊1/q⌋ as Opacus counts them. */
    public int stepsPerEpoch() {
        return (int) Math.floor(1 / q);
    }

    /** The expected batch size q·N: DP-SGD divides the noisy sum by this, never by the realised size. */
    public double expectedBatchSize() {
        return q * datasetSize;
    }

    /**
     * The example indices of the batch for the given global step, in increasing order. The step positions the
     * random stream, so a resumed run draws the same batches as an uninterrupted one.
     */
    public int[] batch(long step) {
        source.seekStep(step);
        int[] picked = new int[Math.max(16, (int) (2 * expectedBatchSize()))];
        int n = 0;
        for (int i = 0; i < datasetSize; i++) {
            if (source.nextDouble() < q) {
                if (n == picked.length) picked = Arrays.copyOf(picked, 2 * n);
                picked[n++] = i;
            }
        }
        return Arrays.copyOf(picked, n);
    }
}
