package org.dpmammo.tensor;

import java.util.Arrays;

/** Static helpers for shapes (int[] dimension sizes) and row-major strides. */
public final class Shape {
    private Shape() {}

    public static long numel(int[] shape) {
        long n = 1;
        for (int d : shape) n *= d;
        return n;
    }

    /** Number of elements as an int, refusing tensors that a Java array cannot hold. */
    public static int size(int[] shape) {
        long n = numel(shape);
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("tensor of shape " + str(shape) + " has " + n + " elements, more than a Java array holds");
        }
        return (int) n;
    }

    public static int[] contiguousStrides(int[] shape) {
        int[] strides = new int[shape.length];
        int s = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            strides[i] = s;
            s *= shape[i];
        }
        return strides;
    }

    /** Resolves a possibly negative axis against a rank, as PyTorch does. */
    public static int axis(int axis, int rank, String op) {
        int a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank) {
            throw new IllegalArgumentException(op + ": axis " + axis + " out of range for a tensor of rank " + rank);
        }
        return a;
    }

    /** The broadcast shape of two shapes under NumPy/PyTorch rules, or an exception naming the op. */
    public static int[] broadcast(int[] a, int[] b, String op) {
        int rank = Math.max(a.length, b.length);
        int[] out = new int[rank];
        for (int i = 0; i < rank; i++) {
            int da = i < rank - a.length ? 1 : a[i - (rank - a.length)];
            int db = i < rank - b.length ? 1 : b[i - (rank - b.length)];
            if (da != db && da != 1 && db != 1) {
                throw new IllegalArgumentException(op + ": shapes " + str(a) + " and " + str(b) + " do not broadcast");
            }
            out[i] = da == 1 ? db : da;
        }
        return out;
    }

    /** Resolves one -1 in a requested shape against a known element count. */
    public static int[] infer(int[] requested, long numel, String op) {
        int[] shape = requested.clone();
        int unknown = -1;
        long known = 1;
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] == -1) {
                if (unknown >= 0) throw new IllegalArgumentException(op + ": more than one -1 in " + str(requested));
                unknown = i;
            } else if (shape[i] < 0) {
                throw new IllegalArgumentException(op + ": negative size in " + str(requested));
            } else {
                known *= shape[i];
            }
        }
        if (unknown >= 0) {
            if (known == 0 || numel % known != 0) {
                throw new IllegalArgumentException(op + ": cannot infer " + str(requested) + " for " + numel + " elements");
            }
            shape[unknown] = (int) (numel / known);
        }
        if (numel(shape) != numel) {
            throw new IllegalArgumentException(op + ": shape " + str(requested) + " does not hold " + numel + " elements");
        }
        return shape;
    }

    /**
     * The shape of concatenating tensors of these shapes along an axis: equal rank and equal sizes off the axis, or
     * an exception naming the first shape that does not fit.
     */
    public static int[] concat(int[][] shapes, int axis) {
        if (shapes.length == 0) throw new IllegalArgumentException("concat: no tensors");
        int rank = shapes[0].length;
        int a = axis(axis, rank, "concat");
        int[] out = shapes[0].clone();
        out[a] = 0;
        for (int[] s : shapes) {
            boolean ok = s.length == rank;
            for (int i = 0; ok && i < rank; i++) ok = i == a || s[i] == shapes[0][i];
            if (!ok) throw new IllegalArgumentException("concat: shape " + str(s) + " does not match " + str(shapes[0]) + " off axis " + axis);
            out[a] += s[a];
        }
        return out;
    }

    public static String str(int[] shape) {
        return Arrays.toString(shape);
    }
}
