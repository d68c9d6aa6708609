package org.dpmammo.nn;

import org.dpmammo.autograd.Ops;
import org.dpmammo.autograd.Variable;

/** Element-wise tanh(x). */
public final class Tanh extends Module {
    @Override
    public Variable forward(Variable x) {
        return Ops.tanh(x);
    }
}
