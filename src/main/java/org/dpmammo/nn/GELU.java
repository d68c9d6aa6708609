package org.dpmammo.nn;

import org.dpmammo.autograd.Ops;
import org.dpmammo.autograd.Variable;

/** Element-wise x·Φ(x) with the error function, not the tanh approximation (PyTorch's approximate='none'). */
public final class GELU extends Module {
    @Override
    public Variable forward(Variable x) {
        return Ops.gelu(x);
    }
}
