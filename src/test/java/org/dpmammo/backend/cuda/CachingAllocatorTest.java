package org.dpmammo.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class CachingAllocatorTest {
    /** A fake driver: blocks are arrays of their size, and it can be made to run out of memory. */
    private static final class FakeDriver {
        final List<long[]> live = new ArrayList<>();
        long capacity = Long.MAX_VALUE, used;

        long[] alloc(long bytes) {
            if (used + bytes > capacity) throw new OutOfMemoryError("fake device full");
            used += bytes;
            long[] b = {bytes};
            live.add(b);
            return b;
        }

        void free(long[] b) {
            used -= b[0];
            live.remove(b);
        }
    }

    @Test
    void sizeClasses() {
        assertEquals(512, CachingAllocator.sizeClass(0));
        assertEquals(512, CachingAllocator.sizeClass(512));
        assertEquals(1024, CachingAllocator.sizeClass(513));
        assertEquals(1 << 20, CachingAllocator.sizeClass((1 << 20) - 3));
        assertEquals(CachingAllocator.LARGE_BYTES, CachingAllocator.sizeClass(CachingAllocator.LARGE_BYTES));
        assertEquals(CachingAllocator.LARGE_BYTES + CachingAllocator.LARGE_STEP, CachingAllocator.sizeClass(CachingAllocator.LARGE_BYTES + 1));
        assertThrows(IllegalArgumentException.class, () -> CachingAllocator.sizeClass(-1));
        for (long b = 1; b < 1L << 34; b = b * 3 + 1) {
            long c = CachingAllocator.sizeClass(b);
            assertEquals(true, c >= b && (c <= CachingAllocator.LARGE_BYTES ? Long.bitCount(c) == 1 : c % CachingAllocator.LARGE_STEP == 0), "class of " + b);
        }
    }

    @Test
    void releasedBlocksAreReusedWithinTheirClassOnly() {
        FakeDriver d = new FakeDriver();
        CachingAllocator<long[]> a = new CachingAllocator<>(d::alloc, d::free, () -> {});
        long[] x = a.acquire(1000);
        a.release(x, 1000);
        assertSame(x, a.acquire(900));  // same 1024-byte class
        long[] y = a.acquire(5000);
        assertNotSame(x, y);
        assertEquals(2, a.driverAllocations());
        assertEquals(1, a.reuses());
        a.release(x, 900);
        a.release(y, 5000);
        assertEquals(1024 + 8192, a.cachedBytes());
        assertEquals(0, a.liveBytes());
        // A training loop: the same shapes every step cost no driver calls after the first.
        for (int step = 0; step < 10; step++) {
            long[] p = a.acquire(1000), q = a.acquire(5000);
            a.release(p, 1000);
            a.release(q, 5000);
        }
        assertEquals(2, a.driverAllocations());
        a.trim();
        assertEquals(0, a.cachedBytes());
        assertEquals(0, d.live.size());
    }

    @Test
    void outOfMemoryTrimsTheCacheAndRetries() {
        FakeDriver d = new FakeDriver();
        d.capacity = 4096;
        CachingAllocator<long[]> a = new CachingAllocator<>(d::alloc, d::free, () -> {});
        long[] x = a.acquire(2048);
        a.release(x, 2048);
        long[] big = a.acquire(4096);  // needs the cached 2048 back
        assertEquals(4096, big[0]);
        assertEquals(0, a.cachedBytes());
        assertThrows(OutOfMemoryError.class, () -> a.acquire(512));
    }

    @Test
    void outOfMemoryAsksForDroppedBlocksBeforeGivingUp() {
        FakeDriver d = new FakeDriver();
        d.capacity = 2048;
        CachingAllocator<long[]>[] self = new CachingAllocator[1];
        long[][] dropped = new long[1][];
        // The reclaim hook plays the garbage collector: it releases a block the program no longer references.
        self[0] = new CachingAllocator<>(d::alloc, d::free, () -> self[0].release(dropped[0], 2048));
        dropped[0] = self[0].acquire(2048);
        assertSame(dropped[0], self[0].acquire(2000));
        assertEquals(1, self[0].driverAllocations());
    }
}
