package org.dpmammo.autograd;

import java.util.function.Function;
import org.dpmammo.tensor.Tensor;
import org.dpmammo.util.Rng;

/**
 * Checks an op's backward against central finite differences of its forward. The scalar probed is Σ f(x)·R for a
 * fixed random R, so every output element's gradient path is exercised. Used by the self-test and the property tests.
 */
public final class GradientCheck {
    private GradientCheck() {}

    /** The worst disagreement found, as a relative error, and where. */
    public record Result(double maxError, String where) {
        public boolean passed(double tolerance) {
            return maxError <= tolerance && !Double.isNaN(maxError);
        }
    }

    /**
     * Compares analytic and numeric gradients for every input that needs one. At most {@code probes} elements of each
     * input are perturbed (chosen at random) to bound the cost on large inputs.
     *
     * <p>Error measure per element: |analytic − numeric| / max(1, |analytic|, |numeric|) — relative for large
     * gradients, absolute for small ones, since float32 differences cannot resolve small gradients relatively.
     */
    public static Result check(Function<Variable[], Variable> f, Tensor[] inputs, boolean[] needsGrad, int probes, long seed) {
        Rng rng = new Rng(seed);
        Variable[] vars = new Variable[inputs.length];
        for (int i = 0; i < inputs.length; i++) vars[i] = new Variable(inputs[i].copy(), needsGrad[i]);
        Variable out = f.apply(vars);
        float[] r = new float[out.value().numel()];
        for (int i = 0; i < r.length; i++) r[i] = (float) rng.uniform(-1, 1);
        Tensor rt = Tensor.of(r, out.value().shapeRef());
        if (out.requiresGrad()) out.backward(rt);
        double worst = 0;
        String where = "-";
        for (int i = 0; i < inputs.length; i++) {
            if (!needsGrad[i]) continue;
            Tensor analytic = vars[i].grad() == null ? Tensor.zeros(inputs[i].shapeRef()) : vars[i].grad();
            float[] an = analytic.toArray();
            float[] base = inputs[i].toArray();
            int n = base.length;
            int count = Math.min(n, probes);
            for (int p = 0; p < count; p++) {
                int e = count == n ? p : rng.nextInt(n);
                double h = 1e-2 * Math.max(1.0, Math.abs(base[e]));
                // Richardson extrapolation of two central differences cancels the O(h²) truncation term, which
                // otherwise dominates on strongly curved ops (BCE near 0 or 1).
                double numeric = (4 * central(f, inputs, i, base, e, h / 2, rt) - central(f, inputs, i, base, e, h, rt)) / 3;
                double err = Math.abs(an[e] - numeric) / Math.max(1.0, Math.max(Math.abs(an[e]), Math.abs(numeric)));
                if (Double.isNaN(err) || err > worst) {
                    worst = Double.isNaN(err) ? Double.NaN : err;
                    where = "input " + i + " element " + e + ": analytic " + an[e] + ", numeric " + numeric;
                    if (Double.isNaN(err)) return new Result(worst, where);
                }
            }
        }
        return new Result(worst, where);
    }

    private static double central(Function<Variable[], Variable> f, Tensor[] inputs, int which, float[] base, int e, double h, Tensor r) {
        float up = (float) (base[e] + h), down = (float) (base[e] - h);
        // Divide by the perturbation actually applied in float32, not the intended one.
        return (probe(f, inputs, which, base, e, up, r) - probe(f, inputs, which, base, e, down, r)) / ((double) up - (double) down);
    }

    private static double probe(Function<Variable[], Variable> f, Tensor[] inputs, int which, float[] base, int e, float value, Tensor r) {
        try (var scope = Grad.noGrad()) {
            Variable[] vars = new Variable[inputs.length];
            for (int i = 0; i < inputs.length; i++) {
                if (i == which) {
                    float[] v = base.clone();
                    v[e] = value;
                    vars[i] = Variable.constant(Tensor.of(v, inputs[i].shapeRef()));
                } else {
                    vars[i] = Variable.constant(inputs[i]);
                }
            }
            float[] out = f.apply(vars).value().toArray();
            float[] rv = r.toArray();
            double s = 0;
            for (int k = 0; k < out.length; k++) s += (double) out[k] * rv[k];
            return s;
        }
    }
}
