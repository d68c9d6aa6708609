package org.dpmammo.nn;

import java.util.List;
import org.dpmammo.tensor.Tensor;

/**
 * A layer whose parameter gradients are a function of two tensors only: its saved input activation A and the
 * gradient G of its output, both with the example axis first. This is what DP-SGD needs from a layer (see
 * docs/DP-MATH.md §1 and docs/ARCHITECTURE.md "One DP training step"): per-example gradients and their norms come
 * from (A, G) without a second backward pass.
 *
 * <p>Each implementing layer records its forward as one op whose backward computes the input gradient and, unless
 * a {@link GradientSink} is installed, the summed parameter gradients {@code gradients(A, G)}, accumulated into the
 * parameters' {@code grad()}. With a sink installed, the backward still returns the input gradient (so the pass
 * continues to earlier layers) but hands (A, G) to the sink instead of computing parameter gradients. Frozen
 * parameters get no gradient, and when all of a layer's parameters are frozen the sink is not called.
 *
 * <p>Contract for the DP engine ({@code privacy.dpsgd.DpSgd}), which also asks each layer for per-example squared
 * norms ({@link #perExampleNorms}: materialised, or the ghost-norm identity ‖GᵢᵀAᵢ‖² = ⟨AᵢAᵢᵀ, GᵢGᵢᵀ⟩):
 * <ul>
 *   <li>A and G are exactly what the layer's gradient rule uses; their layouts are documented on each layer.
 *       Either may be a strided view shared with the graph: read them, never write them.
 *   <li>{@link #gradients} is linear in G, so the clipped sum Σᵢ cᵢ gᵢ = Aᵀ·diag(c)·G is
 *       {@code gradients(A, G scaled by cᵢ along axis 0)}.
 *   <li>Axis 0 of A and G is the example axis, so callers keep examples first: Swin's window attention should
 *       apply its Linear layers to [N, windows·T, C] rather than torchvision's [N·windows, T, C] (the same map),
 *       or each window would pass for an example.
 *   <li>A layer applied k times in one graph (a discriminator on real and on fake images) calls the sink k times,
 *       once per application; pairing the examples of the calls is the engine's business.
 * </ul>
 */
public interface PerExampleLayer {
    /** The parameters {@link #gradients} returns gradients for, in that order (absent ones, e.g. bias=false, omitted). */
    List<Parameter> perExampleParameters();

    /**
     * The gradients of the parameters in {@link #perExampleParameters()} order, summed over the examples (axis 0)
     * of A and G. Entries for frozen parameters are null.
     */
    Tensor[] gradients(Tensor activation, Tensor gradOut);

    /**
     * ‖gᵢ‖² for every example i: the squared norm of example i's gradient over this layer's trainable parameters.
     * The default takes the obviously-correct route, one {@link #gradients} call per example (the VJP identity);
     * layers override it with vectorised rules (ghost norm or materialised, see {@link PerExample}).
     */
    default float[] perExampleSqNorms(Tensor activation, Tensor gradOut) {
        int n = activation.size(0);
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            double s = 0;
            for (Tensor g : gradients(activation.slice(0, i, i + 1), gradOut.slice(0, i, i + 1))) {
                if (g == null) continue;
                for (float v : g.toArray()) s += (double) v * v;
            }
            out[i] = (float) s;
        }
        return out;
    }

    /**
     * The per-example squared norms, with the per-example gradients where the layer materialised them (see
     * {@link PerExample.Norms}); by default only the norms.
     */
    default PerExample.Norms perExampleNorms(Tensor activation, Tensor gradOut) {
        float[] sq = perExampleSqNorms(activation, gradOut);
        return new PerExample.Norms(Tensor.of(sq, sq.length), null);
    }

    /** Installs (or, with null, removes) the receiver of (A, G); it is read when backward runs. */
    void setGradientSink(GradientSink sink);

    GradientSink gradientSink();
}
