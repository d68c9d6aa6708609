package org.dpmammo.nn;

import java.util.ArrayList;
import java.util.List;
import org.dpmammo.autograd.Grad;
import org.dpmammo.autograd.Variable;
import org.dpmammo.backend.Backend;
import org.dpmammo.backend.Backends;
import org.dpmammo.tensor.Shape;
import org.dpmammo.tensor.Tensor;
import org.dpmammo.util.Rng;

/**
 * y = x·Wᵀ + b over the last axis, any leading axes: x [N, …, in] → y [N, …, out]; weight [out, in], bias [out].
 *
 * <p>Backward, with x and G = ∂L/∂y flattened to M = N·… rows: ∂x = G·W, ∂W = Gᵀ·x, ∂b = Σ_rows G.
 * Per-example view (DP): A = x [N, T, in] and G [N, T, out] with T the product of the middle axes (1 for plain
 * [N, in]); example i's gradient is ∂Wᵢ = Gᵢᵀ·Aᵢ and ∂bᵢ = Σ_t Gᵢ,t. Its squared norm is ‖aᵢ‖²‖gᵢ‖² when T = 1,
 * and ⟨AᵢAᵢᵀ, GᵢGᵢᵀ⟩ (ghost norm) in general, cheaper than materialising ∂Wᵢ when 2T² &lt; in·out.
 */
public final class Linear extends PerExampleModule {
    public final int inFeatures, outFeatures;
    public final Parameter weight, bias;

    public Linear(int inFeatures, int outFeatures, boolean bias, Rng rng) {
        if (inFeatures <= 0 || outFeatures <= 0) throw new IllegalArgumentException("Linear: sizes " + inFeatures + " → " + outFeatures);
        this.inFeatures = inFeatures;
        this.outFeatures = outFeatures;
        weight = registerParameter("weight", new Parameter(Tensor.zeros(outFeatures, inFeatures)));
        this.bias = bias ? registerParameter("bias", new Parameter(Tensor.zeros(outFeatures))) : null;
        Init.defaultLinear(weight, this.bias, rng);
    }

    public Linear(int inFeatures, int outFeatures, Rng rng) {
        this(inFeatures, outFeatures, true, rng);
    }

    @Override
    public Variable forward(Variable x) {
        Tensor xv = x.value();
        int[] xs = xv.shape();
        if (xs.length < 1 || xs[xs.length - 1] != inFeatures) {
            throw new IllegalArgumentException("Linear(" + inFeatures + " → " + outFeatures + "): input " + Shape.str(xs));
        }
        Backend be = Backends.current();
        Tensor wv = weight.value();
        Tensor x2 = xv.reshape(-1, inFeatures);
        Tensor y = be.linear(x2, wv, bias == null ? null : bias.value());
        int[] ys = xs.clone();
        ys[ys.length - 1] = outFeatures;
        return Grad.record("linear", y.reshape(ys), g -> {
            Tensor g2 = g.reshape(-1, outFeatures);
            Tensor gx = x.requiresGrad() ? be.matmul(g2, wv, false, false).reshape(xs) : null;
            Tensor[] pg = LayerGrads.route(this, xv, g);
            return new Tensor[] {gx, pg[0], bias == null ? null : pg[1]};
        }, x, weight, bias);
    }

    @Override
    public List<Parameter> perExampleParameters() {
        List<Parameter> ps = new ArrayList<>(List.of(weight));
        if (bias != null) ps.add(bias);
        return ps;
    }

    /** A = x [N, …, in], G [N, …, out]: ∂W = Gᵀ·A and ∂b = Σ G over all rows. */
    @Override
    public Tensor[] gradients(Tensor activation, Tensor gradOut) {
        Backend be = Backends.current();
        Tensor a2 = activation.reshape(-1, inFeatures);
        Tensor g2 = gradOut.reshape(-1, outFeatures);
        Tensor[] out = new Tensor[bias == null ? 1 : 2];
        if (weight.requiresGrad()) out[0] = be.matmul(g2, a2, true, false);
        if (bias != null && bias.requiresGrad()) out[1] = be.sum(g2, new int[] {0}, false);
        return out;
    }

    /** Linear form with T = the middle axes: ghost or materialised weight norm by shape, plus ‖Σ_t gₜ‖² for the bias. */
    @Override
    public float[] perExampleSqNorms(Tensor activation, Tensor gradOut) {
        int n = activation.size(0);
        Tensor a = activation.reshape(n, -1, inFeatures), g = gradOut.reshape(n, -1, outFeatures);
        return PerExample.linearSqNorms(a, g, weight.requiresGrad(), bias != null && bias.requiresGrad()).toArray();
    }

    @Override
    public PerExample.Norms perExampleNorms(Tensor activation, Tensor gradOut) {
        int n = activation.size(0);
        Tensor a = activation.reshape(n, -1, inFeatures), g = gradOut.reshape(n, -1, outFeatures);
        return PerExample.linearNorms(a, g, weight.requiresGrad(), bias != null, bias != null && bias.requiresGrad(), weight.value().shapeRef());
    }
}
