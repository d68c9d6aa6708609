package org.dpmammo.backend;

import org.dpmammo.tensor.Shape;

/**
 * The sizes of an indexing op along one axis, checked once for every backend: the input seen as [outer, len, inner]
 * around the axis, and the output shape. Indices are checked here, before any backend writes, so a bad index is the
 * same error on the CPU and on the GPU (where a kernel would otherwise read out of bounds).
 */
public record IndexShape(int outer, int len, int inner, int[] outShape) {

    /** indexSelect: out[.., j, ..] = x[.., index[j], ..]. */
    public static IndexShape select(int[] shape, int axis, int[] index) {
        int a = Shape.axis(axis, shape.length, "indexSelect");
        for (int idx : index) {
            if (idx < 0 || idx >= shape[a]) {
                throw new IndexOutOfBoundsException("indexSelect: index " + idx + " out of range for axis " + axis + " of " + Shape.str(shape));
            }
        }
        return around(shape, a, index.length);
    }

    /** indexAdd: out[.., index[j], ..] += src[.., j, ..] into an axis of axisSize. */
    public static IndexShape add(int[] shape, int axis, int[] index, int axisSize) {
        int a = Shape.axis(axis, shape.length, "indexAdd");
        if (shape[a] != index.length) throw new IllegalArgumentException("indexAdd: " + index.length + " indices for axis of size " + shape[a]);
        for (int idx : index) {
            if (idx < 0 || idx >= axisSize) throw new IndexOutOfBoundsException("indexAdd: index " + idx + " out of range for size " + axisSize);
        }
        return around(shape, a, axisSize);
    }

    private static IndexShape around(int[] shape, int a, int outLen) {
        int outer = 1, inner = 1;
        for (int i = 0; i < a; i++) outer *= shape[i];
        for (int i = a + 1; i < shape.length; i++) inner *= shape[i];
        int[] outShape = shape.clone();
        outShape[a] = outLen;
        return new IndexShape(outer, shape[a], inner, outShape);
    }
}
