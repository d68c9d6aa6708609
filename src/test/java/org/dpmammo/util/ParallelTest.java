package org.dpmammo.util;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

/**
 * The parallel loop covers every index exactly once, in contiguous chunks, whatever the size and grain; nested loops
 * and several calling threads at once finish; a failure in any chunk reaches the caller as the same exception.
 */
class ParallelTest {
    @Test
    void everyIndexRunsExactlyOnce() {
        for (int n : new int[] {1, 2, 3, 7, 64, 1000, 4099}) {
            for (int grain : new int[] {1, 3, 100, 5000}) {
                AtomicIntegerArray hits = new AtomicIntegerArray(n);
                Parallel.forRange(n, grain, (lo, hi) -> {
                    for (int i = lo; i < hi; i++) hits.incrementAndGet(i);
                });
                for (int i = 0; i < n; i++) assertEquals(1, hits.get(i), "n " + n + " grain " + grain + " index " + i);
            }
        }
    }

    @Test
    void nestedLoopsAndConcurrentCallersFinish() throws Exception {
        int outer = 64, inner = 300;
        ExecutorService callers = Executors.newFixedThreadPool(3);
        try {
            Future<?>[] runs = new Future<?>[6];
            for (int r = 0; r < runs.length; r++) {
                runs[r] = callers.submit(() -> {
                    for (int rep = 0; rep < 200; rep++) {
                        AtomicIntegerArray hits = new AtomicIntegerArray(outer * inner);
                        Parallel.forRange(outer, 1, (lo, hi) -> {
                            for (int i = lo; i < hi; i++) {
                                int row = i;
                                Parallel.forRange(inner, 1, (a, b) -> {
                                    for (int j = a; j < b; j++) hits.incrementAndGet(row * inner + j);
                                });
                            }
                        });
                        for (int k = 0; k < outer * inner; k++) assertEquals(1, hits.get(k));
                    }
                    return null;
                });
            }
            for (Future<?> f : runs) f.get();
        } finally {
            callers.shutdownNow();
        }
    }

    @Test
    void aFailingChunkRethrowsItsExceptionToTheCaller() {
        IllegalArgumentException boom = new IllegalArgumentException("chunk failed");
        for (int failing = 0; failing < 2; failing++) {
            int at = failing == 0 ? 0 : 999; // the caller's chunk, then the last one (a worker's, when it wakes in time)
            IllegalArgumentException thrown = assertThrows(IllegalArgumentException.class, () -> Parallel.forRange(1000, 1, (lo, hi) -> {
                if (lo <= at && at < hi) throw boom;
            }));
            assertSame(boom, thrown);
        }
    }
}
