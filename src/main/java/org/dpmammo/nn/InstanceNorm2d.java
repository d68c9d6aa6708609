package org.dpmammo.nn;

import org.dpmammo.autograd.NnOps;
import org.dpmammo.autograd.Variable;
import org.dpmammo.tensor.Shape;

/**
 * Normalisation of each (example, channel) plane of x [N, C, H, W] over H·W, as PyTorch's InstanceNorm2d with its
 * defaults: no running statistics (train and eval behave alike) and, unless asked, no affine parameters (the
 * DCGAN's setting). eps 1e-5.
 */
public final class InstanceNorm2d extends AffineNorm {
    public final int numFeatures;
    public final float eps;

    public InstanceNorm2d(int numFeatures, float eps, boolean affine) {
        super(new int[] {numFeatures}, affine);
        this.numFeatures = numFeatures;
        this.eps = eps;
    }

    public InstanceNorm2d(int numFeatures) {
        this(numFeatures, 1e-5f, false);
    }

    @Override
    protected Variable normalize(Variable x) {
        int[] s = x.value().shapeRef();
        if (s.length != 4 || s[1] != numFeatures) throw new IllegalArgumentException("InstanceNorm2d(" + numFeatures + "): input " + Shape.str(s));
        return NnOps.normalizeLast(x, eps, 2);
    }

    @Override
    protected int[] broadcastShape(int[] inputShape) {
        return channelView(numFeatures, inputShape.length);
    }
}
