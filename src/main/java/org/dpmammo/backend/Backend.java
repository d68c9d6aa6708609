package org.dpmammo.backend;

import org.dpmammo.tensor.Tensor;

/**
 * The primitive ops every device implements. Autograd composes everything else (norms, attention, losses) from
 * these, so a new device is correct once these are. Inputs may be strided views; outputs are fresh contiguous
 * tensors. Shape errors throw {@link IllegalArgumentException} naming the op and the shapes.
 */
public interface Backend {
    String name();

    /** Broadcasting elementwise a ∘ b. */
    Tensor binary(BinaryOp op, Tensor a, Tensor b);

    /** Elementwise f(x) with an op parameter (slope, exponent or scalar; ignored by ops without one). */
    Tensor unary(UnaryOp op, Tensor x, float param);

    /** The gradient of a unary op: gradOut · f'(x), given x and y = f(x) (whichever is cheaper is used). */
    Tensor unaryBackward(UnaryOp op, Tensor x, Tensor y, Tensor gradOut, float param);

    /** Sum over the given axes (all axes when empty), keeping them as size 1 when keepDims. */
    Tensor sum(Tensor x, int[] axes, boolean keepDims);

    /** Maximum over one axis, keeping it as size 1 when keepDims. */
    Tensor max(Tensor x, int axis, boolean keepDims);

    /** Index of the maximum over one axis (first on ties), as float values, keeping the axis as size 1. */
    Tensor argmax(Tensor x, int axis);

    /** Softmax (or log-softmax) over the last axis, computed stably by subtracting the row maximum. */
    Tensor softmax(Tensor x, boolean log);

    /** Backward of {@link #softmax} given its output y. */
    Tensor softmaxBackward(Tensor y, Tensor gradOut, boolean log);

    /**
     * Batched matrix product op(a)·op(b) over the last two axes; leading (batch) axes broadcast.
     * a is [..., M, K] (or [..., K, M] when transA), b is [..., K, N] (or [..., N, K] when transB).
     */
    Tensor matmul(Tensor a, Tensor b, boolean transA, boolean transB);

    /** Rows of x along an axis picked by index (gather). */
    Tensor indexSelect(Tensor x, int axis, int[] index);

    /** The adjoint of indexSelect: a zero tensor of {@code axisSize} along the axis with src added at index. */
    Tensor indexAdd(Tensor src, int axis, int[] index, int axisSize);

    /** A contiguous copy of a (possibly strided) tensor. */
    Tensor copy(Tensor x);

    /** Concatenation along an existing axis. */
    Tensor concat(Tensor[] parts, int axis);

    /** 2-D convolution, NCHW: x [N, C, H, W], w [O, C, kH, kW], optional bias [O]. */
    Tensor conv2d(Tensor x, Tensor w, Tensor bias, int strideH, int strideW, int padH, int padW);

    /** Gradient of conv2d with respect to its input, of the given input height and width. */
    Tensor conv2dBackwardInput(Tensor gradOut, Tensor w, int inH, int inW, int strideH, int strideW, int padH, int padW);

    /**
     * The patches a convolution's kernel sees (im2col): x [N, C, H, W] → [N, C·kH·kW, OH·OW], zero where the window
     * covers padding. Per-example convolution gradients are GEMMs over these.
     */
    Tensor unfold(Tensor x, int kH, int kW, int strideH, int strideW, int padH, int padW);

    /** Gradient of conv2d with respect to its weight [O, C, kH, kW]. */
    Tensor conv2dBackwardWeight(Tensor x, Tensor gradOut, int kH, int kW, int strideH, int strideW, int padH, int padW);

    /**
     * Normalises each run of {@code inner} consecutive values of x (rows = numel / inner) to zero mean and unit
     * variance: y = (x − μ)·r with r = 1/√(σ² + eps), σ² the biased variance of the row. Returns {y (x's shape),
     * r [rows]}. Instance and layer norm are this op on a suitable view. The default composes the primitives
     * above, so every device has it; a backend may fuse it (the CPU backend reads x twice instead of ten times).
     */
    default Tensor[] normalizeRows(Tensor x, int inner, float eps) {
        int rows = rowsOf(x, inner, "normalizeRows");
        Tensor x2 = x.contiguous().reshape(rows, inner);
        int[] last = {1};
        Tensor mean = unary(UnaryOp.MUL_SCALAR, sum(x2, last, true), 1f / inner);
        Tensor centred = binary(BinaryOp.SUB, x2, mean);
        Tensor var = unary(UnaryOp.MUL_SCALAR, sum(unary(UnaryOp.SQUARE, centred, 0f), last, true), 1f / inner);
        Tensor r = unary(UnaryOp.RSQRT, unary(UnaryOp.ADD_SCALAR, var, eps), 0f);
        return new Tensor[] {binary(BinaryOp.MUL, centred, r).reshape(x.shapeRef()), r.reshape(rows)};
    }

    /**
     * The gradient of {@link #normalizeRows} given its outputs y and r: dx = r·(g − mean(g) − y·mean(g·y)) per row,
     * the usual closed form (the mean's and the variance's paths folded in).
     */
    default Tensor normalizeRowsBackward(Tensor y, Tensor r, Tensor gradOut, int inner) {
        int rows = rowsOf(y, inner, "normalizeRowsBackward");
        Tensor y2 = y.contiguous().reshape(rows, inner), g2 = gradOut.contiguous().reshape(rows, inner);
        int[] last = {1};
        Tensor meanG = unary(UnaryOp.MUL_SCALAR, sum(g2, last, true), 1f / inner);
        Tensor meanGy = unary(UnaryOp.MUL_SCALAR, sum(binary(BinaryOp.MUL, g2, y2), last, true), 1f / inner);
        Tensor inside = binary(BinaryOp.SUB, binary(BinaryOp.SUB, g2, meanG), binary(BinaryOp.MUL, y2, meanGy));
        return binary(BinaryOp.MUL, inside, r.reshape(rows, 1)).reshape(y.shapeRef());
    }

    /** numel / inner, checked: the rows of a {@link #normalizeRows} call. */
    private static int rowsOf(Tensor x, int inner, String op) {
        if (inner < 1 || x.numel() % inner != 0)
            throw new IllegalArgumentException(op + ": " + x.numel() + " values are not whole rows of " + inner);
        return x.numel() / inner;
    }
}
