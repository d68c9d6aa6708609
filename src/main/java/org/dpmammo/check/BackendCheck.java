package org.dpmammo.check;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.dpmammo.backend.Backend;
import org.dpmammo.backend.BinaryOp;
import org.dpmammo.backend.UnaryOp;
import org.dpmammo.tensor.Tensor;
import org.dpmammo.util.Rng;

/**
 * Runs every primitive op of a candidate backend and of a reference backend on the same random inputs (strided
 * views and odd sizes included) and reports the largest disagreement of each.
 */
public final class BackendCheck {
    private BackendCheck() {}

    /** One compared op: its name, the input shapes, the error and the tolerance it must meet. */
    public record Row(String op, String shapes, double error, double tolerance) {
        public boolean passed() {
            return error <= tolerance;
        }
    }

    /** An op applied to some backend with inputs drawn once. */
    private record Probe(String op, double tolerance, Function<Rng, Tensor[]> inputs, OpCall call) {}

    @FunctionalInterface
    private interface OpCall {
        Tensor apply(Backend b, Tensor[] in);
    }

    /**
     * Error of an output against the reference: max |c − r| over max(1, max |r|), so it is relative for large values
     * and absolute for small ones. Infinities must match exactly, and NaN must appear in the same places.
     */
    public static double error(Tensor candidate, Tensor reference) {
        if (!candidate.sameShape(reference)) return Double.POSITIVE_INFINITY;
        float[] c = candidate.toArray(), r = reference.toArray();
        double scale = 1, worst = 0;
        for (float v : r) if (Float.isFinite(v)) scale = Math.max(scale, Math.abs(v));
        for (int i = 0; i < c.length; i++) {
            if (Float.isNaN(r[i]) || Float.isNaN(c[i])) {
                if (Float.isNaN(r[i]) != Float.isNaN(c[i])) return Double.POSITIVE_INFINITY;
                continue;
            }
            if (Float.isInfinite(r[i]) || Float.isInfinite(c[i])) {
                if (r[i] != c[i]) return Double.POSITIVE_INFINITY;
                continue;
            }
            worst = Math.max(worst, Math.abs(c[i] - r[i]) / scale);
        }
        return worst;
    }

    /** A strided (non-contiguous) view with the same values, so kernels must honour strides. */
    static Tensor strided(Tensor t) {
        if (t.rank() < 2) return t;
        return t.transpose(0, 1).copy().transpose(0, 1);
    }

    private static Tensor u(Rng rng, float lo, float hi, int... shape) {
        return GradChecks.uniform(rng, lo, hi, shape);
    }

