package org.dpmammo.check;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.dpmammo.autograd.GradientCheck;
import org.dpmammo.autograd.NnOps;
import org.dpmammo.autograd.Ops;
import org.dpmammo.autograd.Variable;
import org.dpmammo.tensor.Tensor;
import org.dpmammo.util.Rng;

/**
 * The catalogue of differentiable ops with random-input generators: each case draws shapes (size-1 and broadcast
 * axes included) and values away from the op's kinks, so finite differences are meaningful. The self-test and the
 * property tests run the same catalogue.
 */
public final class GradChecks {
    private GradChecks() {}

    /** Float32 central differences with h = 1e-2 resolve gradients of these ops to about 1e-4; a wrong rule is off by O(1). */
    public static final double TOLERANCE = 1e-3;

    /** One case: inputs drawn from an Rng, the function, and which inputs need gradients. */
    public record Case(String name, Function<Rng, Tensor[]> inputs, Function<Variable[], Variable> f, boolean[] needsGrad) {
        public GradientCheck.Result run(long seed) {
            Rng rng = new Rng(seed);
            Tensor[] in = inputs.apply(rng);
            return GradientCheck.check(f, in, needsGrad, 48, seed + 1);
        }

        public String describe(long seed) {
            Tensor[] in = inputs.apply(new Rng(seed));
            StringBuilder sb = new StringBuilder();
            for (Tensor t : in) sb.append(sb.length() == 0 ? "" : " ").append(java.util.Arrays.toString(t.shapeRef()));
            return sb.toString();
        }
    }

    static Tensor uniform(Rng rng, float lo, float hi, int... shape) {
        Tensor t = Tensor.zeros(shape);
        float[] d = t.data();
        for (int i = 0; i < d.length; i++) d[i] = (float) rng.uniform(lo, hi);
        return t;
    }

    /** Values in ±[0.1, 2): no zero crossings, for ops with a kink at 0. */
    static Tensor awayFromZero(Rng rng, int... shape) {
        Tensor t = uniform(rng, 0.1f, 2f, shape);
        float[] d = t.data();
        for (int i = 0; i < d.length; i++) if (rng.nextDouble() < 0.5) d[i] = -d[i];
        return t;
    }

    /**
     * Distinct values spaced 0.1 apart in random order, centred on 0. Up to 200 elements keep every |value| ≤ 5, so the
     * finite-difference step (1e-2 · |value| ≤ 0.05) never changes an arg-max.
     */
    static Tensor distinct(Rng rng, int... shape) {
        Tensor t = Tensor.zeros(shape);
        if (t.numel() > 200) throw new IllegalArgumentException("distinct: at most 200 elements keep the step below the spacing, got " + t.numel());
        int[] perm = new int[t.numel()];
        for (int i = 0; i < perm.length; i++) perm[i] = i;
        rng.shuffle(perm);
        float[] d = t.data();
        for (int i = 0; i < d.length; i++) d[i] = 0.1f * perm[i] - 0.05f * d.length;
        return t;
    }

    static int dim(Rng rng) {
        return 1 + rng.nextInt(4);
    }

    private static boolean[] all(int n) {
        boolean[] b = new boolean[n];
        java.util.Arrays.fill(b, true);
        return b;
    }

    /** A shape of rank 1–4 and a second shape that broadcasts against it (some axes 1, some dropped). */
    static int[][] broadcastPair(Rng rng) {
        int rank = 1 + rng.nextInt(4);
        int[] a = new int[rank];
        for (int i = 0; i < rank; i++) a[i] = dim(rng);
        int drop = rng.nextInt(rank);
        int[] b = new int[rank - drop];
        for (int i = 0; i < b.length; i++) b[i] = rng.nextDouble() < 0.4 ? 1 : a[i + drop];
        return rng.nextDouble() < 0.5 ? new int[][] {a, b} : new int[][] {b, a};
    }

