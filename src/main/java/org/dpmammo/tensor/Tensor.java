package org.dpmammo.tensor;

import java.util.Arrays;
import org.dpmammo.util.Parallel;

/**
 * A float32 N-dimensional array: a storage array, an offset, a shape and strides.
 *
 * <p>Views (reshape of a contiguous tensor, permute, transpose, slice, expand) share storage; {@link #contiguous()}
 * copies only when needed. Ops live in the backend and autograd layers; this class only describes memory.
 * Backends read {@link #data()} of a contiguous tensor whose {@link #offset()} tells where element 0 is.
 *
 * <p>A tensor may instead live on a device ({@link #onDevice}): its storage is then a {@link DeviceBuffer} and
 * {@link #data()} downloads the buffer once, on first host access, so CPU code reads device results unchanged
 * while a chain of device ops never copies through the host. Such a tensor is read-only on the host side.
 */
public final class Tensor {
    /** Host storage; null for a device-resident tensor, whose host copy the {@link DeviceBuffer} caches. */
    private final float[] data;
    private final DeviceBuffer device;
    private final int offset;
    private final int[] shape;
    private final int[] strides;

    private Tensor(float[] data, DeviceBuffer device, int offset, int[] shape, int[] strides) {
        this.data = data;
        this.device = device;
        this.offset = offset;
        this.shape = shape;
        this.strides = strides;
    }

    private Tensor(float[] data, int offset, int[] shape, int[] strides) {
        this(data, null, offset, shape, strides);
    }

    /** Wraps a device buffer (not copied) as a contiguous device-resident tensor of the given shape. */
    public static Tensor onDevice(DeviceBuffer buffer, int... shape) {
        int[] s = shape.clone();
        if (Shape.numel(s) > buffer.length()) {
            throw new IllegalArgumentException("Tensor.onDevice: buffer of " + buffer.length() + " floats does not fill shape " + Shape.str(s));
        }
        return new Tensor(null, buffer, 0, s, Shape.contiguousStrides(s));
    }

    /** The device buffer this tensor lives in, or null for a host tensor. */
    public DeviceBuffer deviceBuffer() {
        return device;
    }

    public boolean isOnDevice() {
        return device != null;
    }

    private long storageLength() {
        return device != null ? device.length() : data.length;
    }

    /** Wraps an array (not copied) as a contiguous tensor of the given shape. */
    public static Tensor of(float[] data, int... shape) {
        int[] s = shape.clone();
        if (Shape.numel(s) != data.length) {
            throw new IllegalArgumentException("Tensor.of: " + data.length + " values do not fill shape " + Shape.str(s));
        }
        return new Tensor(data, 0, s, Shape.contiguousStrides(s));
    }

    public static Tensor zeros(int... shape) {
        for (int d : shape) {
            if (d < 0) throw new IllegalArgumentException("Tensor.zeros: negative size in " + Shape.str(shape));
        }
        return of(new float[Shape.size(shape)], shape);
    }

    public static Tensor full(float value, int... shape) {
        Tensor t = zeros(shape);
        Arrays.fill(t.data, value);
        return t;
    }

    public static Tensor scalar(float value) {
        return of(new float[] {value});
    }

    public int[] shape() {
        return shape.clone();
    }

    /** The shape array itself, for hot paths that promise not to modify it. */
    public int[] shapeRef() {
        return shape;
    }

    public int[] strides() {
        return strides.clone();
    }

    public int rank() {
        return shape.length;
    }

    public int size(int axis) {
        return shape[Shape.axis(axis, shape.length, "size")];
    }

    public int numel() {
        return (int) Shape.numel(shape);
    }

    public int offset() {
        return offset;
    }

    /**
     * The backing storage. Meaningful as a flat row-major array only when {@link #isContiguous()}. For a device
     * tensor this is the buffer's host copy (downloaded on first call); writes to it do not reach the device.
     */
    public float[] data() {
        return device != null ? device.host() : data;
    }

