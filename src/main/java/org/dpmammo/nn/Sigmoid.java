package org.dpmammo.nn;

import org.dpmammo.autograd.Ops;
import org.dpmammo.autograd.Variable;

/** Element-wise 1 / (1 + e^−x). */
public final class Sigmoid extends Module {
    @Override
    public Variable forward(Variable x) {
        return Ops.sigmoid(x);
    }
}
