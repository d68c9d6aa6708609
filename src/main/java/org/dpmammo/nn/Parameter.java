package org.dpmammo.nn;

import org.dpmammo.autograd.Variable;
import org.dpmammo.tensor.Tensor;

/**
 * A trainable leaf of a {@link Module}. Freezing it turns off gradient tracking, so the layers that own it skip
 * their weight-gradient computation altogether (a frozen Swin backbone costs only the input-gradient path).
 */
public final class Parameter extends Variable {
    public Parameter(Tensor value) {
        super(value.compact(), true);
    }

    public boolean isFrozen() {
        return !requiresGrad();
    }

    /** Freezes (or unfreezes) the parameter; freezing also drops any gradient it had accumulated. */
    public void setFrozen(boolean frozen) {
        setRequiresGrad(!frozen);
        if (frozen) zeroGrad();
    }

    /**
     * The value as a compact tensor for in-place updates by the optimizer; a strided view assigned with
     * {@link #setValue} is copied once here, since in-place writes need a flat array.
     */
    public Tensor mutableValue() {
        Tensor v = value();
        Tensor c = v.compact();
        if (c != v) setValue(c);
        return c;
    }
}
