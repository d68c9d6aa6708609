package org.dpmammo.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.dpmammo.tensor.Tensor;
import org.dpmammo.util.Rng;

/**
 * Streams a dataset through a {@link Pipeline} as batches: images [B, C, H, W], int labels ({@link Labels}) and the
 * example indices.
 *
 * <p>Memory is bounded: at most three batches exist as float tensors at a time (the one the caller holds, the next
 * one, being prepared while the caller works, and, from the moment {@code next()} is called, the one after it);
 * decoded sources can optionally be cached (two bytes a pixel: 1698 patches of 128×128 take 56 MB) so later epochs
 * skip PNG decoding. Each batch is decoded and transformed on {@code threads} worker threads.
 *
 * <p>Results do not depend on thread timing: the sampler draws from a stream derived from (seed, epoch) and each
 * example's augmentation from a stream derived from (seed, epoch, index), so the same seed gives the same batches
 * on any number of threads.
 */
public final class DataLoader implements AutoCloseable {
    /** One batch; {@code images} has shape [B, C, H, W] with B = indices.length, possibly 0. */
    public record Batch(Tensor images, int[] labels, int[] indices) {
        public int size() {
            return indices.length;
        }
    }

    private static final long SAMPLER_STREAM = 0x5A4D504CL;
    private static final long AUGMENT_STREAM = 0x41554730L;

    private final Dataset dataset;
    private final Pipeline pipeline;
    private final BatchSampler sampler;
    private final long seed;
    private final int threads;
    private final AtomicReferenceArray<GrayImage> cache;
    private final int[] outShape;
    private final ExecutorService pool;

