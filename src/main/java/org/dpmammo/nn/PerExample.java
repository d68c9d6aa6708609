package org.dpmammo.nn;

import org.dpmammo.backend.Backend;
import org.dpmammo.backend.Backends;
import org.dpmammo.backend.BinaryOp;
import org.dpmammo.backend.UnaryOp;
import org.dpmammo.tensor.Shape;
import org.dpmammo.tensor.Tensor;

/**
 * The per-example gradient algebra that DP-SGD needs from parameterised layers, in the "linear form" every such
 * layer reduces to: for example i, an activation matrix A_i [T, d] and an output-gradient matrix G_i [T, p], whose
 * weight gradient is g_i = G_iᵀ·A_i [p, d] (T = 1 for a plain linear layer, T = output positions for a convolution
 * after im2col, T = tokens for a linear layer over a sequence).
 *
 * <p>Squared norms ‖g_i‖² come from either
 * <ul>
 *   <li>the ghost-norm identity ‖G_iᵀA_i‖² = ⟨A_iA_iᵀ, G_iG_iᵀ⟩ = Σ_{t,s}(a_t·a_s)(g_t·g_s), cost O(T²(d + p)), memory
 *       O(T²), never materialising g_i (Goodfellow 2015 for T = 1; Li et al. 2022 for T &gt; 1); or</li>
 *   <li>materialising g_i, cost O(T·d·p), memory O(d·p).</li>
 * </ul>
 * {@link #useGhost} picks by the rule of fastDP's mixed ghost norm: ghost when 2T² ≤ p·d. The clipped sum
 * Σ_i c_i·g_i is always one GEMM over all rows: (c ⊙ G)ᵀ·A (book-keeping, Bu et al. 2023): no second backward.
 *
 * <p>Shapes: A [B, T, d], G [B, T, p], c [B]; B = examples.
 */
public final class PerExample {
    private PerExample() {}

    private static Backend be() {
        return Backends.current();
    }

    /** fastDP's mixed rule: the ghost norm is cheaper in memory (and about in time) when 2T² ≤ p·d. */
    public static boolean useGhost(int tokens, int inFeatures, int outFeatures) {
        return 2L * tokens * tokens <= (long) inFeatures * outFeatures;
    }

    private static void check(Tensor a, Tensor g) {
        int[] as = a.shapeRef(), gs = g.shapeRef();
        if (as.length != 3 || gs.length != 3 || as[0] != gs[0] || as[1] != gs[1]) {
            throw new IllegalArgumentException("per-example rule: activations " + Shape.str(as) + " and output gradients "
                    + Shape.str(gs) + " are not [B, T, d] and [B, T, p]");
        }
    }

    /** ‖G_iᵀA_i‖² for every example [B], by whichever form {@link #useGhost} prefers. */
    public static Tensor weightSqNorms(Tensor a, Tensor g) {
        check(a, g);
        return useGhost(a.size(1), a.size(2), g.size(2)) ? weightSqNormsGhost(a, g) : weightSqNormsMaterialised(a, g);
    }

    /**
     * Ghost form: ⟨A_iA_iᵀ, G_iG_iᵀ⟩_F per example, via two batched Gram matrices [B, T, T], clamped at 0 (rounding
     * can take a tiny norm below it, and a negative squared norm would drop the example).
     */
    public static Tensor weightSqNormsGhost(Tensor a, Tensor g) {
        check(a, g);
        if (a.size(1) == 1) {
            // T = 1: ‖g aᵀ‖ = ‖a‖·‖g‖.
            return be().binary(BinaryOp.MUL, rowSqNorms(a), rowSqNorms(g));
        }
        Tensor aa = be().matmul(a, a, false, true), gg = be().matmul(g, g, false, true);
        return be().unary(UnaryOp.RELU, be().rowDot(aa, gg), 0f);
    }

    /** Materialised form: g_i = G_iᵀA_i [p, d] for each example, squared and summed. */
    public static Tensor weightSqNormsMaterialised(Tensor a, Tensor g) {
        check(a, g);
        return rowSqNorms(be().matmul(g, a, true, false)); // [B, p, d]
    }

    /** ‖Σ_t g_t‖² per example: the bias gradient's squared norm. */
    public static Tensor biasSqNorms(Tensor g) {
        return rowSqNorms(be().sum(g, new int[] {1}, false)); // [B, p]
    }

    /** Σ over all non-batch elements of x², per example, accumulated in double: [B]. */
    public static Tensor rowSqNorms(Tensor x) {
        return be().rowDot(x, x);
    }

    /** a + b for per-example norms, where either part may be absent (null). */
    public static Tensor plus(Tensor a, Tensor b) {
        if (a == null) return b;
        if (b == null) return a;
        return be().binary(BinaryOp.ADD, a, b);
    }

    /** Zero norms [B], for a layer with nothing trainable. */
    public static Tensor zeroNorms(int examples) {
        return be().full(0f, examples);
    }

