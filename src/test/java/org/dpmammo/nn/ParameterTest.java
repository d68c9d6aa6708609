package org.dpmammo.nn;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dpmammo.autograd.Ops;
import org.dpmammo.autograd.Variable;
import org.dpmammo.tensor.Tensor;
import org.junit.jupiter.api.Test;

class ParameterTest {
    @Test
    void freezingStopsTrackingAndDropsTheGradient() {
        Parameter p = new Parameter(Tensor.full(2f, 3));
        Ops.sum(Ops.square(p), false).backward();
        assertNotNull(p.grad());
        p.setFrozen(true);
        assertTrue(p.isFrozen());
        assertNull(p.grad());
        assertFalse(Ops.square(p).requiresGrad(), "ops on frozen leaves are not recorded");
        p.setFrozen(false);
        assertTrue(Ops.square(p).requiresGrad());
    }

    @Test
    void onlyLeavesCanChangeTracking() {
        Variable y = Ops.square(new Parameter(Tensor.zeros(2)));
        assertThrows(IllegalStateException.class, () -> y.setRequiresGrad(false));
    }

    @Test
    void mutableValueCopiesAViewOnce() {
        Tensor base = Tensor.of(new float[] {1, 2, 3, 4}, 2, 2);
        Parameter p = new Parameter(Tensor.zeros(2, 2));
        p.setValue(base.transpose(0, 1));
        Tensor m = p.mutableValue();
        m.data()[0] = 9;
        assertTrue(base.data()[0] == 1f, "the original storage is untouched");
        assertSame(m, p.mutableValue());
        assertTrue(p.value().get(0, 1) == 3f, "the transposed view's values were kept");
    }
}
