package org.dpmammo.nn;

import org.dpmammo.autograd.NnOps;
import org.dpmammo.autograd.Variable;
import org.dpmammo.util.Rng;

/** Inverted dropout with probability p while training; the identity in eval mode. Owns its random stream. */
public final class Dropout extends Module {
    public final float p;
    private final Rng rng;

    public Dropout(float p, Rng rng) {
        if (p < 0 || p >= 1) throw new IllegalArgumentException("Dropout: probability " + p + " outside [0, 1)");
        this.p = p;
        this.rng = rng;
    }

    @Override
    public Variable forward(Variable x) {
        return NnOps.dropout(x, p, isTraining(), rng);
    }
}
