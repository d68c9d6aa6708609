package org.dpmammo.autograd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dpmammo.tensor.Tensor;
import org.junit.jupiter.api.Test;

class AutogradTest {
    private static Variable leaf(float... v) {
        return new Variable(Tensor.of(v, v.length), true);
    }

    @Test
    void sharedSubexpressionsAccumulateGradients() {
        Variable x = leaf(1, 2, 3);
        Variable y = Ops.mul(x, x); // x used twice
        Variable z = Ops.add(y, x); // and again
        Ops.sum(z, false).backward();
        assertArrayEquals(new float[] {3, 5, 7}, x.grad().toArray(), 1e-6f); // 2x + 1
    }

    @Test
    void gradientsAccumulateAcrossBackwardCalls() {
        Variable x = leaf(1, 2);
        Ops.sum(Ops.mulScalar(x, 3), false).backward();
        Ops.sum(Ops.mulScalar(x, 3), false).backward();
        assertArrayEquals(new float[] {6, 6}, x.grad().toArray());
        x.zeroGrad();
        assertNull(x.grad());
    }

    @Test
    void noGradRecordsNothing() {
        Variable x = leaf(1, 2);
        Variable y;
        try (var s = Grad.noGrad()) {
            y = Ops.mul(x, x);
        }
        assertFalse(y.requiresGrad());
        assertTrue(Grad.enabled());
        assertThrows(IllegalStateException.class, () -> Ops.sum(y, false).backward());
    }

    @Test
    void detachCutsTheGraph() {
        Variable x = leaf(2, 3);
        Variable y = Ops.mul(Ops.mul(x, x).detach(), x); // d/dx = x² (detached factor)
        Ops.sum(y, false).backward();
        assertArrayEquals(new float[] {4, 9}, x.grad().toArray());
    }

    @Test
    void savedActivationsAreReleasedAfterBackward() {
        Variable x = leaf(1, 2);
        Variable y = Ops.mul(x, x);
        Variable loss = Ops.sum(y, false);
        loss.backward();
        IllegalStateException e = assertThrows(IllegalStateException.class, loss::backward);
        assertTrue(e.getMessage().contains("already used"), e.getMessage());
    }

    @Test
    void deepChainsDoNotOverflowTheStack() {
        Variable x = leaf(1);
        Variable y = x;
        for (int i = 0; i < 20000; i++) y = Ops.addScalar(y, 1e-4f);
        Ops.sum(y, false).backward();
        assertArrayEquals(new float[] {1}, x.grad().toArray());
    }

    @Test
    void nanNamesTheOpThatMadeIt() {
        Variable x = leaf(-1, 2);
        ArithmeticException e = assertThrows(ArithmeticException.class, () -> Ops.log(x));
        assertTrue(e.getMessage().startsWith("log: produced NaN"), e.getMessage());
        Variable bad = Variable.constant(Tensor.of(new float[] {Float.NaN}, 1));
        ArithmeticException e2 = assertThrows(ArithmeticException.class, () -> Ops.add(x, bad));
        assertTrue(e2.getMessage().contains("input of shape [1] contains NaN"), e2.getMessage());
    }

    @Test
    void shapeMismatchesNameTheOpAndShapes() {
        Variable a = new Variable(Tensor.zeros(2, 3), true);
        Variable b = new Variable(Tensor.zeros(4), true);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Ops.add(a, b));
        assertTrue(e.getMessage().contains("add: shapes [2, 3] and [4] do not broadcast"), e.getMessage());
        IllegalArgumentException m = assertThrows(IllegalArgumentException.class, () -> Ops.matmul(a, a));
        assertTrue(m.getMessage().startsWith("matmul: inner sizes differ"), m.getMessage());
        IllegalArgumentException ax = assertThrows(IllegalArgumentException.class, () -> Ops.sum(a, false, 2));
        assertTrue(ax.getMessage().contains("axis 2 out of range"), ax.getMessage());
    }

    @Test
    void bceMatchesPyTorchForSoftTargetsAboveOne() {
        // BCELoss(p=0.8, t=1.1) = -(1.1·ln 0.8 + (−0.1)·ln 0.2), computed by hand.
        Variable p = leaf(0.8f);
        Variable l = NnOps.binaryCrossEntropy(p, Tensor.of(new float[] {1.1f}, 1));
        double expected = -(1.1 * Math.log(0.8) - 0.1 * Math.log(0.2));
        assertArrayEquals(new float[] {(float) expected}, l.value().toArray(), 1e-6f);
        // The log clamp at −100 keeps p = 0 finite.
        Variable z = NnOps.binaryCrossEntropy(leaf(0f), Tensor.of(new float[] {1f}, 1));
        assertArrayEquals(new float[] {100f}, z.value().toArray(), 1e-4f);
    }

    @Test
    void crossEntropyWithSmoothingMatchesTheDefinition() {
        Variable logits = leaf(1, 2, 0.5f);
        Variable l = NnOps.crossEntropy(Ops.reshape(logits, 1, 3), new int[] {1}, 0.1f);
        double lse = Math.log(Math.exp(1) + Math.exp(2) + Math.exp(0.5));
        double[] logp = {1 - lse, 2 - lse, 0.5 - lse};
        double expected = -(0.9 * logp[1] + 0.1 / 3 * (logp[0] + logp[1] + logp[2]));
        assertArrayEquals(new float[] {(float) expected}, l.value().toArray(), 1e-6f);
    }
}
