package org.dpmammo.backend.cuda;

import java.util.Arrays;
import org.dpmammo.tensor.Shape;
import org.dpmammo.tensor.Tensor;

/**
 * The index arithmetic of the elementwise kernels (struct Layout in src/main/cuda/elementwise.cu): an output shape
 * and, per operand, one stride per axis, 0 where the operand is broadcast. Adjacent axes that every operand walks
 * contiguously are merged and size-1 axes dropped, so the common cases reach the kernel as rank 1 and any view
 * fits in {@link #MAX_RANK} axes unless it is irregular in more than eight places.
 *
 * <p>{@link #offsets} is the kernel's per-thread loop in Java, so CI checks the arithmetic without a GPU.
 */
public record StridedLayout(int[] shape, int[] strideA, int[] strideB) {
    /** Must equal MAX_RANK in elementwise.cu. */
    public static final int MAX_RANK = 8;

    /** A binary op's layout: the output shape and both operands' strides, expanded to it (views allowed). */
    public static StridedLayout binary(int[] outShape, Tensor a, Tensor b) {
        return collapse(outShape, expandedStrides(outShape, a), expandedStrides(outShape, b));
    }

    /** A gather of one strided view into contiguous order (strideB unused and zero). */
    public static StridedLayout copy(Tensor x) {
        int[] s = x.shapeRef();
        return collapse(s, expandedStrides(s, x), new int[s.length]);
    }

    private static int[] expandedStrides(int[] outShape, Tensor t) {
        int[] s = t.shapeRef(), st = t.strides();
        int lead = outShape.length - s.length;
        int[] out = new int[outShape.length];
        for (int i = 0; i < s.length; i++) out[lead + i] = s[i] == 1 ? 0 : st[i];
        return out;
    }

    static StridedLayout collapse(int[] shape, int[] sa, int[] sb) {
        int[] ns = new int[shape.length], na = new int[shape.length], nb = new int[shape.length];
        int r = 0;
        for (int d = 0; d < shape.length; d++) {
            if (shape[d] == 1) continue;
            // Merge into the previous kept axis when both operands step across it as one run.
            if (r > 0 && na[r - 1] == sa[d] * shape[d] && nb[r - 1] == sb[d] * shape[d]) {
                ns[r - 1] *= shape[d];
                na[r - 1] = sa[d];
                nb[r - 1] = sb[d];
                continue;
            }
            ns[r] = shape[d];
            na[r] = sa[d];
            nb[r] = sb[d];
            r++;
        }
        if (r > MAX_RANK) {
            throw new IllegalArgumentException("cuda elementwise: layout of shape " + Shape.str(shape) + " needs " + r
                    + " axes after merging, more than the kernel's " + MAX_RANK);
        }
        return new StridedLayout(Arrays.copyOf(ns, r), Arrays.copyOf(na, r), Arrays.copyOf(nb, r));
    }

    /** The struct's bytes as ints: rank, then shape, strideA and strideB each padded to MAX_RANK. */
    public int[] packed() {
        int[] p = new int[1 + 3 * MAX_RANK];
        p[0] = shape.length;
        System.arraycopy(shape, 0, p, 1, shape.length);
        System.arraycopy(strideA, 0, p, 1 + MAX_RANK, shape.length);
        System.arraycopy(strideB, 0, p, 1 + 2 * MAX_RANK, shape.length);
        return p;
    }

    /** Operand offsets {a, b} of output element i, computed as one kernel thread does. */
    public long[] offsets(long i) {
        long oa = 0, ob = 0;
        for (int d = shape.length - 1; d >= 0; d--) {
            long k = i % shape[d];
            i /= shape[d];
            oa += k * strideA[d];
            ob += k * strideB[d];
        }
        return new long[] {oa, ob};
    }
}