    public boolean isContiguous() {
        int expected = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            if (shape[i] != 1 && strides[i] != expected) return false;
            expected *= shape[i];
        }
        return true;
    }

    /** This tensor if it is contiguous, otherwise a contiguous copy. */
    public Tensor contiguous() {
        return isContiguous() ? this : copy();
    }

    /** A contiguous tensor with offset 0 whose {@link #data()} has exactly {@link #numel()} elements. */
    public Tensor compact() {
        return isContiguous() && offset == 0 && storageLength() == numel() ? this : copy();
    }

    /** A fresh contiguous copy; of a device tensor, on its device ({@link DeviceBuffer#copyOf}). */
    public Tensor copy() {
        if (device != null) return device.copyOf(this);
        float[] out = new float[numel()];
        copyTo(out, 0);
        return of(out, shape);
    }

    /**
     * Copies the elements in row-major order into dst starting at dstOffset. A large strided gather (a transpose
     * made contiguous) is split along the first axis over the CPU pool: on the calling thread alone it was 12% of that
     * thread's samples in a DP-SGD step on the reduced Swin, with the second core idle.
     */
    public void copyTo(float[] dst, int dstOffset) {
        int n = numel();
        if (n == 0) return;
        if (isContiguous()) {
            System.arraycopy(data(), offset, dst, dstOffset, n);
            return;
        }
        int rows = shape[0];
        if (n >= PARALLEL_COPY_MIN && rows > 1 && device == null) {
            int per = n / rows;
            Parallel.forRange(rows, Math.max(1, PARALLEL_COPY_MIN / 2 / per),
                    (lo, hi) -> slice(0, lo, hi).gatherTo(dst, dstOffset + lo * per));
            return;
        }
        gatherTo(dst, dstOffset);
    }

    /** Below this many elements a strided copy runs on the calling thread. */
    private static final int PARALLEL_COPY_MIN = 1 << 16;

    /** {@link #copyTo} for a non-empty tensor, on this thread: runs along the last axis, odometer over the rest. */
    private void gatherTo(float[] dst, int dstOffset) {
        float[] data = data();
        int rank = shape.length;
        int[] idx = new int[rank];
        int last = rank - 1;
        int innerSize = shape[last];
        int innerStride = strides[last];
        int pos = offset;
        int o = dstOffset;
        while (true) {
            if (innerStride == 1) {
                System.arraycopy(data, pos, dst, o, innerSize);
                o += innerSize;
            } else {
                for (int j = 0, p = pos; j < innerSize; j++, p += innerStride) dst[o++] = data[p];
            }
            int d = last - 1;
            while (d >= 0) {
                idx[d]++;
                pos += strides[d];
                if (idx[d] < shape[d]) break;
                pos -= strides[d] * shape[d];
                idx[d] = 0;
                d--;
            }
            if (d < 0) return;
        }
    }

    /**
     * Writes src's elements (same shape, any layout) into this tensor's positions, e.g. into a slice of a larger
     * tensor: the inverse of {@link #copyTo} for views. Runs along the last axis are copied in one go where both
     * are contiguous. Host tensors only.
     */
    public void assign(Tensor src) {
        if (!Arrays.equals(shape, src.shape)) {
            throw new IllegalArgumentException("assign: shapes " + Shape.str(shape) + " and " + Shape.str(src.shape) + " differ");
        }
        if (device != null) throw new IllegalStateException("assign: a device tensor is read-only on the host");
        if (numel() == 0) return;
        float[] s = src.data();
        int rank = shape.length;
        if (rank == 0) {
            data[offset] = s[src.offset];
            return;
        }
        int last = rank - 1, inner = shape[last], ds = strides[last], ss = src.strides[last];
        int[] idx = new int[rank];
        int pd = offset, ps = src.offset;
        while (true) {
            if (ds == 1 && ss == 1) System.arraycopy(s, ps, data, pd, inner);
            else for (int j = 0, a = pd, b = ps; j < inner; j++, a += ds, b += ss) data[a] = s[b];
            int d = last - 1;
            while (d >= 0) {
                idx[d]++;
                pd += strides[d];
                ps += src.strides[d];
                if (idx[d] < shape[d]) break;
                pd -= strides[d] * shape[d];
                ps -= src.strides[d] * shape[d];
                idx[d] = 0;
                d--;
            }
            if (d < 0) return;
        }
    }

    /** Row-major copy of the elements. */
    public float[] toArray() {
        float[] out = new float[numel()];
        copyTo(out, 0);
        return out;
    }

    public float item() {
        if (numel() != 1) throw new IllegalStateException("item: tensor of shape " + Shape.str(shape) + " is not a single value");
        return data()[offset];
    }

    private int position(int[] index) {
        if (index.length != shape.length) {
            throw new IllegalArgumentException("index of rank " + index.length + " for a tensor of shape " + Shape.str(shape));
        }
        int p = offset;
        for (int i = 0; i < index.length; i++) {
            int k = index[i] < 0 ? index[i] + shape[i] : index[i];
            if (k < 0 || k >= shape[i]) {
                throw new IndexOutOfBoundsException("index " + Arrays.toString(index) + " out of bounds for shape " + Shape.str(shape));
            }
            p += k * strides[i];
        }
        return p;
    }

    public float get(int... index) {
        return data()[position(index)];
    }

    public void set(float value, int... index) {
        if (device != null) throw new IllegalStateException("set: tensor lives on " + device.device() + "; copy it to the host first");
        data[position(index)] = value;
    }

    /** A view of a contiguous tensor with a new shape (one -1 allowed); a copy if this one is not contiguous. */
    public Tensor reshape(int... newShape) {
        int[] s = Shape.infer(newShape, Shape.numel(shape), "reshape");
        Tensor src = contiguous();
        return new Tensor(src.data, src.device, src.offset, s, Shape.contiguousStrides(s));
    }

    /** A view with the axes reordered. */
    public Tensor permute(int... order) {
        if (order.length != shape.length) {
            throw new IllegalArgumentException("permute: order " + Arrays.toString(order) + " for shape " + Shape.str(shape));
        }
        int[] s = new int[order.length];
        int[] st = new int[order.length];
        boolean[] seen = new boolean[order.length];
        for (int i = 0; i < order.length; i++) {
            int a = Shape.axis(order[i], shape.length, "permute");
            if (seen[a]) throw new IllegalArgumentException("permute: repeated axis in " + Arrays.toString(order));
            seen[a] = true;
            s[i] = shape[a];
            st[i] = strides[a];
        }
        return new Tensor(data, device, offset, s, st);
    }

    public Tensor transpose(int a, int b) {
        int[] order = new int[shape.length];
        for (int i = 0; i < order.length; i++) order[i] = i;
        int x = Shape.axis(a, shape.length, "transpose");
        int y = Shape.axis(b, shape.length, "transpose");
        order[x] = y;
        order[y] = x;
        return permute(order);
    }

    /** A view of [start, end) along one axis with a positive step. */
    public Tensor slice(int axis, int start, int end, int step) {
        int a = Shape.axis(axis, shape.length, "slice");
        if (step <= 0) throw new IllegalArgumentException("slice: step must be positive, got " + step);
        int n = shape[a];
        int s0 = Math.max(0, Math.min(n, start < 0 ? start + n : start));
        int e0 = Math.max(s0, Math.min(n, end < 0 ? end + n : end));
        int[] s = shape.clone();
        int[] st = strides.clone();
        s[a] = (e0 - s0 + step - 1) / step;
        st[a] = strides[a] * step;
        return new Tensor(data, device, offset + s0 * strides[a], s, st);
    }

    public Tensor slice(int axis, int start, int end) {
        return slice(axis, start, end, 1);
    }

    /** A view that repeats size-1 axes (stride 0) to the target shape, with leading axes added as needed. */
    public Tensor expand(int... target) {
        int[] t = target.clone();
        if (t.length < shape.length) {
            throw new IllegalArgumentException("expand: cannot expand " + Shape.str(shape) + " to " + Shape.str(t));
        }
        int lead = t.length - shape.length;
        int[] st = new int[t.length];
        for (int i = 0; i < t.length; i++) {
            if (i < lead) {
                st[i] = 0;
                continue;
            }
            int d = shape[i - lead];
            if (t[i] == -1) t[i] = d;
            if (d == t[i]) st[i] = strides[i - lead];
            else if (d == 1) st[i] = 0;
            else throw new IllegalArgumentException("expand: cannot expand " + Shape.str(shape) + " to " + Shape.str(target));
        }
        return new Tensor(data, device, offset, t, st);
    }

    public Tensor unsqueeze(int axis) {
        int a = Shape.axis(axis, shape.length + 1, "unsqueeze");
        int[] s = new int[shape.length + 1];
        int[] st = new int[shape.length + 1];
        for (int i = 0, j = 0; i < s.length; i++) {
            if (i == a) {
                s[i] = 1;
                st[i] = j < shape.length ? strides[j] * shape[j] : 1;
            } else {
                s[i] = shape[j];
                st[i] = strides[j];
                j++;
            }
        }
        return new Tensor(data, device, offset, s, st);
    }

    public Tensor squeeze(int axis) {
        int a = Shape.axis(axis, shape.length, "squeeze");
        if (shape[a] != 1) throw new IllegalArgumentException("squeeze: axis " + axis + " of " + Shape.str(shape) + " is not 1");
        int[] s = new int[shape.length - 1];
        int[] st = new int[shape.length - 1];
        for (int i = 0, j = 0; i < shape.length; i++) {
            if (i == a) continue;
            s[j] = shape[i];
            st[j] = strides[i];
            j++;
        }
        return new Tensor(data, device, offset, s, st);
    }

    /** True if any element is NaN or infinite. */
    public boolean hasNonFinite() {
        Tensor c = contiguous();
        float[] d = c.data();
        for (int i = c.offset, end = c.offset + c.numel(); i < end; i++) {
            if (!Float.isFinite(d[i])) return true;
        }
        return false;
    }

    /** True when both are host tensors over the same storage array, e.g. one is a view of the other. */
    public boolean sharesStorage(Tensor other) {
        return device == null && other.device == null && data == other.data;
    }

    /** Whether any element is NaN; autograd's per-op check runs the CPU backend's threaded SIMD scan instead. */
    public boolean hasNaN() {
        Tensor c = contiguous();
        float[] d = c.data();
        for (int i = c.offset, end = c.offset + c.numel(); i < end; i++) {
            if (Float.isNaN(d[i])) return true;
        }
        return false;
    }

    public boolean sameShape(Tensor other) {
        return Arrays.equals(shape, other.shape);
    }

    @Override
    public String toString() {
        int n = numel();
        float[] v = toArray();
        StringBuilder sb = new StringBuilder("Tensor").append(Shape.str(shape)).append(' ');
        sb.append(Arrays.toString(n <= 16 ? v : Arrays.copyOf(v, 16)));
        if (n > 16) sb.append("...");
        return sb.toString();
    }
}
