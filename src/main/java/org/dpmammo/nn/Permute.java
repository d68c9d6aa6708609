package org.dpmammo.nn;

import org.dpmammo.autograd.Ops;
import org.dpmammo.autograd.Variable;

/**
 * Reorders axes (torchvision's ops.misc.Permute). It has no parameters but occupies a slot in a Sequential, which
 * is why Swin-T's patch-embedding LayerNorm is named {@code features.0.2}: keep it to keep the names.
 */
public final class Permute extends Module {
    private final int[] order;

    public Permute(int... order) {
        this.order = order.clone();
    }

    @Override
    public Variable forward(Variable x) {
        return Ops.permute(x, order);
    }
}
