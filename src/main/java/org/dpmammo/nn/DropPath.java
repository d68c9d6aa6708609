package org.dpmammo.nn;

import org.dpmammo.autograd.NnOps;
import org.dpmammo.autograd.Variable;
import org.dpmammo.util.Rng;

/**
 * Stochastic depth on a residual branch (torchvision's StochasticDepth, mode "row"): while training, each example's
 * branch output is dropped with probability p and the kept ones are scaled by 1/(1 − p). It acts per example, so it
 * is compatible with per-example gradients. The identity in eval mode.
 */
public final class DropPath extends Module {
    public final float p;
    private final Rng rng;

    public DropPath(float p, Rng rng) {
        if (p < 0 || p >= 1) throw new IllegalArgumentException("DropPath: probability " + p + " outside [0, 1)");
        this.p = p;
        this.rng = rng;
    }

    @Override
    public Variable forward(Variable x) {
        return NnOps.dropPath(x, p, isTraining(), rng);
    }
}
