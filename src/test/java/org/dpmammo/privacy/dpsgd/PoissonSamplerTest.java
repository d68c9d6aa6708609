package org.dpmammo.privacy.dpsgd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dpmammo.privacy.noise.RandomSource;
import org.junit.jupiter.api.Test;

class PoissonSamplerTest {
    @Test
    void batchSizesFollowTheBinomialDistribution() {
        int n = 200;
        double q = 0.05;
        PoissonSampler s = new PoissonSampler(n, q, RandomSource.deterministic(9, "sampler"));
        int steps = 20_000;
        int[] hist = new int[n + 1];
        long[] perExample = new long[n];
        for (int t = 0; t < steps; t++) {
            int[] b = s.batch(t);
            hist[b.length]++;
            for (int i = 1; i < b.length; i++) assertTrue(b[i] > b[i - 1], "indices increase");
            for (int i : b) perExample[i]++;
        }
        // Compare the histogram with Binomial(200, 0.05) by a chi-square test over sizes 4..16 plus both tails.
        double chi2 = 0;
        int bins = 0;
        double lowTail = 0, highTail = 0;
        int lowObs = 0, highObs = 0;
        for (int k = 0; k <= n; k++) {
            double p = Math.exp(logChoose(n, k) + k * Math.log(q) + (n - k) * Math.log1p(-q));
            if (k < 4) {
                lowTail += p;
                lowObs += hist[k];
            } else if (k > 16) {
                highTail += p;
                highObs += hist[k];
            } else {
                double e = p * steps;
                chi2 += (hist[k] - e) * (hist[k] - e) / e;
                bins++;
            }
        }
        chi2 += sq(lowObs - lowTail * steps) / (lowTail * steps) + sq(highObs - highTail * steps) / (highTail * steps);
        bins += 2;
        // 14 degrees of freedom: the 0.999 quantile is 36.1.
        assertTrue(chi2 < 36.1, "chi-square " + chi2 + " over " + bins + " bins");
        // The mean batch size is q·n = 10 (sd of one batch √(n·q·(1−q)) ≈ 3.08, of the mean over 20000 steps 0.022).
        double mean = 0;
        for (int k = 0; k <= n; k++) mean += (double) k * hist[k] / steps;
        assertEquals(10.0, mean, 0.1);
        // Every example is included about q·steps = 1000 times (sd ≈ 31).
        for (long c : perExample) assertEquals(1000, c, 160);
        assertEquals(20, s.stepsPerEpoch());
        assertEquals(10.0, s.expectedBatchSize(), 1e-12);
    }

    private static double sq(double x) {
        return x * x;
    }

    private static double logChoose(int n, int k) {
        double s = 0;
        for (int i = 1; i <= k; i++) s += Math.log(n - k + i) - Math.log(i);
        return s;
    }

    @Test
    void emptyBatchesHappenAndStepsReplay() {
        PoissonSampler s = new PoissonSampler(10, 0.01, RandomSource.deterministic(2, "sampler"));
        int empty = 0;
        for (int t = 0; t < 200; t++) empty += s.batch(t).length == 0 ? 1 : 0;
        assertTrue(empty > 150, "with q·N = 0.1 most batches are empty: " + empty);
        assertArrayEquals(s.batch(17), s.batch(17));
    }

    @Test
    void badRatesAreRejected() {
        RandomSource r = RandomSource.deterministic(1, "sampler");
        assertThrows(IllegalArgumentException.class, () -> new PoissonSampler(10, 0, r));
        assertThrows(IllegalArgumentException.class, () -> new PoissonSampler(10, 1.5, r));
        assertThrows(IllegalArgumentException.class, () -> new PoissonSampler(10, Double.NaN, r));
        assertThrows(IllegalArgumentException.class, () -> new PoissonSampler(0, 0.1, r));
    }
}
