package org.dpmammo.data;

import java.util.Arrays;
import java.util.Iterator;
import java.util.NoSuchElementException;
import org.dpmammo.util.Rng;

/**
 * Chooses which examples form each batch of an epoch. The loader accepts any sampler: batches may have any size,
 * including zero (DP-SGD's Poisson sampling, which lives in the privacy package, yields empty batches legitimately),
 * and may repeat or omit examples.
 */
@FunctionalInterface
public interface BatchSampler {
    /** The batches of one epoch over examples 0..n-1, as arrays of indices; draws only from rng. */
    Iterator<int[]> epoch(int n, Rng rng);

    /** Batches of consecutive indices in order; the last one may be short. */
    static BatchSampler sequential(int batchSize) {
        return (n, rng) -> chunks(identity(n), batchSize, false);
    }

    /** A fresh random permutation per epoch cut into batches; with dropLast, a short final batch is left out. */
    static BatchSampler shuffled(int batchSize, boolean dropLast) {
        return (n, rng) -> {
            int[] order = identity(n);
            rng.shuffle(order);
            return chunks(order, batchSize, dropLast);
        };
    }

    private static int[] identity(int n) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) a[i] = i;
        return a;
    }

    private static Iterator<int[]> chunks(int[] order, int batchSize, boolean dropLast) {
        if (batchSize <= 0) throw new IllegalArgumentException("batch size must be positive, got " + batchSize);
        int count = dropLast ? order.length / batchSize : (order.length + batchSize - 1) / batchSize;
        return new Iterator<>() {
            int next;

            public boolean hasNext() {
                return next < count;
            }

            public int[] next() {
                if (!hasNext()) throw new NoSuchElementException();
                int from = next++ * batchSize;
                return Arrays.copyOfRange(order, from, Math.min(order.length, from + batchSize));
            }
        };
    }
}
