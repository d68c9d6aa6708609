package org.dpmammo.backend.cuda;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.LongFunction;

/**
 * A device-memory cache with size classes: a released block goes onto its class's free list and the next request
 * of that class takes it back, so a training step that allocates the same shapes every iteration stops calling
 * the driver after the first one (cuMemAlloc synchronises the device and costs far more than a kernel).
 *
 * <p>Size classes: at least {@link #MIN_BYTES}; powers of two up to {@link #LARGE_BYTES}; above that, multiples of
 * {@link #LARGE_STEP}, which bounds the waste on big activations to 2 MiB instead of up to half the block.
 * Blocks of one class are interchangeable, and a kernel only touches the bytes its tensor asked for.
 *
 * <p>Releasing does not wait for the device: all work goes to one stream, so a later kernel that reuses a block
 * runs after every earlier kernel that read it. Thread-safe, because blocks come back from the cleaner thread.
 *
 * @param <B> the driver's handle of a block (a device pointer); tests use a fake
 */
public final class CachingAllocator<B> {
    public static final long MIN_BYTES = 512;
    public static final long LARGE_BYTES = 64L << 20;
    public static final long LARGE_STEP = 2L << 20;

    private final LongFunction<B> allocate;
    private final Consumer<B> free;
    private final Runnable reclaim;
    private final Map<Long, ArrayDeque<B>> freeLists = new HashMap<>();
    private long cachedBytes;
    private long liveBytes;
    private long driverAllocations;
    private long reuses;

    /**
     * @param allocate asks the driver for a block of exactly the given bytes; throws {@link OutOfMemoryError} when
     *                 the device is full
     * @param free     returns a block to the driver
     * @param reclaim  run once when the device is full, before the cache is emptied: blocks of tensors the program
     *                 dropped return only when the garbage collector finds them, so this is where to ask it to
     */
    public CachingAllocator(LongFunction<B> allocate, Consumer<B> free, Runnable reclaim) {
        this.allocate = allocate;
        this.free = free;
        this.reclaim = reclaim;
    }

    /** The size class of a request: the number of bytes actually reserved for it. */
    public static long sizeClass(long bytes) {
        if (bytes < 0) throw new IllegalArgumentException("allocator: negative size " + bytes);
        if (bytes <= MIN_BYTES) return MIN_BYTES;
        if (bytes <= LARGE_BYTES) return Long.highestOneBit(bytes - 1) << 1;
        return (bytes + LARGE_STEP - 1) / LARGE_STEP * LARGE_STEP;
    }

    /** A block of at least {@code bytes}, from the cache when one of its class is free. */
    public B acquire(long bytes) {
        long cls = sizeClass(bytes);
        B block = tryAcquire(cls);
        if (block != null) return block;
        // The device is full. Dropped tensors may still hold blocks: let them come back, then return the whole
        // cache to the driver and try once more. Not synchronized here, so the cleaner thread can release meanwhile.
        reclaim.run();
        synchronized (this) {
            B reused = popFree(cls);
            if (reused != null) return reused;
            trim();
            block = allocate.apply(cls);
            driverAllocations++;
            liveBytes += cls;
            return block;
        }
    }

    /** A cached or fresh block of the class, or null when the driver is out of memory. */
    private synchronized B tryAcquire(long cls) {
        B reused = popFree(cls);
        if (reused != null) return reused;
        B block;
        try {
            block = allocate.apply(cls);
        } catch (OutOfMemoryError e) {
            return null;
        }
        driverAllocations++;
        liveBytes += cls;
        return block;
    }

    private B popFree(long cls) {
        ArrayDeque<B> list = freeLists.get(cls);
        if (list == null || list.isEmpty()) return null;
        reuses++;
        cachedBytes -= cls;
        liveBytes += cls;
        return list.pop();
    }

    /** Puts a block of the class of {@code bytes} back on its free list. */
    public synchronized void release(B block, long bytes) {
        long cls = sizeClass(bytes);
        freeLists.computeIfAbsent(cls, k -> new ArrayDeque<>()).push(block);
        cachedBytes += cls;
        liveBytes -= cls;
    }

    /** Returns every cached block to the driver. */
    public synchronized void trim() {
        for (ArrayDeque<B> list : freeLists.values()) {
            while (!list.isEmpty()) free.accept(list.pop());
        }
        cachedBytes = 0;
    }

    public synchronized long cachedBytes() {
        return cachedBytes;
    }

    public synchronized long liveBytes() {
        return liveBytes;
    }

    public synchronized long driverAllocations() {
        return driverAllocations;
    }

    public synchronized long reuses() {
        return reuses;
    }
}