    private static Case binary(String name, java.util.function.BiFunction<Variable, Variable, Variable> op, boolean positiveB) {
        return new Case(name, rng -> {
            int[][] s = broadcastPair(rng);
            return new Tensor[] {uniform(rng, -2, 2, s[0]), positiveB ? uniform(rng, 0.5f, 2, s[1]) : uniform(rng, -2, 2, s[1])};
        }, v -> op.apply(v[0], v[1]), all(2));
    }

    private static Case unary(String name, Function<Variable, Variable> op, Function<Rng, Tensor> gen) {
        return new Case(name, rng -> new Tensor[] {gen.apply(rng)}, v -> op.apply(v[0]), all(1));
    }

    private static int[] randomShape(Rng rng) {
        int rank = 1 + rng.nextInt(4);
        int[] s = new int[rank];
        for (int i = 0; i < rank; i++) s[i] = dim(rng);
        return s;
    }

    /** Every case, in a fixed order. */
    public static List<Case> all() {
        List<Case> c = new ArrayList<>();
        c.add(binary("add", Ops::add, false));
        c.add(binary("sub", Ops::sub, false));
        c.add(binary("mul", Ops::mul, false));
        c.add(binary("div", Ops::div, true));
        c.add(new Case("maximum", rng -> {
            // b sits 0.1–1 above or below a and both stay within ±3, so the largest finite-difference step
            // (1e-2 · |value| ≤ 0.03) never carries one input across the other.
            int[] s = randomShape(rng);
            Tensor a = uniform(rng, -2, 2, s);
            Tensor b = Tensor.zeros(s);
            float[] ad = a.data(), bd = b.data();
            for (int i = 0; i < bd.length; i++) {
                float gap = (float) rng.uniform(0.1, 1);
                bd[i] = ad[i] + (rng.nextDouble() < 0.5 ? gap : -gap);
            }
            return new Tensor[] {a, b};
        }, v -> Ops.maximum(v[0], v[1]), all(2)));
        c.add(unary("neg", Ops::neg, rng -> uniform(rng, -2, 2, randomShape(rng))));
        c.add(unary("exp", Ops::exp, rng -> uniform(rng, -2, 2, randomShape(rng))));
        c.add(unary("log", Ops::log, rng -> uniform(rng, 0.5f, 3, randomShape(rng))));
        c.add(unary("sqrt", Ops::sqrt, rng -> uniform(rng, 0.5f, 3, randomShape(rng))));
        c.add(unary("rsqrt", Ops::rsqrt, rng -> uniform(rng, 0.5f, 3, randomShape(rng))));
        c.add(unary("square", Ops::square, rng -> uniform(rng, -2, 2, randomShape(rng))));
        c.add(unary("abs", Ops::abs, rng -> awayFromZero(rng, randomShape(rng))));
        c.add(unary("pow", x -> Ops.pow(x, 2.5f), rng -> uniform(rng, 0.5f, 2, randomShape(rng))));
        c.add(unary("tanh", Ops::tanh, rng -> uniform(rng, -2, 2, randomShape(rng))));
        c.add(unary("sigmoid", Ops::sigmoid, rng -> uniform(rng, -3, 3, randomShape(rng))));
        c.add(unary("relu", Ops::relu, rng -> awayFromZero(rng, randomShape(rng))));
        c.add(unary("leakyRelu", x -> Ops.leakyRelu(x, 0.1f), rng -> awayFromZero(rng, randomShape(rng))));
        c.add(unary("gelu", Ops::gelu, rng -> uniform(rng, -3, 3, randomShape(rng))));
        c.add(unary("erf", Ops::erf, rng -> uniform(rng, -2, 2, randomShape(rng))));
        c.add(new Case("sum", rng -> new Tensor[] {uniform(rng, -1, 1, 2, 3, 4)}, v -> Ops.sum(v[0], false, 0, 2), all(1)));
        c.add(new Case("mean", rng -> new Tensor[] {uniform(rng, -1, 1, randomShape(rng))}, v -> Ops.mean(v[0], true, -1), all(1)));
        c.add(new Case("max", rng -> new Tensor[] {distinct(rng, dim(rng), dim(rng) + 1, dim(rng))}, v -> Ops.max(v[0], false, 1), all(1)));
        c.add(new Case("max(all)", rng -> new Tensor[] {distinct(rng, dim(rng), dim(rng))}, v -> Ops.max(v[0], false), all(1)));
        c.add(new Case("matmul", rng -> {
            int b = dim(rng), m = dim(rng), k = dim(rng), n = dim(rng);
            return new Tensor[] {uniform(rng, -1, 1, b, m, k), uniform(rng, -1, 1, k, n)};
        }, v -> Ops.matmul(v[0], v[1]), all(2)));
        c.add(new Case("matmul(ᵀ,ᵀ)", rng -> {
            int b = dim(rng), m = dim(rng), k = dim(rng), n = dim(rng);
            return new Tensor[] {uniform(rng, -1, 1, b, k, m), uniform(rng, -1, 1, 1, n, k)};
        }, v -> Ops.matmul(v[0], v[1], true, true), all(2)));
        c.add(new Case("reshape+permute", rng -> new Tensor[] {uniform(rng, -1, 1, 2, 3, 4)},
                v -> Ops.mul(Ops.reshape(Ops.permute(v[0], 2, 0, 1), 4, 6), Variable.constant(uniform(new Rng(5), -1, 1, 4, 6))), all(1)));
        c.add(new Case("slice", rng -> new Tensor[] {uniform(rng, -1, 1, 3, 7)}, v -> Ops.slice(v[0], 1, 1, 7, 2), all(1)));
        c.add(new Case("concat", rng -> new Tensor[] {uniform(rng, -1, 1, 2, dim(rng)), uniform(rng, -1, 1, 2, dim(rng))},
                v -> Ops.concat(1, v[0], v[1]), all(2)));
        c.add(new Case("stack", rng -> {
            int[] s = randomShape(rng);
            return new Tensor[] {uniform(rng, -1, 1, s), uniform(rng, -1, 1, s)};
        }, v -> Ops.stack(0, v[0], v[1]), all(2)));
        c.add(new Case("expand", rng -> new Tensor[] {uniform(rng, -1, 1, 3, 1)}, v -> Ops.expand(v[0], 2, 3, 4), all(1)));
        c.add(new Case("indexSelect", rng -> new Tensor[] {uniform(rng, -1, 1, 5, 3)}, v -> Ops.indexSelect(v[0], 0, new int[] {4, 0, 4, 2}), all(1)));
        c.add(new Case("scatterAdd", rng -> new Tensor[] {uniform(rng, -1, 1, 3, 4)}, v -> Ops.scatterAdd(v[0], 1, new int[] {2, 0, 2, 1}, 5), all(1)));
        c.add(new Case("roll", rng -> new Tensor[] {uniform(rng, -1, 1, 2, 5, 3)}, v -> Ops.roll(v[0], -2, 1), all(1)));
        c.add(new Case("softmax", rng -> new Tensor[] {uniform(rng, -2, 2, dim(rng), dim(rng) + 1)}, v -> NnOps.softmax(v[0]), all(1)));
        c.add(new Case("logSoftmax", rng -> new Tensor[] {uniform(rng, -2, 2, dim(rng), dim(rng) + 1)}, v -> NnOps.logSoftmax(v[0]), all(1)));
        c.add(new Case("softmax+mask", rng -> new Tensor[] {uniform(rng, -2, 2, 2, 3, 4)}, v -> NnOps.softmax(v[0],
                Tensor.of(new float[] {0, -100, 0, 0, 0, 0, -100, 0, 0, 0, 0, 0}, 3, 4)), all(1)));
        c.add(new Case("linear", rng -> new Tensor[] {uniform(rng, -1, 1, 2, 3, 4), uniform(rng, -1, 1, 5, 4), uniform(rng, -1, 1, 5)},
                v -> NnOps.linear(v[0], v[1], v[2]), all(3)));
        c.add(new Case("conv2d k3 s1 p1", rng -> new Tensor[] {uniform(rng, -1, 1, 2, 2, 5, 4), uniform(rng, -1, 1, 3, 2, 3, 3), uniform(rng, -1, 1, 3)},
                v -> NnOps.conv2d(v[0], v[1], v[2], 1, 1), all(3)));
        c.add(new Case("conv2d k4 s2 p1", rng -> new Tensor[] {uniform(rng, -1, 1, 2, 2, 8, 8), uniform(rng, -1, 1, 3, 2, 4, 4), uniform(rng, -1, 1, 3)},
                v -> NnOps.conv2d(v[0], v[1], v[2], 2, 1), all(3)));
        c.add(new Case("conv2d k6 s2 p2", rng -> new Tensor[] {uniform(rng, -1, 1, 1, 2, 8, 8), uniform(rng, -1, 1, 2, 2, 6, 6)},
                v -> NnOps.conv2d(v[0], v[1], null, 2, 2), all(2)));
        c.add(new Case("convTranspose2d k4 s2 p1", rng -> new Tensor[] {uniform(rng, -1, 1, 2, 3, 3, 4), uniform(rng, -1, 1, 3, 2, 4, 4), uniform(rng, -1, 1, 2)},
                v -> NnOps.convTranspose2d(v[0], v[1], v[2], 2, 1, 0), all(3)));
        c.add(new Case("convTranspose2d k4 s1 p0", rng -> new Tensor[] {uniform(rng, -1, 1, 2, 3, 1, 1), uniform(rng, -1, 1, 3, 2, 4, 4)},
                v -> NnOps.convTranspose2d(v[0], v[1], null, 1, 0, 0), all(2)));
        c.add(new Case("normalize (layer)", rng -> new Tensor[] {uniform(rng, -2, 2, dim(rng), 6)}, v -> NnOps.normalize(v[0], 1e-5f, -1), all(1)));
        c.add(new Case("normalize (group)", rng -> new Tensor[] {uniform(rng, -2, 2, 2, 2, 3, 4)},
                v -> NnOps.normalize(v[0], 1e-5f, 2, 3), all(1)));
        c.add(new Case("normalizeLast (fused)", rng -> new Tensor[] {uniform(rng, -2, 2, 2, dim(rng), 3, 4)},
                v -> NnOps.normalizeLast(v[0], 1e-5f, 2), all(1)));
        c.add(new Case("adaptiveAvgPool2d", rng -> new Tensor[] {uniform(rng, -1, 1, 2, 2, 5, 7)}, v -> NnOps.adaptiveAvgPool2d(v[0], 3, 2), all(1)));
        c.add(new Case("dropout", rng -> new Tensor[] {uniform(rng, -1, 1, randomShape(rng))},
                v -> NnOps.dropout(v[0], 0.3f, true, new Rng(11)), all(1)));
        c.add(new Case("dropPath", rng -> new Tensor[] {uniform(rng, -1, 1, 4, 3, 2)},
                v -> NnOps.dropPath(v[0], 0.5f, true, new Rng(12)), all(1)));
        c.add(new Case("windowPartition+reverse", rng -> new Tensor[] {uniform(rng, -1, 1, 2, 4, 6, 3)}, v -> {
            Variable w = NnOps.windowPartition(v[0], 2);
            w = Ops.mul(w, Variable.constant(uniform(new Rng(3), -1, 1, w.shape())));
            return NnOps.windowReverse(w, 2, 2, 4, 6);
        }, all(1)));
        c.add(new Case("binaryCrossEntropy", rng -> new Tensor[] {uniform(rng, 0.05f, 0.95f, 6), uniform(rng, 0.7f, 1.2f, 6)},
                v -> NnOps.binaryCrossEntropy(v[0], v[1].value()), new boolean[] {true, false}));
        c.add(new Case("crossEntropy (smoothing 0.1)", rng -> new Tensor[] {uniform(rng, -2, 2, 4, 3)},
                v -> NnOps.crossEntropy(v[0], new int[] {0, 2, 1, 2}, 0.1f), all(1)));
        return c;
    }
}