    /**
     * @param threads worker threads for decoding (at least 1)
     * @param cacheSources keep decoded source images in memory across epochs
     */
    public DataLoader(Dataset dataset, Pipeline pipeline, BatchSampler sampler, long seed, int threads, boolean cacheSources)
            throws IOException {
        if (threads < 1) throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        this.dataset = dataset;
        this.pipeline = pipeline;
        this.sampler = sampler;
        this.seed = seed;
        this.threads = threads;
        this.cache = cacheSources ? new AtomicReferenceArray<>(dataset.size()) : null;
        // The output shape comes from the first example, so that even an empty first batch has a well-defined shape.
        GrayImage first = dataset.size() > 0 ? source(0) : null;
        this.outShape = first == null ? pipeline.outShape(1, 1) : pipeline.outShape(first.height(), first.width());
        AtomicInteger id = new AtomicInteger();
        this.pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "dpmammo-data-" + id.getAndIncrement());
            t.setDaemon(true);
            return t;
        });
    }

    /** [C, H, W] of every example in a batch. */
    public int[] outShape() {
        return outShape.clone();
    }

    /**
     * The batches of one epoch. While the caller works on batch k, batch k+1 is being decoded. A decoding failure
     * surfaces from {@code next()} as an {@link UncheckedIOException} whose message names the file.
     */
    public Iterator<Batch> epoch(int epoch) {
        Iterator<int[]> order = sampler.epoch(dataset.size(), new Rng(seed).fork(SAMPLER_STREAM).fork(epoch));
        Rng augment = new Rng(seed).fork(AUGMENT_STREAM).fork(epoch);
        long augmentBase = augment.nextLong();
        ArrayDeque<CompletableFuture<Batch>> ahead = new ArrayDeque<>();
        return new Iterator<>() {
            public boolean hasNext() {
                return !ahead.isEmpty() || order.hasNext();
            }

            public Batch next() {
                if (!hasNext()) throw new NoSuchElementException();
                while (ahead.size() < 2 && order.hasNext()) ahead.add(build(order.next(), augmentBase));
                return join(ahead.poll());
            }
        };
    }

    /**
     * Loads and transforms the given examples, in their order, into one batch with epoch's augmentation streams: for
     * callers that choose their own batches (the classifier trainer's DP-SGD chunks).
     */
    public Batch batch(int[] indices, int epoch) {
        return join(build(indices, augmentBase(epoch)));
    }

    /** A batch being decoded ahead of its use by {@link #batch(int[], int, ChunkPlan.Chunk)}. */
    private record Ahead(int[] indices, int epoch, CompletableFuture<Batch> batch) {}

    private Ahead prefetched;

    /**
     * {@link #batch(int[], int)} with double buffering for callers that choose their own batches: returns the batch of
     * {@code indices} under augmentation key {@code epoch} — from the decoding started by the previous call when that
     * call named these indices and this key as its {@code next}, else decoded now — and starts decoding {@code next}
     * (if not null; under its own key, e.g. the GAN's next step) on the worker threads, so it is ready while the caller
     * computes on this one. Every batch is a function of (seed, key, indices) alone, so the batches are the same, in
     * the same order, whether or not a prefetch ran or was used.
     */
    public synchronized Batch batch(int[] indices, int epoch, ChunkPlan.Chunk next) {
        Ahead p = prefetched;
        CompletableFuture<Batch> current = p != null && p.epoch() == epoch && Arrays.equals(p.indices(), indices) ? p.batch() : null;
        if (current == null) current = build(indices, augmentBase(epoch));
        prefetched = next == null ? null : new Ahead(next.indices().clone(), next.key(), build(next.indices(), augmentBase(next.key())));
        return join(current);
    }

    private long augmentBase(int epoch) {
        return new Rng(seed).fork(AUGMENT_STREAM).fork(epoch).nextLong();
    }

    private static Batch join(CompletableFuture<Batch> f) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while loading a batch", e);
        } catch (ExecutionException e) {
            throw unchecked(e.getCause());
        }
    }

    private CompletableFuture<Batch> build(int[] indices, long augmentBase) {
        int b = indices.length;
        for (int i : indices) {
            if (i < 0 || i >= dataset.size()) {
                throw new IllegalArgumentException("sampler gave index " + i + " outside [0, " + dataset.size() + ")");
            }
        }
        int per = outShape[0] * outShape[1] * outShape[2];
        float[] buf = new float[b * per];
        int[] labels = new int[b];
        int chunks = Math.max(1, Math.min(threads, b));
        CompletableFuture<?>[] parts = new CompletableFuture<?>[chunks];
        for (int c = 0; c < chunks; c++) {
            int from = b * c / chunks;
            int to = b * (c + 1) / chunks;
            parts[c] = CompletableFuture.runAsync(() -> {
                for (int k = from; k < to; k++) {
                    int idx = indices[k];
                    FloatImage x = pipeline.apply(sourceUnchecked(idx), new Rng(augmentBase ^ mix(idx)));
                    if (!Arrays.equals(x.shape(), outShape)) {
                        throw new IllegalStateException(dataset.name(idx) + ": transformed to " + Arrays.toString(x.shape())
                                + " but the batch needs " + Arrays.toString(outShape) + " (add a resize to the pipeline)");
                    }
                    System.arraycopy(x.data(), 0, buf, k * per, per);
                    labels[k] = dataset.label(idx);
                }
            }, pool);
        }
        int[] idx = indices.clone();
        return CompletableFuture.allOf(parts).thenApply(v -> new Batch(Tensor.of(buf, b, outShape[0], outShape[1], outShape[2]), labels, idx));
    }

    /** A per-example seed: SplitMix-style mixing so neighbouring indices get unrelated streams. */
    private static long mix(long i) {
        long z = i * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        return z ^ (z >>> 27);
    }

    private GrayImage source(int i) throws IOException {
        if (cache == null) return dataset.image(i);
        GrayImage g = cache.get(i);
        if (g == null) {
            g = dataset.image(i);
            cache.set(i, g);
        }
        return g;
    }

    private GrayImage sourceUnchecked(int i) {
        try {
            return source(i);
        } catch (IOException e) {
            throw new UncheckedIOException(e.getMessage(), e);
        }
    }

    private static RuntimeException unchecked(Throwable t) {
        Throwable c = t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
        if (c instanceof RuntimeException r) return r;
        if (c instanceof IOException io) return new UncheckedIOException(io.getMessage(), io);
        if (c instanceof Error err) throw err;
        return new IllegalStateException(c.getMessage(), c);
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }
}
