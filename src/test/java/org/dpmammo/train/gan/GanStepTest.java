package org.dpmammo.train.gan;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.HashMap;
import java.util.Map;
import org.dpmammo.autograd.Ops;
import org.dpmammo.autograd.Variable;
import org.dpmammo.models.gan.GanConfig;
import org.dpmammo.nn.Parameter;
import org.dpmammo.tensor.Tensor;
import org.dpmammo.util.Rng;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * D's pass over real and fake together ({@link GanStep#discriminate}) gives the outputs and weight gradients of two
 * separate passes, as the study's loop makes them, for every norm (BatchNorm by keeping the two passes).
 */
class GanStepTest {
    @ParameterizedTest
    @EnumSource(GanConfig.Norm.class)
    void oneJointPassEqualsSeparatePasses(GanConfig.Norm norm) {
        GanConfig config = new GanConfig(64, 4, 2, 3, 3, norm, norm, GanConfig.RealRange.SIGNED, GanConfig.Upsampling.TRANSPOSED);
        GanState s = new GanState(config, 11, 1e-4, 0.5, 0.999);
        Rng rng = new Rng(12);
        Tensor real = gaussian(rng, 3), fake = gaussian(rng, 2);
        int[] labels = {1, 0, 1}, fakeLabels = {0, 1};
        float[] wReal = {0.3f, -1.2f, 0.7f}, wFake = {-0.4f, 0.9f};

        s.optD.zeroGrad();
        Variable[] joint = GanStep.discriminate(s, Variable.constant(real), labels, Variable.constant(fake), fakeLabels);
        weighted(joint[0], wReal, joint[1], wFake).backward();
        Map<String, float[]> jointGrads = grads(s);

        s.optD.zeroGrad();
        Variable pReal = s.discriminator.forward(Variable.constant(real), labels);
        Variable pFake = s.discriminator.forward(Variable.constant(fake), fakeLabels);
        weighted(pReal, wReal, pFake, wFake).backward();

        assertClose(pReal.value().toArray(), joint[0].value().toArray(), norm + " D(x)");
        assertClose(pFake.value().toArray(), joint[1].value().toArray(), norm + " D(G(z))");
        Map<String, float[]> separate = grads(s);
        assertEquals(separate.keySet(), jointGrads.keySet());
        for (String name : separate.keySet()) assertClose(separate.get(name), jointGrads.get(name), norm + " d/d " + name);
    }

    /** Σ wReal·D(x) + Σ wFake·D(G(z)): distinct weights, so a swapped or misplaced output would show. */
    private static Variable weighted(Variable pReal, float[] wReal, Variable pFake, float[] wFake) {
        Variable a = Ops.sum(Ops.mul(pReal, Variable.constant(Tensor.of(wReal, wReal.length))), false);
        Variable b = Ops.sum(Ops.mul(pFake, Variable.constant(Tensor.of(wFake, wFake.length))), false);
        return Ops.add(a, b);
    }

    private static Map<String, float[]> grads(GanState s) {
        Map<String, float[]> out = new HashMap<>();
        for (Map.Entry<String, Parameter> e : s.discriminator.namedParameters().entrySet()) {
            out.put(e.getKey(), e.getValue().grad().toArray());
        }
        return out;
    }

    private static Tensor gaussian(Rng rng, int b) {
        float[] v = new float[b * 64 * 64];
        for (int i = 0; i < v.length; i++) v[i] = (float) (0.5 * rng.nextGaussian());
        return Tensor.of(v, b, 1, 64, 64);
    }

    private static void assertClose(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            double tol = 1e-5 * Math.max(1, Math.abs(expected[i]));
            int at = i;
            assertEquals(expected[i], actual[i], tol, () -> what + " element " + at);
        }
    }
}
