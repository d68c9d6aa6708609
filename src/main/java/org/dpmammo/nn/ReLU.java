package org.dpmammo.nn;

import org.dpmammo.autograd.Ops;
import org.dpmammo.autograd.Variable;

/** Element-wise max(0, x). */
public final class ReLU extends Module {
    @Override
    public Variable forward(Variable x) {
        return Ops.relu(x);
    }
}