    private static List<Probe> probes() {
        List<Probe> p = new ArrayList<>();
        double ew = 1e-6, acc = 2e-5;
        for (BinaryOp op : BinaryOp.values()) {
            boolean positive = op == BinaryOp.DIV || op == BinaryOp.POW;
            p.add(new Probe(op.name().toLowerCase(), ew, rng -> new Tensor[] {
                    positive ? u(rng, 0.5f, 2, 3, 1, 5) : u(rng, -2, 2, 3, 1, 5), positive ? u(rng, 0.5f, 2, 4, 1) : u(rng, -2, 2, 4, 1)},
                    (b, in) -> b.binary(op, in[0], in[1])));
            p.add(new Probe(op.name().toLowerCase() + " (strided)", ew, rng -> new Tensor[] {
                    strided(positive ? u(rng, 0.5f, 2, 7, 5) : u(rng, -2, 2, 7, 5)), positive ? u(rng, 0.5f, 2, 7, 5) : u(rng, -2, 2, 7, 5)},
                    (b, in) -> b.binary(op, in[0], in[1])));
        }
        for (UnaryOp op : UnaryOp.values()) {
            boolean positive = op == UnaryOp.LOG || op == UnaryOp.SQRT || op == UnaryOp.RSQRT || op == UnaryOp.POW || op == UnaryOp.RECIPROCAL;
            float param = op == UnaryOp.LEAKY_RELU ? 0.2f : op == UnaryOp.POW ? 1.5f : 0.75f;
            Function<Rng, Tensor> gen = rng -> positive ? u(rng, 0.2f, 4, 9, 13) : u(rng, -4, 4, 9, 13);
            p.add(new Probe(op.name().toLowerCase(), 4 * ew, rng -> new Tensor[] {strided(gen.apply(rng))}, (b, in) -> b.unary(op, in[0], param)));
            p.add(new Probe(op.name().toLowerCase() + " backward", 4 * ew, rng -> new Tensor[] {gen.apply(rng), u(rng, -1, 1, 9, 13)},
                    (b, in) -> b.unaryBackward(op, in[0], b.unary(op, in[0], param), in[1], param)));
        }
        p.add(new Probe("sum (axes 0,2)", acc, rng -> new Tensor[] {strided(u(rng, -1, 1, 5, 6, 7))}, (b, in) -> b.sum(in[0], new int[] {0, 2}, false)));
        p.add(new Probe("sum (all)", acc, rng -> new Tensor[] {u(rng, -1, 1, 33, 65)}, (b, in) -> b.sum(in[0], new int[0], true)));
        // One block of reduced axes with kept axes after it (summed in place, row by row), at sizes that split over threads.
        p.add(new Probe("sum (axis 1 of 3)", acc, rng -> new Tensor[] {u(rng, -1, 1, 3, 300, 70)}, (b, in) -> b.sum(in[0], new int[] {1}, false)));
        p.add(new Probe("sum (axes 1,2 of 4, keep)", acc, rng -> new Tensor[] {strided(u(rng, -1, 1, 4, 9, 11, 13))}, (b, in) -> b.sum(in[0], new int[] {1, 2}, true)));
        p.add(new Probe("sum (axes 0,1 of 3)", acc, rng -> new Tensor[] {u(rng, -1, 1, 64, 49, 97)}, (b, in) -> b.sum(in[0], new int[] {0, 1}, false)));
        p.add(new Probe("max (axis 1)", 0, rng -> new Tensor[] {strided(u(rng, -1, 1, 5, 6, 7))}, (b, in) -> b.max(in[0], 1, false)));
        p.add(new Probe("argmax (axis -1)", 0, rng -> new Tensor[] {u(rng, -1, 1, 5, 17)}, (b, in) -> b.argmax(in[0], -1)));
        p.add(new Probe("softmax", ew * 4, rng -> new Tensor[] {strided(u(rng, -5, 5, 7, 9))}, (b, in) -> b.softmax(in[0], false)));
        p.add(new Probe("log-softmax", ew * 4, rng -> new Tensor[] {u(rng, -5, 5, 3, 7, 9)}, (b, in) -> b.softmax(in[0], true)));
        p.add(new Probe("softmax backward", acc, rng -> new Tensor[] {u(rng, -3, 3, 4, 9), u(rng, -1, 1, 4, 9)},
                (b, in) -> b.softmaxBackward(b.softmax(in[0], false), in[1], false)));
        p.add(new Probe("log-softmax backward", acc, rng -> new Tensor[] {u(rng, -3, 3, 4, 9), u(rng, -1, 1, 4, 9)},
                (b, in) -> b.softmaxBackward(b.softmax(in[0], true), in[1], true)));
        p.add(new Probe("normalizeRows", ew * 4, rng -> new Tensor[] {strided(u(rng, -3, 5, 7, 9))}, (b, in) -> b.normalizeRows(in[0], 1e-5f)[0]));
        p.add(new Probe("normalizeRows 1/σ", ew * 4, rng -> new Tensor[] {u(rng, -3, 5, 6, 33)}, (b, in) -> b.normalizeRows(in[0], 1e-5f)[1]));
        p.add(new Probe("normalizeRows backward", acc, rng -> new Tensor[] {u(rng, -3, 5, 6, 33), u(rng, -1, 1, 6, 33)}, (b, in) -> {
            Tensor[] r = b.normalizeRows(in[0], 1e-5f);
            return b.normalizeRowsBackward(r[0], r[1], in[1]);
        }));
        for (int t = 0; t < 4; t++) {
            boolean ta = (t & 1) != 0, tb = (t & 2) != 0;
            p.add(new Probe("matmul" + (ta ? " Aᵀ" : "") + (tb ? " Bᵀ" : "") + " 67x45x33", acc, rng -> new Tensor[] {
                    ta ? u(rng, -1, 1, 45, 67) : u(rng, -1, 1, 67, 45), tb ? u(rng, -1, 1, 33, 45) : u(rng, -1, 1, 45, 33)},
                    (b, in) -> b.matmul(in[0], in[1], ta, tb)));
        }
        p.add(new Probe("linear 37x20 -> 23", acc, rng -> new Tensor[] {u(rng, -1, 1, 37, 20), u(rng, -1, 1, 23, 20), u(rng, -1, 1, 23)},
                (b, in) -> b.linear(in[0], in[1], in[2])));
        p.add(new Probe("matmul batched 3x[17x9x13]", acc, rng -> new Tensor[] {u(rng, -1, 1, 3, 17, 9), u(rng, -1, 1, 3, 9, 13)},
                (b, in) -> b.matmul(in[0], in[1], false, false)));
        p.add(new Probe("matmul broadcast [2,1,5,4]x[3,4,6]", acc, rng -> new Tensor[] {u(rng, -1, 1, 2, 1, 5, 4), strided(u(rng, -1, 1, 3, 4, 6))},
                (b, in) -> b.matmul(in[0], in[1], false, false)));
        p.add(new Probe("indexSelect", 0, rng -> new Tensor[] {strided(u(rng, -1, 1, 6, 5, 4))},
                (b, in) -> b.indexSelect(in[0], 1, new int[] {4, 0, 0, 3})));
        p.add(new Probe("indexAdd", ew, rng -> new Tensor[] {u(rng, -1, 1, 3, 5, 2)},
                (b, in) -> b.indexAdd(in[0], 1, new int[] {1, 1, 0, 6, 1}, 7)));
        p.add(new Probe("concat", 0, rng -> new Tensor[] {strided(u(rng, -1, 1, 4, 3)), u(rng, -1, 1, 4, 5)},
                (b, in) -> b.concat(new Tensor[] {in[0], in[1]}, 1)));
        int[][] convs = {{4, 2, 1}, {6, 2, 2}, {4, 1, 0}, {6, 1, 1}, {4, 4, 0}, {3, 1, 1}};
        for (int[] k : convs) {
            int ks = k[0], st = k[1], pd = k[2];
            String shape = " k" + ks + " s" + st + " p" + pd;
            p.add(new Probe("conv2d" + shape, acc, rng -> new Tensor[] {u(rng, -1, 1, 2, 3, 12, 12), u(rng, -1, 1, 5, 3, ks, ks), u(rng, -1, 1, 5)},
                    (b, in) -> b.conv2d(in[0], in[1], in[2], st, st, pd, pd)));
            int o = (12 + 2 * pd - ks) / st + 1;
            p.add(new Probe("conv2d backward-input" + shape, acc, rng -> new Tensor[] {u(rng, -1, 1, 2, 5, o, o), u(rng, -1, 1, 5, 3, ks, ks)},
                    (b, in) -> b.conv2dBackwardInput(in[0], in[1], 12, 12, st, st, pd, pd)));
            p.add(new Probe("unfold" + shape, 0, rng -> new Tensor[] {strided(u(rng, -1, 1, 3, 2, 12, 12))},
                    (b, in) -> b.unfold(in[0], ks, ks, st, st, pd, pd)));
            p.add(new Probe("conv2d backward-weight" + shape, acc, rng -> new Tensor[] {u(rng, -1, 1, 2, 3, 12, 12), u(rng, -1, 1, 2, 5, o, o)},
                    (b, in) -> b.conv2dBackwardWeight(in[0], in[1], ks, ks, st, st, pd, pd)));
        }
        dpProbes(p, acc);
        return p;
    }

