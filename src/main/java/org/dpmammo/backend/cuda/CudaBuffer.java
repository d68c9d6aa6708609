package org.dpmammo.backend.cuda;

import java.lang.ref.Cleaner;
import org.dpmammo.tensor.DeviceBuffer;
import org.dpmammo.tensor.Tensor;

/**
 * Floats in device memory from the device's {@link CachingAllocator}. The block goes back to the cache when the
 * buffer is closed or, failing that, when the garbage collector finds it unreachable; reuse is safe either way
 * because all work is ordered on the device's one stream. The host copy is downloaded on first {@link #host()} and
 * dropped whenever a kernel writes the buffer in place.
 */
final class CudaBuffer implements DeviceBuffer, AutoCloseable {
    private static final Cleaner CLEANER = Cleaner.create();

    final KernelDevice device;
    /** The allocator's block: the device's own pointer type. */
    final Object block;
    private final long length;
    private final Cleaner.Cleanable cleanable;
    private float[] host;

    CudaBuffer(KernelDevice device, long length) {
        this.device = device;
        this.length = length;
        long bytes = 4 * Math.max(1, length);
        CachingAllocator<Object> allocator = device.allocator();
        Object b = allocator.acquire(bytes);
        this.block = b;
        // The action must not capture `this`, or the buffer would never become unreachable.
        this.cleanable = CLEANER.register(this, () -> allocator.release(b, bytes));
    }

    DevPtr at(long floatOffset) {
        return new DevPtr(this, 4 * floatOffset);
    }

    @Override
    public long length() {
        return length;
    }

    @Override
    public synchronized float[] host() {
        if (host == null) host = device.download(at(0), length);
        return host;
    }

    @Override
    public String device() {
        return device.name();
    }

    /** A contiguous copy of a view over this buffer, on the device: one copy, or ew_strided_copy for a strided view. */
    @Override
    public Tensor copyOf(Tensor view) {
        if (view.deviceBuffer() != this) throw new IllegalArgumentException("copyOf: the tensor does not live in this buffer");
        device.enter();
        int n = view.numel();
        CudaBuffer out = new CudaBuffer(device, n);
        if (n > 0 && view.isContiguous()) {
            device.copy(out.at(0), at(view.offset()), n);
        } else if (n > 0) {
            StridedLayout l = StridedLayout.copy(view);
            device.launch("elementwise", "ew_strided_copy", LaunchShape.elementwise(n), (long) n, l.packed(), at(0), (long) view.offset(), out.at(0));
        }
        return Tensor.onDevice(out, view.shapeRef());
    }

    /** Called after a kernel wrote this buffer in place, so the next host read downloads again. */
    synchronized void invalidateHost() {
        host = null;
    }

    @Override
    public void close() {
        cleanable.clean();
    }
}
