package org.dpmammo.privacy.dpsgd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.util.List;
import org.dpmammo.autograd.Variable;
import org.dpmammo.nn.Linear;
import org.dpmammo.optim.SGD;
import org.dpmammo.privacy.noise.GaussianNoise;
import org.dpmammo.privacy.noise.RandomSource;
import org.dpmammo.util.Rng;
import org.junit.jupiter.api.Test;

/** The audit's hooks in DpSgd: extra (canary) examples are clipped like real ones; the test faults do what they say. */
class DpSgdAuditHookTest {
    /** Linear(2 → 1) with bias: 3 trainable values; SGD at lr 1; q·N = 0.5·4 = 2. */
    static float[] stepWith(float[] extra, double sigma, DpSgd.TestFault fault) throws IOException {
        Linear lin = new Linear(2, 1, new Rng(1));
        float[] before = flat(lin);
        DpSgd dp = new DpSgd(lin, new SGD(lin.parameters(), 1.0), new DpSgd.Config(sigma, 1.0, 0.5, 4, 8, DpSgd.Clipping.FLAT),
                new GaussianNoise(RandomSource.deterministic(1, "noise"))).withExtraExamples(step -> List.of(extra)).injectFaultForTest(fault);
        assertEquals(3, dp.trainableSize());
        dp.step(0, new int[0], idx -> Variable.constant(org.dpmammo.tensor.Tensor.zeros(0)));
        float[] after = flat(lin);
        float[] delta = new float[3];
        for (int i = 0; i < 3; i++) delta[i] = after[i] - before[i];
        return delta;
    }

    static float[] flat(Linear lin) {
        float[] w = lin.weight.value().toArray(), b = lin.bias.value().toArray();
        return new float[] {w[0], w[1], b[0]};
    }

    @Test
    void anExtraExampleIsClippedToCAndAddedBeforeTheDivision() throws IOException {
        // Raw norm 10 along (0.6, 0.8, 0): clipped to norm ~1, divided by q·N = 2, stepped against.
        float[] d = stepWith(new float[] {6, 8, 0}, 0, DpSgd.TestFault.NONE);
        assertArrayEquals(new float[] {-0.3f, -0.4f, 0}, d, 1e-5f);
    }

    @Test
    void skipClippingLetsTheRawGradientThrough() throws IOException {
        assertArrayEquals(new float[] {-3f, -4f, 0}, stepWith(new float[] {6, 8, 0}, 0, DpSgd.TestFault.SKIP_CLIPPING), 1e-5f);
    }

    @Test
    void skipNoiseIgnoresSigma() throws IOException {
        assertArrayEquals(stepWith(new float[] {6, 8, 0}, 0, DpSgd.TestFault.NONE), stepWith(new float[] {6, 8, 0}, 5, DpSgd.TestFault.SKIP_NOISE));
        float[] noisy = stepWith(new float[] {6, 8, 0}, 5, DpSgd.TestFault.NONE);
        assertEquals(true, Math.abs(noisy[2]) > 1e-3, "σ = 5 adds noise without the fault");
    }

    @Test
    void anExtraExampleOfTheWrongLengthIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> stepWith(new float[] {1, 2}, 0, DpSgd.TestFault.NONE));
    }
}
