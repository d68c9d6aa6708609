package org.dpmammo.testing;

import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;
import org.dpmammo.autograd.Grad;
import org.dpmammo.autograd.Variable;
import org.dpmammo.tensor.Tensor;
import org.dpmammo.util.Rng;
import org.dpmammo.util.Scope;

/**
 * Checks analytic gradients against central finite differences. The scalar checked is L = Σ f(x) ⊙ R for a fixed
 * random R, so every output element and every path through the op contributes with a different weight (a plain
 * sum would hide errors that cancel). L is accumulated in double from the float32 outputs, so the difference
 * quotient's error is dominated by float32 rounding of f, about 1e-7·|f|/eps.
 *
 * <p>Pass criterion per element: |analytic − numeric| ≤ rtol·max(|analytic|, |numeric|) + atol·scale, where scale
 * is the largest |numeric| of that input, so tiny entries are judged against the gradient's own magnitude rather
 * than absolutely.
 */
public final class GradCheck {
    private GradCheck() {}

    /** The result of one check: the worst normalised error (≤ 1 passes) and where it was. */
    public record Result(double worst, String where) {
        public boolean passed() {
            return worst <= 1;
        }
    }

    /**
     * f recomputes the output from the current values of the inputs in wrt (leaves with compact values, which are
     * perturbed in place). At most maxElements entries of each input are probed, chosen at random.
     */
    public static Result run(Supplier<Variable> f, List<? extends Variable> wrt, double eps, double rtol, double atol, int maxElements, long seed) {
        Rng rng = new Rng(seed);
        for (Variable v : wrt) v.zeroGrad();
        Variable out = f.get();
        float[] r = new float[out.value().numel()];
        for (int i = 0; i < r.length; i++) r[i] = (float) rng.nextGaussian();
        Tensor rt = Tensor.of(r, out.value().shapeRef());
        out.backward(rt);
        double worst = 0;
        String where = "";
        for (int k = 0; k < wrt.size(); k++) {
            Variable v = wrt.get(k);
            float[] x = v.value().data();
            if (v.value().offset() != 0 || !v.value().isContiguous()) throw new IllegalArgumentException("GradCheck: input " + k + " is not compact");
            float[] analytic = v.grad() == null ? new float[x.length] : v.grad().toArray();
            int[] probe = pick(x.length, maxElements, rng);
            double[] numeric = new double[probe.length];
            double scale = 0;
            for (int p = 0; p < probe.length; p++) {
                int j = probe[p];
                float saved = x[j];
                x[j] = (float) (saved + eps);
                double plus = weighted(f, r);
                x[j] = (float) (saved - eps);
                double minus = weighted(f, r);
                x[j] = saved;
                // Divide by the step actually taken in float32, not the nominal eps.
                double step = (double) (float) (saved + eps) - (double) (float) (saved - eps);
                numeric[p] = (plus - minus) / step;
                scale = Math.max(scale, Math.abs(numeric[p]));
            }
            for (int p = 0; p < probe.length; p++) {
                double a = analytic[probe[p]], n = numeric[p];
                double allowed = rtol * Math.max(Math.abs(a), Math.abs(n)) + atol * scale + 1e-12;
                double e = Math.abs(a - n) / allowed;
                if (e > worst) {
                    worst = e;
                    where = "input " + k + " element " + probe[p] + ": analytic " + a + ", numeric " + n;
                }
            }
        }
        return new Result(worst, where);
    }

    /** Defaults for float32: rtol 1e-2, atol 1e-3 of the gradient's scale, all elements up to 200 per input. */
    public static Result run(Supplier<Variable> f, List<? extends Variable> wrt, double eps) {
        return run(f, wrt, eps, 1e-2, 1e-3, 200, 1234);
    }

    private static double weighted(Supplier<Variable> f, float[] r) {
        try (Scope s = Grad.noGrad()) {
            float[] y = f.get().value().toArray();
            double acc = 0;
            for (int i = 0; i < y.length; i++) acc += (double) y[i] * r[i];
            return acc;
        }
    }

    private static int[] pick(int n, int max, Rng rng) {
        int[] all = new int[n];
        for (int i = 0; i < n; i++) all[i] = i;
        if (n <= max) return all;
        rng.shuffle(all);
        return Arrays.copyOf(all, max);
    }
}
