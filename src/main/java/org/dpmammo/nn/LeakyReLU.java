package org.dpmammo.nn;

import org.dpmammo.autograd.Ops;
import org.dpmammo.autograd.Variable;

/** Element-wise x for x ≥ 0, slope·x otherwise (PyTorch's default slope 0.01; the study's GAN uses 0.1, its head 0.2). */
public final class LeakyReLU extends Module {
    public final float negativeSlope;

    public LeakyReLU(float negativeSlope) {
        this.negativeSlope = negativeSlope;
    }

    public LeakyReLU() {
        this(0.01f);
    }

    @Override
    public Variable forward(Variable x) {
        return Ops.leakyRelu(x, negativeSlope);
    }
}
