package org.dpmammo.models.swin;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dpmammo.autograd.Grad;
import org.dpmammo.autograd.Ops;
import org.dpmammo.autograd.Variable;
import org.dpmammo.nn.Sequential;
import org.dpmammo.tensor.Tensor;
import org.dpmammo.util.Rng;
import org.dpmammo.util.Scope;
import org.junit.jupiter.api.Test;

/** The ViT-style preset: one stage of global attention, no shift, no merging, built by the Swin code. */
class VitConfigTest {
    static Tensor random(long seed, int... shape) {
        Rng rng = new Rng(seed);
        Tensor x = Tensor.zeros(shape);
        for (int i = 0; i < x.numel(); i++) x.data()[i] = (float) rng.uniform(-1, 1);
        return x;
    }

    @Test
    void presetShapesAndStateDict() {
        SwinConfig c = SwinConfig.vit();
        assertTrue(c.globalAttention());
        assertFalse(SwinConfig.cpu().globalAttention());
        assertEquals(8, c.window());
        assertEquals(96, c.numFeatures());
        SwinTransformer m = new SwinTransformer(c, SwinTransformer.Head.LINEAR, 2, new Rng(1));
        assertEquals(2, m.features.size(), "patch embedding and one stage, no patch merging");
        var sd = m.stateDict();
        assertArrayEquals(new int[] {96, 3, 8, 8}, sd.get("features.0.0.weight").shape());
        assertArrayEquals(new int[] {15 * 15, 3}, sd.get("features.1.5.attn.relative_position_bias_table").shape());
        assertFalse(sd.containsKey("features.2.reduction.weight"));
        for (int b = 0; b < 6; b++) {
            WindowAttention a = ((SwinBlock) ((Sequential) m.features.get(1)).get(b)).attn;
            assertEquals(0, WindowGeometry.effectiveShift(8, 8, a.window, a.shift), "block " + b + " must not shift");
        }
        m.eval();
        try (Scope s = Grad.noGrad()) {
            Variable x = Variable.constant(random(2, 2, 3, 64, 64));
            assertArrayEquals(new int[] {2, 8, 8, 96}, m.features.get(0).forward(x).value().shape());
            assertArrayEquals(new int[] {2, 96}, m.features(x).value().shape());
            assertArrayEquals(new int[] {2, 2}, m.forward(x).value().shape());
        }
        assertThrows(IllegalArgumentException.class, () -> SwinConfig.vit(60, 8, 96, 6, 3, 4.0, 0.1));
    }

    /** One block mixes every token with every other: a change in one corner reaches the opposite corner. */
    @Test
    void oneBlockAttendsGlobally() {
        SwinTransformer m = new SwinTransformer(SwinConfig.vit(16, 2, 8, 1, 2, 2.0, 0.0), SwinTransformer.Head.LINEAR, 2, new Rng(3));
        m.eval();
        Tensor x = random(4, 1, 8, 8, 8);
        Tensor y = x.copy();
        y.set(y.get(0, 0, 0, 0) + 1f, 0, 0, 0, 0);
        Sequential stage = (Sequential) m.features.get(1);
        try (Scope s = Grad.noGrad()) {
            Tensor a = stage.forward(Variable.constant(x)).value(), b = stage.forward(Variable.constant(y)).value();
            assertTrue(Math.abs(a.get(0, 7, 7, 0) - b.get(0, 7, 7, 0)) > 1e-7, "the far corner did not see the change");
        }
    }

    @Test
    void forwardBackwardReachesEveryParameter() {
        SwinTransformer m = new SwinTransformer(SwinConfig.vit(), SwinTransformer.Head.MLP, 2, new Rng(5));
        m.train();
        Ops.sum(m.forward(Variable.constant(random(6, 1, 3, 64, 64))), false, 0, 1).backward();
        m.namedParameters().forEach((k, p) -> assertNotNull(p.grad(), k));
    }
}
