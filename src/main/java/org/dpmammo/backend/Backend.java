package org.dpmammo.backend;

import org.dpmammo.tensor.Tensor;

/**
 * The primitive ops every device implements. Autograd composes everything else (norms, attention, losses) from
 * these, so a new device is correct once these are. Inputs may be strided views; outputs are fresh contiguous
 * tensors. Shape errors throw {@link IllegalArgumentException} naming the op and the shapes.
 */
public interface Backend {
    String name();

    /** The device in words for logs and provenance.json ("cpu", "cuda:0 NVIDIA H100 80GB HBM3 (sm_90)"). */
    default String describe() {
        return name();
    }

    /** Waits until every op queued so far has finished: for timing an asynchronous device; the CPU has nothing queued. */
    default void synchronize() {}

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
     * Normalises each row of the last axis: x̂ = (x − μ)·r with μ the row mean and r = 1/sqrt(σ² + eps), σ² the
     * biased variance (LayerNorm's core). Returns {x̂, r}, r shaped as x with the last axis 1. The default composes
     * the primitives above; a backend may override it with a fused kernel, which must agree with this.
     */
    default Tensor[] normalizeRows(Tensor x, float eps) {
        int[] last = {x.rank() - 1};
        float inv = 1f / x.size(-1);
        Tensor mean = unary(UnaryOp.MUL_SCALAR, sum(x, last, true), inv);
        Tensor centred = binary(BinaryOp.SUB, x, mean);
        Tensor var = unary(UnaryOp.MUL_SCALAR, sum(unary(UnaryOp.SQUARE, centred, 0f), last, true), inv);
        Tensor r = unary(UnaryOp.RSQRT, unary(UnaryOp.ADD_SCALAR, var, eps), 0f);
        return new Tensor[] {binary(BinaryOp.MUL, centred, r), r};
    }

    /** Backward of {@link #normalizeRows} from its outputs x̂ and r: ∂x = r·(g − mean(g) − x̂·mean(g ⊙ x̂)) per row. */
    default Tensor normalizeRowsBackward(Tensor xhat, Tensor r, Tensor gradOut) {
        int[] last = {xhat.rank() - 1};
        float inv = 1f / xhat.size(-1);
        Tensor meanG = unary(UnaryOp.MUL_SCALAR, sum(gradOut, last, true), inv);
        Tensor meanGx = unary(UnaryOp.MUL_SCALAR, sum(binary(BinaryOp.MUL, gradOut, xhat), last, true), inv);
        Tensor centred = binary(BinaryOp.SUB, binary(BinaryOp.SUB, gradOut, meanG), binary(BinaryOp.MUL, xhat, meanGx));
        return binary(BinaryOp.MUL, centred, r);
    }

    /**
     * Batched matrix product op(a)·op(b) over the last two axes; leading (batch) axes broadcast.
     * a is [..., M, K] (or [..., K, M] when transA), b is [..., K, N] (or [..., N, K] when transB).
     */
    Tensor matmul(Tensor a, Tensor b, boolean transA, boolean transB);

    /**
     * A dense layer on rows: x [M, K] · wᵀ (w [N, K]) + bias [N] (bias may be null). The default is matmul then a
     * broadcast add; a backend may write the bias into the product's output instead of a second pass.
     */
    default Tensor linear(Tensor x, Tensor w, Tensor bias) {
        Tensor y = matmul(x, w, false, true);
        return bias == null ? y : binary(BinaryOp.ADD, y, bias);
    }

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
}
