package org.dpmammo.backend;

import org.dpmammo.tensor.Shape;
import org.dpmammo.tensor.Tensor;
import org.dpmammo.util.Parallel;
import org.dpmammo.util.SnappedGaussian;

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

    /**
     * A host tensor as this backend's own: on a device, one upload, so that a constant read by several ops (a loss
     * target, a dropout mask, an input batch that a layer also keeps for its gradient) crosses once rather than at
     * every use. Host backends return it unchanged.
     */
    default Tensor upload(Tensor t) {
        return t;
    }

    /** A tensor of one value made where this backend keeps tensors (no upload of a host array). */
    default Tensor full(float value, int... shape) {
        return Tensor.full(value, shape);
    }

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

    /**
     * PyTorch's BCELoss elementwise, −(t·log p + (1 − t)·log(1 − p)) with each log clamped at −100, for p and t of one
     * shape (t may be a broadcast view). Computed in double per element; targets outside [0, 1] are used as given.
     */
    default Tensor binaryCrossEntropy(Tensor p, Tensor t) {
        checkSameShape("binaryCrossEntropy", p, t);
        float[] pd = p.compact().data(), td = t.compact().data(), out = new float[pd.length];
        for (int i = 0; i < pd.length; i++) {
            double lp = Math.max(Math.log(pd[i]), -100.0), l1p = Math.max(Math.log1p(-pd[i]), -100.0);
            out[i] = (float) -(td[i] * lp + (1 - td[i]) * l1p);
        }
        return Tensor.of(out, p.shapeRef());
    }

    /** The gradient of {@link #binaryCrossEntropy} with respect to p, as PyTorch's: g·(p − t) / max(p(1 − p), 1e-12). */
    default Tensor binaryCrossEntropyBackward(Tensor p, Tensor t, Tensor gradOut) {
        checkSameShape("binaryCrossEntropy backward", p, t);
        checkSameShape("binaryCrossEntropy backward", p, gradOut);
        float[] pd = p.compact().data(), td = t.compact().data(), gd = gradOut.compact().data(), dp = new float[pd.length];
        for (int i = 0; i < pd.length; i++) {
            double denom = Math.max((1.0 - pd[i]) * pd[i], 1e-12);
            dp[i] = (float) (gd[i] * (pd[i] - td[i]) / denom);
        }
        return Tensor.of(dp, p.shapeRef());
    }

    private static void checkSameShape(String op, Tensor a, Tensor b) {
        if (!a.sameShape(b)) throw new IllegalArgumentException(op + ": shapes " + Shape.str(a.shapeRef()) + " and " + Shape.str(b.shapeRef()) + " differ");
    }

    /**
     * One AdamW step in place where this backend has a fused kernel for it: w ← w·(1 − lr·wd), m ← β₁m + (1 − β₁)g,
     * v ← β₂v + (1 − β₂)g², w ← w − lr·(m/(1 − β₁ᵗ))/(√(v/(1 − β₂ᵗ)) + eps), on w, m, v of one shape [n] that the
     * backend holds. Returns false, having done nothing, where it has none or the tensors do not qualify; the
     * optimizer then composes the same update from the primitives (the default: host backends update in their loop).
     */
    default boolean fusedAdamW(Tensor w, Tensor g, Tensor m, Tensor v, double lr, double beta1, double beta2, double eps, double weightDecay, long step) {
        return false;
    }

    // ---------------------------------------------------------------- DP-SGD operations
    // What privacy.dpsgd.DpSgd needs beyond the primitives, so that one DP step runs unchanged on every backend and
    // its tensors stay where the backend keeps them. The defaults compute on host arrays, which is what the CPU and
    // reference backends use (they are the CPU's DP arithmetic, bit for bit); a device overrides them with kernels.

    /**
     * Σ_j a_ij·b_ij per example (axis 0) of two tensors of one shape [B, …], accumulated in double and rounded once:
     * [B]. With a = b these are the rows' squared norms.
     */
    default Tensor rowDot(Tensor a, Tensor b) {
        if (!a.sameShape(b) || a.rank() == 0) throw new IllegalArgumentException("rowDot: shapes " + Shape.str(a.shapeRef()) + " and " + Shape.str(b.shapeRef()) + " differ or have no example axis");
        int n = a.size(0), per = n == 0 ? 0 : a.numel() / n;
        Tensor ac = a.compact(), bc = b.compact();
        float[] x = ac.data(), y = bc.data(), out = new float[n];
        // Rows in parallel, each summed in order as before (the same bits): the materialised per-example gradients of
        // a DP step are millions of values, and one thread's latency-bound double sum was 4 % of the step's extra time.
        // At least 64 Ki elements a task: below that, forking costs more than it saves.
        Parallel.forRange(n, Math.max(1, (1 << 16) / Math.max(1, per)), (i0, i1) -> {
            for (int i = i0; i < i1; i++) {
                double s = 0;
                for (int k = i * per, e = k + per; k < e; k++) s += (double) x[k] * y[k];
                out[i] = (float) s;
            }
        });
        return Tensor.of(out, n);
    }

    /**
     * DP-SGD's clip factors c_i = min(1, C / (‖g_i‖ + 1e-6)) with ‖g_i‖² = Σ_l s_li, from squared norms s [L, B]
     * (one row per layer, summed in double). A non-finite norm gives 0: the example is dropped rather than
     * poisoning the sum. C = +∞ gives 1 for every finite norm (no clipping).
     */
    default Tensor clipFactors(Tensor sqNorms, double clip) {
        if (sqNorms.rank() != 2) throw new IllegalArgumentException("clipFactors: squared norms " + Shape.str(sqNorms.shapeRef()) + " are not [layers, examples]");
        int layers = sqNorms.size(0), n = sqNorms.size(1);
        float[] s = sqNorms.compact().data(), out = new float[n];
        for (int i = 0; i < n; i++) {
            double total = 0;
            for (int l = 0; l < layers; l++) total += s[l * n + i];
            out[i] = clipFactor(Math.sqrt(total), clip);
        }
        return Tensor.of(out, n);
    }

    /** The clip factor of each row of x [B, …] by the row's own norm (its squares summed in double): [B]. */
    default Tensor rowClipFactors(Tensor x, double clip) {
        if (x.rank() == 0) throw new IllegalArgumentException("rowClipFactors: a scalar has no rows");
        int n = x.size(0), per = n == 0 ? 0 : x.numel() / n;
        float[] v = x.compact().data(), out = new float[n];
        for (int i = 0; i < n; i++) {
            double sq = 0;
            for (int k = i * per, e = k + per; k < e; k++) sq += (double) v[k] * v[k];
            out[i] = clipFactor(Math.sqrt(sq), clip);
        }
        return Tensor.of(out, n);
    }

    /** min(1, C/(‖g‖ + 1e-6)) in double, rounded to float; 0 for a non-finite norm. */
    static float clipFactor(double norm, double clip) {
        if (!Double.isFinite(norm)) return 0f;
        return (float) Math.min(1.0, clip / (norm + 1e-6));
    }

    /**
     * x + σ·z as a fresh tensor, z the snapped, hardened N(0, 1) of {@link SnappedGaussian} from ChaCha20 under the
     * 8-word key, training step {@code step} and substreams firstSubstream, firstSubstream + 1, … (one per
     * {@link SnappedGaussian#CHUNK} coordinates), snapped to the power-of-two {@code resolution}. Every backend must
     * draw the same bits for the same arguments (privacy.noise.GaussianNoise reserves the substreams).
     */
    default Tensor addGaussianNoise(Tensor x, int[] key, long step, long firstSubstream, double sigma, double resolution) {
        float[] v = x.toArray();
        SnappedGaussian.addTo(v, 0, v.length, key, step, firstSubstream, sigma, resolution);
        return Tensor.of(v, x.shapeRef());
    }
}