    /** The DP step's operations and the BCE loss (the GAN's); seeded noise must be equal to the last bit. */
    private static void dpProbes(List<Probe> p, double acc) {
        p.add(new Probe("rowDot", acc, rng -> new Tensor[] {strided(u(rng, -1, 1, 6, 5, 7)), u(rng, -1, 1, 6, 5, 7)}, (b, in) -> b.rowDot(in[0], in[1])));
        p.add(new Probe("clipFactors [3 layers, 6]", acc, rng -> new Tensor[] {u(rng, 0, 3, 3, 6)}, (b, in) -> b.clipFactors(in[0], 1.5)));
        p.add(new Probe("clipFactors, non-finite → 0", 0, rng -> new Tensor[] {Tensor.of(new float[] {Float.NaN, Float.POSITIVE_INFINITY, 0, 4}, 1, 4)},
                (b, in) -> b.clipFactors(in[0], 1.5)));
        p.add(new Probe("rowClipFactors", acc, rng -> new Tensor[] {u(rng, -1, 1, 5, 4, 3)}, (b, in) -> b.rowClipFactors(in[0], 2.0)));
        p.add(new Probe("binaryCrossEntropy", 4e-6, rng -> new Tensor[] {u(rng, 0.01f, 0.99f, 4, 9), u(rng, 0.7f, 1.2f, 4, 9)},
                (b, in) -> b.binaryCrossEntropy(in[0], in[1])));
        p.add(new Probe("binaryCrossEntropy backward", 4e-6, rng -> new Tensor[] {u(rng, 0.01f, 0.99f, 4, 9), u(rng, 0, 1, 4, 9), u(rng, -1, 1, 4, 9)},
                (b, in) -> b.binaryCrossEntropyBackward(in[0], in[1], in[2])));
        int[] key = {11, 22, 33, 44, 55, 66, 77, 88};
        p.add(new Probe("addGaussianNoise (bits)", 0, rng -> new Tensor[] {u(rng, -3, 3, 3, 8193)},
                (b, in) -> b.addGaussianNoise(in[0], key, 5, 2, 0.9, Math.scalb(1.0, Math.getExponent(0.9) - 12))));
    }

    /** Compares candidate with reference on every probe, drawing inputs from the seed. */
    public static List<Row> run(Backend candidate, Backend reference, long seed) {
        List<Row> rows = new ArrayList<>();
        for (Probe probe : probes()) {
            Tensor[] in = probe.inputs().apply(new Rng(seed ^ probe.op().hashCode()));
            StringBuilder shapes = new StringBuilder();
            for (Tensor t : in) shapes.append(shapes.length() == 0 ? "" : " ").append(java.util.Arrays.toString(t.shapeRef()));
            double err;
            try {
                err = error(probe.call().apply(candidate, in), probe.call().apply(reference, in));
            } catch (RuntimeException e) {
                err = Double.POSITIVE_INFINITY;
            }
            rows.add(new Row(probe.op(), shapes.toString(), err, probe.tolerance()));
        }
        return rows;
    }
}