    /**
     * Per-example squared norms [B], plus — when the rule materialised them anyway — the per-example gradients
     * [B, …] of the layer's parameters in {@link PerExampleLayer#perExampleParameters()} order (null entries for
     * frozen ones), so the clipped sum Σ cᵢ·gᵢ can reuse them instead of recomputing Aᵀ·diag(c)·G (fastDP's MixOpt).
     * When {@code perExampleGrads} is null the caller takes the book-keeping route through the layer's gradients().
     * The norms are a tensor of the current backend, so the DP step never reads them on the host.
     */
    public record Norms(Tensor sqNorms, Tensor[] perExampleGrads) {}

    /**
     * The linear-form norms; where the weight norm is cheaper materialised (2T² &gt; p·d) the per-example weight
     * gradients [B, weightShape…] and bias gradients [B, p] are returned with them.
     */
    public static Norms linearNorms(Tensor a, Tensor g, boolean weightTrainable, boolean hasBias, boolean biasTrainable, int[] weightShape) {
        check(a, g);
        int b = a.size(0);
        if (!weightTrainable || useGhost(a.size(1), a.size(2), g.size(2))) {
            return new Norms(linearSqNorms(a, g, weightTrainable, hasBias && biasTrainable), null);
        }
        Tensor w = be().matmul(g, a, true, false); // [B, p, d]
        Tensor norms = rowSqNorms(w);
        Tensor[] grads = new Tensor[hasBias ? 2 : 1];
        grads[0] = w.reshape(withExamples(b, weightShape));
        if (hasBias && biasTrainable) {
            Tensor bias = be().sum(g, new int[] {1}, false); // [B, p]
            norms = plus(norms, rowSqNorms(bias));
            grads[1] = bias;
        }
        return new Norms(norms, grads);
    }

    private static int[] withExamples(int b, int[] shape) {
        int[] out = new int[shape.length + 1];
        out[0] = b;
        System.arraycopy(shape, 0, out, 1, shape.length);
        return out;
    }

    /**
     * The same rules for a convolution in the layouts it already has, with no transposed copies: the unfolded input
     * U [B, d, T] (d = C_in·k², T = positions) and the output gradient G [B, p, T] (p = C_out, NCHW flattened).
     * Example i's weight gradient is G_i·U_iᵀ [p, d]; the ghost form uses the position Gram matrices U_iᵀU_i and
     * G_iᵀG_i [T, T].
     */
    public static Norms convNorms(Tensor u, Tensor g, boolean weightTrainable, boolean hasBias, boolean biasTrainable, int[] weightShape) {
        int b = u.size(0), d = u.size(1), t = u.size(2), p = g.size(1);
        Tensor norms = null;
        Tensor[] grads = null;
        if (weightTrainable) {
            if (useGhost(t, d, p)) {
                Tensor uu = be().matmul(u, u, true, false), gg = be().matmul(g, g, true, false);
                norms = be().unary(UnaryOp.RELU, be().rowDot(uu, gg), 0f);
            } else {
                Tensor w = be().matmul(g, u, false, true); // [B, p, d]
                norms = rowSqNorms(w);
                grads = new Tensor[hasBias ? 2 : 1];
                grads[0] = w.reshape(withExamples(b, weightShape));
            }
        }
        if (hasBias && biasTrainable) {
            Tensor bias = be().sum(g, new int[] {2}, false); // [B, p]
            norms = plus(norms, rowSqNorms(bias));
            if (grads != null) grads[1] = bias;
        }
        // A materialised weight with a frozen bias still needs no second pass; a ghost weight always does.
        return new Norms(norms == null ? zeroNorms(b) : norms, grads);
    }

    /** ‖weight gradient‖² + ‖bias gradient‖² per example of a layer in linear form, skipping frozen parts. */
    public static Tensor linearSqNorms(Tensor a, Tensor g, boolean weightTrainable, boolean biasTrainable) {
        Tensor out = plus(weightTrainable ? weightSqNorms(a, g) : null, biasTrainable ? biasSqNorms(g) : null);
        return out == null ? zeroNorms(a.size(0)) : out;
    }

    /** G with example i's rows scaled by c_i (c [B]): the one place clipping factors enter the sums. */
    public static Tensor scaleExamples(Tensor g, Tensor c) {
        int[] shape = new int[g.rank()];
        java.util.Arrays.fill(shape, 1);
        shape[0] = c.numel();
        return be().binary(BinaryOp.MUL, g, c.reshape(shape));
    }

    /** Σ_i c_i·G_iᵀA_i [p, d] as one GEMM over all B·T rows. */
    public static Tensor clippedWeightSum(Tensor a, Tensor g, Tensor c) {
        check(a, g);
        int rows = a.size(0) * a.size(1);
        Tensor gs = scaleExamples(g, c).reshape(rows, g.size(2));
        return be().matmul(gs, a.contiguous().reshape(rows, a.size(2)), true, false);
    }

    /** Σ_i c_i Σ_t g_{i,t} [p]: the clipped bias gradient. */
    public static Tensor clippedBiasSum(Tensor g, Tensor c) {
        return be().sum(scaleExamples(g, c), new int[] {0, 1}, false);
    }

    /** Σ_i c_i·x_i over the batch axis of materialised per-example gradients [B, ...]. */
    public static Tensor clippedSumOfMaterialised(Tensor perExample, Tensor c) {
        return be().sum(scaleExamples(perExample, c), new int[] {0}, false);
    }
}
