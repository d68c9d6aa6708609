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
 * 2-D convolution, NCHW, square kernel, one stride and padding for both axes (all DCGAN and Swin need):
 * x [N, C_in, H, W] → y [N, C_out, H', W'] with H' = ⌊(H + 2p − k)/s⌋ + 1; weight [C_out, C_in, k, k], bias [C_out].
 *
 * <p>Per-example view (DP): A = x [N, C_in, H, W], G [N, C_out, H', W']. After unfolding A into patches, a conv is
 * a Linear layer over T = H'·W' positions with d = C_in·k² and p = C_out (docs/DP-MATH.md §1.3), so the Linear norm rules
 * carry over; ∂Wᵢ is the weight gradient of example i alone and ∂bᵢ = Σ_{h,w} Gᵢ.
 */
public final class Conv2d extends PerExampleModule {
    public final int inChannels, outChannels, kernel, stride, padding;
    public final Parameter weight, bias;

    public Conv2d(int inChannels, int outChannels, int kernel, int stride, int padding, boolean bias, Rng rng) {
        if (inChannels <= 0 || outChannels <= 0 || kernel <= 0 || stride <= 0 || padding < 0) {
            throw new IllegalArgumentException("Conv2d: channels " + inChannels + " → " + outChannels + ", kernel " + kernel + ", stride " + stride + ", padding " + padding);
        }
        this.inChannels = inChannels;
        this.outChannels = outChannels;
        this.kernel = kernel;
        this.stride = stride;
        this.padding = padding;
        weight = registerParameter("weight", new Parameter(Tensor.zeros(outChannels, inChannels, kernel, kernel)));
        this.bias = bias ? registerParameter("bias", new Parameter(Tensor.zeros(outChannels))) : null;
        Init.defaultLinear(weight, this.bias, rng);
    }

    @Override
    public Variable forward(Variable x) {
        Tensor xv = x.value();
        int[] xs = xv.shape();
        if (xs.length != 4 || xs[1] != inChannels || xs[2] + 2 * padding < kernel || xs[3] + 2 * padding < kernel) {
            throw new IllegalArgumentException("Conv2d(" + inChannels + " → " + outChannels + ", k" + kernel + ", p" + padding + "): input " + Shape.str(xs));
        }
        Backend be = Backends.current();
        Tensor wv = weight.value();
        Tensor y = be.conv2d(xv, wv, bias == null ? null : bias.value(), stride, stride, padding, padding);
        return Grad.record("conv2d", y, g -> {
            Tensor gx = x.requiresGrad() ? be.conv2dBackwardInput(g, wv, xs[2], xs[3], stride, stride, padding, padding) : null;
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

    /** A = x [N, C_in, H, W], G [N, C_out, H', W']: the convolution's weight gradient and Σ_{n,h,w} G. */
    @Override
    public Tensor[] gradients(Tensor activation, Tensor gradOut) {
        Backend be = Backends.current();
        Tensor[] out = new Tensor[bias == null ? 1 : 2];
        if (weight.requiresGrad()) out[0] = be.conv2dBackwardWeight(activation, gradOut, kernel, kernel, stride, stride, padding, padding);
        if (bias != null && bias.requiresGrad()) out[1] = be.sum(gradOut, new int[] {0, 2, 3}, false);
        return out;
    }

    /** After im2col, a linear layer over T = H'·W' positions with d = C_in·k² and p = C_out (see {@link PerExample#convNorms}). */
    @Override
    public float[] perExampleSqNorms(Tensor activation, Tensor gradOut) {
        return perExampleNorms(activation, gradOut).sqNorms().toArray();
    }

    /**
     * Examples per unfold in the norm pass. The unfolded input of a whole batch is the DP step's largest buffer (the
     * GAN discriminator's second convolution at batch 64: 64 × 1152 × 256 floats, 75 MB, with ghost Gram matrices of
     * 64 × 256 × 256 beside it); each example's norm reads only its own rows, so a slice of the batch at a time gives
     * the same norms, bit for bit, in a quarter of the memory at batch 64.
     */
    static final int NORM_CHUNK = 16;

    @Override
    public PerExample.Norms perExampleNorms(Tensor activation, Tensor gradOut) {
        int n = activation.size(0);
        if (n <= NORM_CHUNK) return chunkNorms(activation, gradOut);
        List<Tensor> norms = new ArrayList<>();
        List<Tensor[]> grads = new ArrayList<>();
        for (int lo = 0; lo < n; lo += NORM_CHUNK) {
            int hi = Math.min(n, lo + NORM_CHUNK);
            PerExample.Norms c = chunkNorms(activation.slice(0, lo, hi).contiguous(), gradOut.slice(0, lo, hi).contiguous());
            norms.add(c.sqNorms());
            grads.add(c.perExampleGrads());
        }
        Backend be = Backends.current();
        Tensor[] perExample = null;
        if (grads.get(0) != null) {
            perExample = new Tensor[grads.get(0).length];
            for (int k = 0; k < perExample.length; k++) {
                int kk = k;
                perExample[k] = grads.get(0)[k] == null ? null : be.concat(grads.stream().map(g -> g[kk]).toArray(Tensor[]::new), 0);
            }
        }
        return new PerExample.Norms(be.concat(norms.toArray(Tensor[]::new), 0), perExample);
    }

    private PerExample.Norms chunkNorms(Tensor activation, Tensor gradOut) {
        int n = activation.size(0);
        Tensor u = Backends.current().unfold(activation, kernel, kernel, stride, stride, padding, padding);
        Tensor g = gradOut.reshape(n, outChannels, -1);
        return PerExample.convNorms(u, g, weight.requiresGrad(), bias != null, bias != null && bias.requiresGrad(), weight.value().shapeRef());
    }
}
