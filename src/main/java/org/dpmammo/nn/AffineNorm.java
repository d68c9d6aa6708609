package org.dpmammo.nn;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.dpmammo.autograd.Grad;
import org.dpmammo.autograd.Ops;
import org.dpmammo.autograd.Variable;
import org.dpmammo.backend.Backend;
import org.dpmammo.backend.Backends;
import org.dpmammo.backend.BinaryOp;
import org.dpmammo.tensor.Tensor;

/**
 * The per-example normalisations (LayerNorm, GroupNorm, InstanceNorm2d): a normalisation x̂ that uses one example's
 * statistics only, composed from autograd ops, followed by an optional affine step y = x̂·γ + β recorded here as its
 * own op, so that x̂ is the saved activation of the parameterised part.
 *
 * <p>Per-example view (DP): A = x̂ (the input's shape), G = ∂L/∂y (same shape); ∂γᵢ = Σ (x̂ᵢ ⊙ Gᵢ) and ∂βᵢ = Σ Gᵢ,
 * summed over every axis the parameter is broadcast along (for channel norms: the spatial axes; for LayerNorm:
 * the leading axes).
 */
public abstract class AffineNorm extends PerExampleModule {
    public final Parameter weight, bias;
    private final int[] paramShape;

    /** Parameters of paramShape (weight 1, bias 0, as PyTorch), or none when not affine. */
    protected AffineNorm(int[] paramShape, boolean affine) {
        this.paramShape = paramShape.clone();
        weight = affine ? registerParameter("weight", new Parameter(Tensor.full(1f, paramShape))) : null;
        bias = affine ? registerParameter("bias", new Parameter(Tensor.zeros(paramShape))) : null;
    }

    /** x̂: the input normalised with its own statistics, composed from differentiable ops. */
    protected abstract Variable normalize(Variable x);

    /** The shape γ and β are viewed as to broadcast against an input of the given shape. */
    protected abstract int[] broadcastShape(int[] inputShape);

    @Override
    public Variable forward(Variable x) {
        Variable xhat = normalize(x);
        if (weight == null) return xhat;
        Backend be = Backends.current();
        Tensor xv = xhat.value();
        int[] view = broadcastShape(xv.shapeRef());
        Tensor w = weight.value().reshape(view);
        Tensor y = be.binary(BinaryOp.ADD, be.binary(BinaryOp.MUL, xv, w), bias.value().reshape(view));
        return Grad.record("affine", y, g -> {
            Tensor gx = xhat.requiresGrad() ? be.binary(BinaryOp.MUL, g, w) : null;
            Tensor[] pg = LayerGrads.route(this, xv, g);
            return new Tensor[] {gx, pg[0], pg[1]};
        }, xhat, weight, bias);
    }

    @Override
    public List<Parameter> perExampleParameters() {
        List<Parameter> ps = new ArrayList<>();
        if (weight != null) {
            ps.add(weight);
            ps.add(bias);
        }
        return ps;
    }

    /** A = x̂, G = ∂L/∂y: ∂γ = Σ x̂ ⊙ G and ∂β = Σ G over the axes γ and β broadcast along. */
    @Override
    public Tensor[] gradients(Tensor activation, Tensor gradOut) {
        if (weight == null) return new Tensor[0];
        Backend be = Backends.current();
        int[] view = broadcastShape(activation.shapeRef());
        Tensor gw = weight.requiresGrad() ? Ops.sumTo(be.binary(BinaryOp.MUL, gradOut, activation), view).reshape(paramShape) : null;
        Tensor gb = bias.requiresGrad() ? Ops.sumTo(gradOut, view).reshape(paramShape) : null;
        return new Tensor[] {gw, gb};
    }

    /** γ and β are small: materialise each example's ∂γᵢ = Σ x̂ᵢ ⊙ Gᵢ and ∂βᵢ = Σ Gᵢ as [N, C…] and square. */
    @Override
    public float[] perExampleSqNorms(Tensor activation, Tensor gradOut) {
        return perExampleNorms(activation, gradOut).sqNorms().toArray();
    }

    @Override
    public PerExample.Norms perExampleNorms(Tensor activation, Tensor gradOut) {
        int n = activation.size(0);
        if (weight == null) return new PerExample.Norms(PerExample.zeroNorms(n), null);
        Backend be = Backends.current();
        // The parameters' broadcast view, right-aligned to the input's rank, with the example axis kept.
        int[] view = broadcastShape(activation.shapeRef());
        int[] perExample = new int[activation.rank()];
        Arrays.fill(perExample, 1);
        System.arraycopy(view, 0, perExample, perExample.length - view.length, view.length);
        perExample[0] = n;
        Tensor w = weight.requiresGrad() ? PerExample.rowSqNorms(Ops.sumTo(be.binary(BinaryOp.MUL, gradOut, activation), perExample)) : null;
        Tensor b = bias.requiresGrad() ? PerExample.rowSqNorms(Ops.sumTo(gradOut, perExample)) : null;
        Tensor out = PerExample.plus(w, b);
        return new PerExample.Norms(out == null ? PerExample.zeroNorms(n) : out, null);
    }

    /** [1, C, 1, …] for an input of the given rank: per-channel parameters on axis 1. */
    static int[] channelView(int channels, int rank) {
        int[] v = new int[rank];
        Arrays.fill(v, 1);
        v[1] = channels;
        return v;
    }
}
