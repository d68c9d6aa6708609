package org.dpmammo.util;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The CPU backend's parallel loop over index ranges on as many threads as cores (override with
 * {@code -Ddpmammo.threads=N}): the calling thread and a pool of N − 1 workers. Small loops run on the calling thread:
 * forking costs more than it saves below a grain.
 */
public final class Parallel {
    private static final int THREADS = Math.max(1, Integer.getInteger("dpmammo.threads", Runtime.getRuntime().availableProcessors()));
    /** Numbers the workers: a worker's pool index is not assigned yet while the factory runs (all were "-0"). */
    private static final AtomicInteger WORKERS = new AtomicInteger();
    private static final ForkJoinPool POOL = THREADS == 1 ? null : new ForkJoinPool(THREADS - 1, pool -> {
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
        new Section(body, n, chunks).run();
    }

    /**
     * One parallel loop. The caller works too: it and chunks − 1 pool workers take chunk indices from a shared
     * counter, and the caller waits only for chunks a worker has taken, never for a worker to wake up. Waking a
     * parked worker takes tens of microseconds on a VM; when the caller blocked while two workers were woken (one by
     * the other) and then woke it, a GAN iteration's thousands of short loops cost more on two threads than on one.
     */
    private static final class Section {
        /** How long the caller spins for the workers' last chunks before it parks: about one wake-up. */
        private static final long SPIN_NANOS = 50_000;

        private final RangeBody body;
        private final int n, chunks;
        private final AtomicInteger next = new AtomicInteger(), pending;
        private final Thread caller = Thread.currentThread();
        private volatile Throwable failure;

        Section(RangeBody body, int n, int chunks) {
            this.body = body;
            this.n = n;
            this.chunks = chunks;
            this.pending = new AtomicInteger(chunks);
        }

        void run() {
            for (int i = 1; i < chunks; i++) POOL.execute(this::work);
            work();
            long spinUntil = System.nanoTime() + SPIN_NANOS;
            while (pending.get() > 0) {
                if (System.nanoTime() < spinUntil) Thread.onSpinWait();
                else LockSupport.park(this);
            }
            Throwable t = failure;
            if (t instanceof RuntimeException e) throw e;
            if (t instanceof Error e) throw e;
            if (t != null) throw new IllegalStateException(t);
        }

        /** Takes chunks until none are left; a worker that wakes after the caller took them all does nothing. */
        private void work() {
            for (int c; (c = next.getAndIncrement()) < chunks; ) {
                try {
                    body.run((int) ((long) n * c / chunks), (int) ((long) n * (c + 1) / chunks));
                } catch (Throwable t) {
                    failure = t;
                } finally {
                    if (pending.decrementAndGet() == 0) LockSupport.unpark(caller);
                }
            }
        }
    }
}
