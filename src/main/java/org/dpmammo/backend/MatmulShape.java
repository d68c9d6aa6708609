package org.dpmammo.backend;

import java.util.Arrays;
import org.dpmammo.tensor.Shape;

/**
 * The sizes of a batched matmul op(A)·op(B), checked once for every backend: rows m, columns n, inner size k, the
 * broadcast batch axes, the output shape, and each operand's own batch axes (a backend sees from them whether an
 * operand is shared by the whole batch, e.g. a weight).
 */
public record MatmulShape(int m, int n, int k, int[] batch, int[] batchA, int[] batchB, int[] outShape) {

    public static MatmulShape of(int[] as, int[] bs, boolean transA, boolean transB) {
        if (as.length < 2 || bs.length < 2) {
            throw new IllegalArgumentException("matmul: needs rank ≥ 2, got " + Shape.str(as) + " and " + Shape.str(bs));
        }
        int m = transA ? as[as.length - 1] : as[as.length - 2];
        int ka = transA ? as[as.length - 2] : as[as.length - 1];
        int kb = transB ? bs[bs.length - 1] : bs[bs.length - 2];
        int n = transB ? bs[bs.length - 2] : bs[bs.length - 1];
        if (ka != kb) {
            throw new IllegalArgumentException("matmul: inner sizes differ: " + Shape.str(as) + (transA ? "ᵀ" : "")
                    + " · " + Shape.str(bs) + (transB ? "ᵀ" : ""));
        }
        int[] batchA = Arrays.copyOf(as, as.length - 2), batchB = Arrays.copyOf(bs, bs.length - 2);
        int[] batch = Shape.broadcast(batchA, batchB, "matmul");
        int[] outShape = Arrays.copyOf(batch, batch.length + 2);
        outShape[batch.length] = m;
        outShape[batch.length + 1] = n;
        return new MatmulShape(m, n, ka, batch, batchA, batchB, outShape);
    }

    /** Batch entries of the output. */
    public int batchCount() {
        return Shape.size(batch);
    }

    /** A's batch axes hold one matrix (it is shared by every batch entry). */
    public boolean aShared() {
        return Shape.numel(batchA) == 1;
    }

    public boolean bShared() {
        return Shape.numel(batchB) == 1;
    }
}
