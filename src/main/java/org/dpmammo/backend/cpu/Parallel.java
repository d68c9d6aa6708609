package org.dpmammo.backend.cpu;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.RecursiveAction;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The CPU backend's thread pool, sized to the cores (override with {@code -Ddpmammo.threads=N}), and a parallel
 * loop over index ranges. Small loops run on the calling thread: forking costs more than it saves below a grain.
 */
public final class Parallel {
    private static final int THREADS = Math.max(1, Integer.getInteger("dpmammo.threads", Runtime.getRuntime().availableProcessors()));
    /** Numbers the workers: a worker's pool index is not assigned yet while the factory runs (all were "-0"). */
    private static final AtomicInteger WORKERS = new AtomicInteger();
    private static final ForkJoinPool POOL = THREADS == 1 ? null : new ForkJoinPool(THREADS, pool -> {
        var t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(pool);
        t.setName("dpmammo-cpu-" + WORKERS.getAndIncrement());
        t.setDaemon(true);
        return t;
    }, null, false);

    private Parallel() {}

    /** A body run over [from, to). */
    @FunctionalInterface
    public interface RangeBody {
        void run(int from, int to);
    }

    public static int threads() {
        return THREADS;
    }

    /**
     * Runs body over [0, n) split into at most {@link #threads()} chunks of at least {@code grain} indices.
     * Runs inline when already inside the pool, so nested parallel loops cannot deadlock or oversubscribe.
     */
    public static void forRange(int n, int grain, RangeBody body) {
        if (n <= 0) return;
        int chunks = (int) Math.min(THREADS, Math.max(1, n / Math.max(1, grain)));
        if (chunks <= 1 || POOL == null || ForkJoinTask.inForkJoinPool()) {
            body.run(0, n);
            return;
        }
        POOL.invoke(new Chunk(body, n, chunks, 0, chunks));
    }

    private static final class Chunk extends RecursiveAction {
        private final RangeBody body;
        private final int n, chunks, lo, hi;

        Chunk(RangeBody body, int n, int chunks, int lo, int hi) {
            this.body = body;
            this.n = n;
            this.chunks = chunks;
            this.lo = lo;
            this.hi = hi;
        }

        @Override
        protected void compute() {
            if (hi - lo == 1) {
                body.run((int) ((long) n * lo / chunks), (int) ((long) n * (lo + 1) / chunks));
                return;
            }
            int mid = (lo + hi) >>> 1;
            invokeAll(new Chunk(body, n, chunks, lo, mid), new Chunk(body, n, chunks, mid, hi));
        }
    }
}
