package org.dpmammo.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.dpmammo.nn.Parameter;
import org.dpmammo.tensor.Tensor;
import org.junit.jupiter.api.Test;

class OptimizerTest {
    static final float[] W0 = {0.5f, -1.0f, 2.0f};
    static final float[][] GRADS = {{0.1f, -0.2f, 0.3f}, {-0.4f, 0.5f, 0.05f}, {0.2f, 0.0f, -0.3f}};

    // Parameter after each of three steps, printed by tools/reference/optim_reference.py (torch 1.13, float64).
    static final double[][] TORCH_SGD_MOMENTUM = {
        {0.489500000000, -0.979000000000, 1.968000000000},
        {0.515609450000, -1.004218900000, 1.932928800000},
        {0.520643906495, -1.026012112990, 1.926625084080}};
    static final double[][] TORCH_SGD_NESTEROV = {
        {0.480050000000, -0.960100000000, 1.939200000000},
        {0.546632905000, -1.036265810000, 1.900095520000},
        {0.531950961980, -1.058710223961, 1.924536586512}};
    static final double[][] TORCH_ADAM = {
        {0.490000000667, -0.990000000333, 1.990000000200},
        {0.494211229107, -0.991946872269, 1.980684074133},
        {0.493440077733, -0.992181080489, 1.974747844041}};
    static final double[][] TORCH_ADAMW = {
        {0.489500001000, -0.989000000500, 1.988000000333},
        {0.497012002306, -0.995012741992, 1.979810659114},
        {0.495975079602, -0.997693797681, 1.982464475634}};

    private static void checkTrajectory(Function<List<Parameter>, Optimizer> make, double[][] expected) {
        Parameter p = new Parameter(Tensor.of(W0.clone(), 3));
        Optimizer opt = make.apply(List.of(p));
        for (int s = 0; s < GRADS.length; s++) {
            p.setGrad(Tensor.of(GRADS[s].clone(), 3));
            opt.step();
            for (int i = 0; i < 3; i++) assertEquals(expected[s][i], p.value().get(i), 2e-6, "step " + (s + 1) + " element " + i);
        }
    }

    @Test
    void matchesTorchTrajectories() {
        checkTrajectory(ps -> new SGD(ps, 0.1, 0.9, 0.1, 0.01, false), TORCH_SGD_MOMENTUM);
        checkTrajectory(ps -> new SGD(ps, 0.1, 0.9, 0, 0.01, true), TORCH_SGD_NESTEROV);
        checkTrajectory(ps -> new Adam(ps, 0.01, 0.9, 0.999, 1e-8, 0.1), TORCH_ADAM);
        checkTrajectory(ps -> new AdamW(ps, 0.01, 0.5, 0.999, 1e-8, 0.1), TORCH_ADAMW);
    }

    @Test
    void sgdMomentumByHand() {
        // w = 1, g = 0.5, lr 0.1, μ 0.9, dampening 0.5, wd 0.2.
        // Step 1: d = 0.5 + 0.2·1 = 0.7; b = d = 0.7 (no dampening on the first step); w = 1 − 0.07 = 0.93.
        // Step 2: d = 0.5 + 0.2·0.93 = 0.686; b = 0.9·0.7 + 0.5·0.686 = 0.973; w = 0.93 − 0.0973 = 0.8327.
        Parameter p = new Parameter(Tensor.of(new float[] {1f}, 1));
        SGD opt = new SGD(List.of(p), 0.1, 0.9, 0.5, 0.2, false);
        p.setGrad(Tensor.of(new float[] {0.5f}, 1));
        opt.step();
        assertEquals(0.93, p.value().get(0), 1e-7);
        opt.step();
        assertEquals(0.8327, p.value().get(0), 1e-6);
        assertEquals(0.973, opt.state().get("0.momentum_buffer").get(0), 1e-6);
    }

