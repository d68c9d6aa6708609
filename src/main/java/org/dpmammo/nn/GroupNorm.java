package org.dpmammo.nn;

import org.dpmammo.autograd.NnOps;
import org.dpmammo.autograd.Ops;
import org.dpmammo.autograd.Variable;
import org.dpmammo.tensor.Shape;

/**
 * Normalisation of x [N, C, …] over groups of C/G consecutive channels and all spatial positions, per example;
 * per-channel affine γ, β [C] (weight 1, bias 0), eps 1e-5 by default, as PyTorch.
 */
public final class GroupNorm extends AffineNorm {
    public final int numGroups, numChannels;
    public final float eps;

    public GroupNorm(int numGroups, int numChannels, float eps, boolean affine) {
        super(new int[] {numChannels}, affine);
        if (numGroups <= 0 || numChannels % numGroups != 0) {
            throw new IllegalArgumentException("GroupNorm: " + numChannels + " channels do not split into " + numGroups + " groups");
        }
        this.numGroups = numGroups;
        this.numChannels = numChannels;
        this.eps = eps;
    }

    public GroupNorm(int numGroups, int numChannels) {
        this(numGroups, numChannels, 1e-5f, true);
    }

    @Override
    protected Variable normalize(Variable x) {
        int[] s = x.value().shape();
        if (s.length < 2 || s[1] != numChannels) throw new IllegalArgumentException("GroupNorm(" + numGroups + ", " + numChannels + "): input " + Shape.str(s));
        // The group length is spelled out rather than inferred with −1, which cannot be resolved for an empty batch.
        int groupLen = numChannels / numGroups;
        for (int i = 2; i < s.length; i++) groupLen *= s[i];
        Variable grouped = Ops.reshape(x, s[0], numGroups, groupLen);
        return Ops.reshape(NnOps.normalizeLast(grouped, eps, 1), s);
    }

    @Override
    protected int[] broadcastShape(int[] inputShape) {
        return channelView(numChannels, inputShape.length);
    }
}
