package org.dpmammo.nn;

import java.util.ArrayList;
import java.util.List;
import org.dpmammo.autograd.Grad;
import org.dpmammo.autograd.Variable;
import org.dpmammo.backend.Backend;
import org.dpmammo.backend.Backends;
import org.dpmammo.backend.BinaryOp;
import org.dpmammo.tensor.Shape;
import org.dpmammo.tensor.Tensor;
import org.dpmammo.util.Rng;

/**
 * Transposed convolution as PyTorch's ConvTranspose2d (DCGAN's generator): x [N, C_in, H, W] →
 * y [N, C_out, H', W'] with H' = (H − 1)·s − 2p + k + outputPadding; weight [C_in, C_out, k, k] (PyTorch's layout),
 * bias [C_out]. PyTorch's default init takes fan_in from weight dim 1, i.e. C_out·k².
 *
 * <p>The forward is the input-gradient of a convolution with the same weight, so the backward is a convolution
 * (∂x = conv2d(G, W)) and a convolution weight gradient with the roles of input and output swapped
 * (∂W = conv2dBackwardWeight(G, x)). Per-example view (DP): A = x [N, C_in, H, W], G [N, C_out, H', W'];
 * ∂Wᵢ is that weight gradient for example i alone, ∂bᵢ = Σ_{h,w} Gᵢ.
 */
public final class ConvTranspose2d extends PerExampleModule {
    public final int inChannels, outChannels, kernel, stride, padding, outputPadding;
    public final Parameter weight, bias;

    public ConvTranspose2d(int inChannels, int outChannels, int kernel, int stride, int padding, int outputPadding, boolean bias, Rng rng) {
        if (inChannels <= 0 || outChannels <= 0 || kernel <= 0 || stride <= 0 || padding < 0 || outputPadding < 0 || outputPadding >= stride) {
            throw new IllegalArgumentException("ConvTranspose2d: channels " + inChannels + " → " + outChannels + ", kernel " + kernel
                    + ", stride " + stride + ", padding " + padding + ", output padding " + outputPadding);
        }
        this.inChannels = inChannels;
        this.outChannels = outChannels;
        this.kernel = kernel;
        this.stride = stride;
        this.padding = padding;
        this.outputPadding = outputPadding;
        weight = registerParameter("weight", new Parameter(Tensor.zeros(inChannels, outChannels, kernel, kernel)));
        this.bias = bias ? registerParameter("bias", new Parameter(Tensor.zeros(outChannels))) : null;
        Init.defaultLinear(weight, this.bias, rng);
    }

    @Override
    public Variable forward(Variable x) {
        Tensor xv = x.value();
        int[] xs = xv.shape();
        if (xs.length != 4 || xs[1] != inChannels) {
            throw new IllegalArgumentException("ConvTranspose2d(" + inChannels + " → " + outChannels + "): input " + Shape.str(xs));
        }
        int oh = (xs[2] - 1) * stride - 2 * padding + kernel + outputPadding;
        int ow = (xs[3] - 1) * stride - 2 * padding + kernel + outputPadding;
        if (oh <= 0 || ow <= 0) throw new IllegalArgumentException("ConvTranspose2d: input " + Shape.str(xs) + " gives an empty " + oh + "x" + ow + " output");
        Backend be = Backends.current();
        Tensor wv = weight.value();
        Tensor y = be.conv2dBackwardInput(xv, wv, oh, ow, stride, stride, padding, padding);
        if (bias != null) y = be.binary(BinaryOp.ADD, y, bias.value().reshape(1, outChannels, 1, 1));
        return Grad.record("convTranspose2d", y, g -> {
            Tensor gx = x.requiresGrad() ? be.conv2d(g, wv, null, stride, stride, padding, padding) : null;
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

    /** A = x [N, C_in, H, W], G [N, C_out, H', W']. */
    @Override
    public Tensor[] gradients(Tensor activation, Tensor gradOut) {
        Backend be = Backends.current();
        Tensor[] out = new Tensor[bias == null ? 1 : 2];
        if (weight.requiresGrad()) out[0] = be.conv2dBackwardWeight(gradOut, activation, kernel, kernel, stride, stride, padding, padding);
        if (bias != null && bias.requiresGrad()) out[1] = be.sum(gradOut, new int[] {0, 2, 3}, false);
        return out;
    }

    /**
     * The weight gradient [C_in, C_out, k, k] is that of a convolution of G by A read the other way round: U = the
     * unfolded G [N, C_out·k², H·W] and the "output gradient" A [N, C_in, H·W]; the bias norm comes from G directly.
     */
    @Override
    public float[] perExampleSqNorms(Tensor activation, Tensor gradOut) {
        return perExampleNorms(activation, gradOut).sqNorms().toArray();
    }

    @Override
    public PerExample.Norms perExampleNorms(Tensor activation, Tensor gradOut) {
        int n = activation.size(0);
        Tensor w = null, b = null;
        if (weight.requiresGrad()) {
            Tensor u = Backends.current().unfold(gradOut, kernel, kernel, stride, stride, padding, padding);
            w = PerExample.convNorms(u, activation.reshape(n, activation.size(1), -1), true, false, false, weight.value().shapeRef()).sqNorms();
        }
        if (bias != null && bias.requiresGrad()) b = PerExample.rowSqNorms(Backends.current().sum(gradOut, new int[] {2, 3}, false));
        Tensor out = PerExample.plus(w, b);
        return new PerExample.Norms(out == null ? PerExample.zeroNorms(n) : out, null);
    }
}