    @Test
    void adamBiasCorrectionByHand() {
        // With bias correction, step 1 gives m̂ = g and v̂ = g², so w moves by lr·g/(|g| + eps) ≈ lr·sign(g)
        // whatever the gradient's size. Step 2 with the same g: m = g(1 − β₁²), v = g²(1 − β₂²) after correction
        // are again g and g², so the move is lr once more.
        Parameter p = new Parameter(Tensor.of(new float[] {1f, 1f}, 2));
        Adam opt = new Adam(List.of(p), 0.01);
        p.setGrad(Tensor.of(new float[] {1e-3f, -50f}, 2));
        opt.step();
        assertEquals(1 - 0.01, p.value().get(0), 1e-6);
        assertEquals(1 + 0.01, p.value().get(1), 1e-6);
        opt.step();
        assertEquals(1 - 0.02, p.value().get(0), 1e-6);
        assertEquals(1 + 0.02, p.value().get(1), 1e-6);
        assertEquals(2f, opt.state().get("0.step").item());
    }

    @Test
    void adamWDecaysBeforeTheStepAndAdamAddsToTheGradient() {
        // Zero gradient: Adam's update is driven by wd·w alone (one lr-sized step), AdamW's only by the decay
        // w·(1 − lr·wd), since m = 0 leaves the Adam part at 0.
        Parameter a = new Parameter(Tensor.of(new float[] {2f}, 1)), b = new Parameter(Tensor.of(new float[] {2f}, 1));
        Adam adam = new Adam(List.of(a), 0.1, 0.9, 0.999, 1e-8, 0.5);
        AdamW adamW = new AdamW(List.of(b), 0.1, 0.9, 0.999, 1e-8, 0.5);
        a.setGrad(Tensor.zeros(1));
        b.setGrad(Tensor.zeros(1));
        adam.step();
        adamW.step();
        assertEquals(2 - 0.1, a.value().get(0), 1e-6);
        assertEquals(2 * (1 - 0.1 * 0.5), b.value().get(0), 1e-6);
    }

    @Test
    void parametersWithoutGradientAreSkipped() {
        Parameter with = new Parameter(Tensor.of(new float[] {1f}, 1)), without = new Parameter(Tensor.of(new float[] {1f}, 1));
        Adam opt = new Adam(List.of(with, without), 0.1);
        with.setGrad(Tensor.of(new float[] {1f}, 1));
        opt.step();
        assertEquals(1f, without.value().get(0));
        assertNull(opt.state().get("1.step"));
        assertEquals(1f, opt.state().get("0.step").item());
        opt.zeroGrad();
        assertNull(with.grad());
    }

    @Test
    void stateRoundTripResumesExactly() {
        Parameter p = new Parameter(Tensor.of(W0.clone(), 3));
        Adam opt = new AdamW(List.of(p), 0.01, 0.9, 0.999, 1e-8, 0.1);
        for (int s = 0; s < 2; s++) {
            p.setGrad(Tensor.of(GRADS[s].clone(), 3));
            opt.step();
        }
        Map<String, Tensor> saved = opt.state();
        assertEquals(List.of("0.step", "0.exp_avg", "0.exp_avg_sq"), List.copyOf(saved.keySet()));
        Parameter q = new Parameter(p.value().copy());
        Adam resumed = new AdamW(List.of(q), 0.01, 0.9, 0.999, 1e-8, 0.1);
        resumed.loadState(saved);
        p.setGrad(Tensor.of(GRADS[2].clone(), 3));
        q.setGrad(Tensor.of(GRADS[2].clone(), 3));
        opt.step();
        resumed.step();
        assertArrayEquals(p.value().toArray(), q.value().toArray());
    }

    @Test
    void loadStateRefusesForeignState() {
        Parameter p = new Parameter(Tensor.zeros(3));
        SGD sgd = new SGD(List.of(p), 0.1, 0.9, 0, 0, false);
        assertThrows(IllegalArgumentException.class, () -> sgd.loadState(Map.of("0.exp_avg", Tensor.zeros(3))));
        assertThrows(IllegalArgumentException.class, () -> sgd.loadState(Map.of("1.momentum_buffer", Tensor.zeros(3))));
        assertThrows(IllegalArgumentException.class, () -> sgd.loadState(Map.of("0.momentum_buffer", Tensor.zeros(4))));
        assertThrows(IllegalArgumentException.class, () -> sgd.loadState(Map.of("x.momentum_buffer", Tensor.zeros(3))));
        assertTrue(sgd.state().isEmpty());
        assertThrows(IllegalArgumentException.class, () -> new SGD(List.of(p), 0.1, 0, 0, 0, true), "Nesterov needs momentum");
        assertThrows(IllegalArgumentException.class, () -> new Adam(List.of(p, p), 0.1), "a parameter listed twice");
    }
}
