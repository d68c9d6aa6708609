package org.dpmammo.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.function.Function;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.dpmammo.autograd.Variable;
import org.dpmammo.tensor.Tensor;
import org.dpmammo.testing.TestTensors;
import org.dpmammo.util.Rng;

/**
 * Every layer's vectorised per-example squared gradient norm against B single-example backward passes, for random
 * shapes including B = 0 and 1, with some parameters frozen.
 */
class PerExampleNormProperties {
    static void check(PerExampleLayer layer, Function<Tensor, Variable> forward, Tensor input, long seed) {
        Rng rng = new Rng(seed);
        int n = input.size(0);
        List<Parameter> params = layer.perExampleParameters();
        Variable full = forward.apply(input);
        Tensor r = TestTensors.randn(rng, full.shape());
        double[] expected = new double[n];
        float[][][] single = new float[n][params.size()][];
        for (int i = 0; i < n; i++) {
            for (Parameter p : params) p.zeroGrad();
            forward.apply(input.slice(0, i, i + 1).contiguous()).backward(r.slice(0, i, i + 1).contiguous());
            for (int k = 0; k < params.size(); k++) {
                Parameter p = params.get(k);
                if (p.grad() == null) continue;
                single[i][k] = p.grad().toArray();
                for (float v : single[i][k]) expected[i] += (double) v * v;
            }
        }
        Tensor[] captured = new Tensor[2];
        layer.setGradientSink((l, a, g) -> {
            captured[0] = a;
            captured[1] = g;
        });
        try {
            forward.apply(input).backward(r);
        } finally {
            layer.setGradientSink(null);
        }
        if (n == 0) return;
        float[] fast = layer.perExampleSqNorms(captured[0], captured[1]);
        PerExample.Norms withGrads = layer.perExampleNorms(captured[0], captured[1]);
        for (int i = 0; i < n; i++) {
            assertEquals(expected[i], fast[i], 1e-4 * Math.max(1, expected[i]), "example " + i + " of " + layer.getClass().getSimpleName());
            assertEquals(expected[i], withGrads.sqNorms().get(i), 1e-4 * Math.max(1, expected[i]), "example " + i + " (norms with gradients)");
        }
        if (withGrads.perExampleGrads() == null) return;
        for (int k = 0; k < params.size(); k++) {
            Tensor g = withGrads.perExampleGrads()[k];
            if (g == null) continue;
            int per = g.numel() / n;
            float[] all = g.toArray();
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < per; j++) {
                    assertEquals(single[i][k][j], all[i * per + j], 1e-4, "materialised gradient of parameter " + k + ", example " + i);
                }
            }
        }
    }

    static Tensor input(Rng rng, int... shape) {
        return TestTensors.randn(rng, shape);
    }

    @Property(tries = 15)
    void linearOverTokens(@ForAll @IntRange(min = 1, max = 5) int b, @ForAll @IntRange(min = 1, max = 6) int t,
            @ForAll @IntRange(min = 1, max = 8) int d, @ForAll @IntRange(min = 1, max = 8) int p, @ForAll boolean freezeWeight, @ForAll long seed) {
        Rng rng = new Rng(seed);
        Linear l = new Linear(d, p, true, rng);
        l.weight.setRequiresGrad(!freezeWeight);
        check(l, x -> l.forward(new Variable(x, true)), input(rng, b, t, d), seed);
    }

    @Property(tries = 15)
    void conv2d(@ForAll @IntRange(min = 1, max = 3) int b, @ForAll @IntRange(min = 0, max = 4) int shape, @ForAll long seed) {
        int[][] ksp = {{4, 2, 1}, {6, 2, 2}, {4, 1, 0}, {6, 1, 1}, {4, 4, 0}};
        int[] c = ksp[shape];
        Rng rng = new Rng(seed);
        Conv2d l = new Conv2d(2, 3, c[0], c[1], c[2], true, rng);
        check(l, x -> l.forward(new Variable(x, true)), input(rng, b, 2, 8, 8), seed);
    }

    /**
     * Batches beyond {@link Conv2d#NORM_CHUNK}, which the norm pass takes a slice at a time: against the single-example
     * loop, and bit for bit against the same rule over the whole batch at once (ghost and materialised shapes both).
     */
    @Property(tries = 6)
    void conv2dNormsAcrossChunks(@ForAll @IntRange(min = 17, max = 40) int b, @ForAll @IntRange(min = 0, max = 4) int shape, @ForAll long seed) {
        int[][] ksp = {{4, 2, 1}, {6, 2, 2}, {4, 1, 0}, {6, 1, 1}, {4, 4, 0}};
        int[] c = ksp[shape];
        Rng rng = new Rng(seed);
        Conv2d l = new Conv2d(2, 3, c[0], c[1], c[2], true, rng);
        Tensor x = input(rng, b, 2, 8, 8);
        check(l, v -> l.forward(new Variable(v, true)), x, seed);
        Variable y = l.forward(new Variable(x, true));
        Tensor g = TestTensors.randn(rng, y.shape());
        Tensor u = org.dpmammo.backend.Backends.current().unfold(x, l.kernel, l.kernel, l.stride, l.stride, l.padding, l.padding);
        PerExample.Norms whole = PerExample.convNorms(u, g.reshape(b, 3, -1), true, true, true, l.weight.value().shapeRef());
        PerExample.Norms chunked = l.perExampleNorms(x, g);
        assertEquals(java.util.Arrays.toString(whole.sqNorms().toArray()), java.util.Arrays.toString(chunked.sqNorms().toArray()));
        assertEquals(whole.perExampleGrads() == null, chunked.perExampleGrads() == null);
        if (whole.perExampleGrads() != null) {
            for (int k = 0; k < whole.perExampleGrads().length; k++) {
                assertEquals(java.util.Arrays.toString(whole.perExampleGrads()[k].toArray()), java.util.Arrays.toString(chunked.perExampleGrads()[k].toArray()));
            }
        }
    }

    @Property(tries = 10)
    void convTranspose2d(@ForAll @IntRange(min = 1, max = 3) int b, @ForAll boolean strided, @ForAll long seed) {
        Rng rng = new Rng(seed);
        ConvTranspose2d l = strided ? new ConvTranspose2d(3, 2, 4, 2, 1, 0, true, rng) : new ConvTranspose2d(3, 2, 4, 1, 0, 0, false, rng);
        check(l, x -> l.forward(new Variable(x, true)), input(rng, b, 3, strided ? 4 : 1, strided ? 4 : 1), seed);
    }

    @Property(tries = 10)
    void norms(@ForAll @IntRange(min = 1, max = 4) int b, @ForAll @IntRange(min = 0, max = 2) int kind, @ForAll boolean freezeBias, @ForAll long seed) {
        Rng rng = new Rng(seed);
        AffineNorm l = switch (kind) {
            case 0 -> new LayerNorm(5);
            case 1 -> new GroupNorm(2, 4);
            default -> new InstanceNorm2d(4, 1e-5f, true);
        };
        // Random affine parameters, so the rule is not tested at γ = 1, β = 0 only.
        for (Parameter p : l.perExampleParameters()) p.setValue(TestTensors.randn(rng, p.value().shape()));
        l.perExampleParameters().get(1).setRequiresGrad(!freezeBias);
        Tensor x = kind == 0 ? input(rng, b, 3, 5) : input(rng, b, 4, 3, 3);
        check(l, v -> l.forward(new Variable(v, true)), x, seed);
    }

    @Property(tries = 5)
    void embeddingUsesTheGenericLoop(@ForAll @IntRange(min = 1, max = 4) int b, @ForAll long seed) {
        Rng rng = new Rng(seed);
        Embedding e = new Embedding(5, 3, rng);
        int[] idx = new int[b * 2];
        for (int i = 0; i < idx.length; i++) idx[i] = rng.nextInt(5);
        float[] f = new float[idx.length];
        for (int i = 0; i < f.length; i++) f[i] = idx[i];
        check(e, x -> e.forward(Variable.constant(x)), Tensor.of(f, b, 2), seed);
    }
}
