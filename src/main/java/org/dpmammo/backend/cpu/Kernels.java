package org.dpmammo.backend.cpu;

import org.dpmammo.backend.BinaryOp;
import org.dpmammo.backend.UnaryOp;

/**
 * Elementwise loops of the CPU backend. Each switch sits outside its loop so the JIT compiles one tight loop per op.
 * Transcendentals are evaluated in double and rounded once, so float results are correctly rounded or nearly so;
 * the error function is the exception, evaluated to float precision (see {@link #erfc}).
 */
final class Kernels {
    /** The SIMD GELU and rectifier gradient where the Vector API kernel is in use (see {@link Sgemm}), else null: the loops below. */
    private static final GeluKernel VECTOR_GELU = vectorKernel(GeluKernel.class, "org.dpmammo.backend.cpu.VectorGelu");
    private static final RectifierKernel VECTOR_RECTIFIER = vectorKernel(RectifierKernel.class, "org.dpmammo.backend.cpu.VectorRectifier");
    private static final NanScanKernel VECTOR_NAN_SCAN = vectorKernel(NanScanKernel.class, "org.dpmammo.backend.cpu.VectorNanScan");

    private Kernels() {}

    private static <K> K vectorKernel(Class<K> type, String className) {
        if (!Sgemm.implementation().startsWith("vector")) return null;
        try {
            return type.cast(Class.forName(className).getDeclaredConstructor().newInstance());
        } catch (ReflectiveOperationException | LinkageError e) {
            return null;
        }
    }

    /** Whether any of d[from, to) is NaN. */
    static boolean hasNaN(float[] d, int from, int to) {
        if (VECTOR_NAN_SCAN != null) return VECTOR_NAN_SCAN.hasNaN(d, from, to);
        for (int i = from; i < to; i++) if (Float.isNaN(d[i])) return true;
        return false;
    }

    static void binary(BinaryOp op, float[] a, int ao, int as, float[] b, int bo, int bs, float[] out, int oo, int n) {
        switch (op) {
            case ADD -> { for (int i = 0; i < n; i++) out[oo + i] = a[ao + i * as] + b[bo + i * bs]; }
            case SUB -> { for (int i = 0; i < n; i++) out[oo + i] = a[ao + i * as] - b[bo + i * bs]; }
            case MUL -> { for (int i = 0; i < n; i++) out[oo + i] = a[ao + i * as] * b[bo + i * bs]; }
            case DIV -> { for (int i = 0; i < n; i++) out[oo + i] = a[ao + i * as] / b[bo + i * bs]; }
            case MAX -> { for (int i = 0; i < n; i++) out[oo + i] = Math.max(a[ao + i * as], b[bo + i * bs]); }
            case MIN -> { for (int i = 0; i < n; i++) out[oo + i] = Math.min(a[ao + i * as], b[bo + i * bs]); }
            case POW -> { for (int i = 0; i < n; i++) out[oo + i] = (float) Math.pow(a[ao + i * as], b[bo + i * bs]); }
            case GT -> { for (int i = 0; i < n; i++) out[oo + i] = a[ao + i * as] > b[bo + i * bs] ? 1f : 0f; }
        }
    }

    static void unary(UnaryOp op, float p, float[] x, int xo, float[] out, int oo, int n) {
        switch (op) {
            case NEG -> { for (int i = 0; i < n; i++) out[oo + i] = -x[xo + i]; }
            case EXP -> { for (int i = 0; i < n; i++) out[oo + i] = (float) Math.exp(x[xo + i]); }
            case LOG -> { for (int i = 0; i < n; i++) out[oo + i] = (float) Math.log(x[xo + i]); }
            case SQRT -> { for (int i = 0; i < n; i++) out[oo + i] = (float) Math.sqrt(x[xo + i]); }
            case RSQRT -> { for (int i = 0; i < n; i++) out[oo + i] = (float) (1.0 / Math.sqrt(x[xo + i])); }
            case RECIPROCAL -> { for (int i = 0; i < n; i++) out[oo + i] = 1f / x[xo + i]; }
            case ABS -> { for (int i = 0; i < n; i++) out[oo + i] = Math.abs(x[xo + i]); }
            case SQUARE -> { for (int i = 0; i < n; i++) { float v = x[xo + i]; out[oo + i] = v * v; } }
            case TANH -> { for (int i = 0; i < n; i++) out[oo + i] = (float) Math.tanh(x[xo + i]); }
            case SIGMOID -> { for (int i = 0; i < n; i++) out[oo + i] = (float) sigmoid(x[xo + i]); }
            // As max / min, which the JIT vectorises: the same values (NaN kept, −0 → 0 for ReLU) without a branch on the
            // sign, which mispredicts on activations of random sign.
            case RELU -> { for (int i = 0; i < n; i++) out[oo + i] = Math.max(x[xo + i], 0f); }
            case LEAKY_RELU -> {
                if (p >= 0 && p <= 1) for (int i = 0; i < n; i++) { float v = x[xo + i]; out[oo + i] = Math.max(v, v * p); }
                else for (int i = 0; i < n; i++) { float v = x[xo + i]; out[oo + i] = v > 0 ? v : v * p; }
            }
            case GELU -> {
                if (VECTOR_GELU != null) VECTOR_GELU.forward(x, xo, out, oo, n);
                else for (int i = 0; i < n; i++) { double v = x[xo + i]; out[oo + i] = (float) (v * normalCdf(v)); }
            }
            case ERF -> { for (int i = 0; i < n; i++) out[oo + i] = (float) erf(x[xo + i]); }
            case POW -> { for (int i = 0; i < n; i++) out[oo + i] = (float) Math.pow(x[xo + i], p); }
            case ADD_SCALAR -> { for (int i = 0; i < n; i++) out[oo + i] = x[xo + i] + p; }
            case MUL_SCALAR -> { for (int i = 0; i < n; i++) out[oo + i] = x[xo + i] * p; }
        }
    }

    /** gradOut · f'(x); x or y may be null where the rule does not need it. */
    static void unaryBackward(UnaryOp op, float p, float[] x, int xo, float[] y, int yo, float[] g, int go, float[] out, int oo, int n) {
        switch (op) {
            case NEG -> { for (int i = 0; i < n; i++) out[oo + i] = -g[go + i]; }
            case EXP -> { for (int i = 0; i < n; i++) out[oo + i] = g[go + i] * y[yo + i]; }
            case LOG -> { for (int i = 0; i < n; i++) out[oo + i] = g[go + i] / x[xo + i]; }
            case SQRT -> { for (int i = 0; i < n; i++) out[oo + i] = g[go + i] * 0.5f / y[yo + i]; }
            case RSQRT -> { for (int i = 0; i < n; i++) { float v = y[yo + i]; out[oo + i] = -0.5f * g[go + i] * v * v * v; } }
            case RECIPROCAL -> { for (int i = 0; i < n; i++) { float v = y[yo + i]; out[oo + i] = -g[go + i] * v * v; } }
            case ABS -> { for (int i = 0; i < n; i++) out[oo + i] = g[go + i] * Math.signum(x[xo + i]); }
            case SQUARE -> { for (int i = 0; i < n; i++) out[oo + i] = 2f * g[go + i] * x[xo + i]; }
            case TANH -> { for (int i = 0; i < n; i++) { float v = y[yo + i]; out[oo + i] = g[go + i] * (1f - v * v); } }
            case SIGMOID -> { for (int i = 0; i < n; i++) { float v = y[yo + i]; out[oo + i] = g[go + i] * v * (1f - v); } }
            case RELU -> {
                if (VECTOR_RECTIFIER != null) VECTOR_RECTIFIER.backward(x, xo, g, go, out, oo, n, 0f);
                else for (int i = 0; i < n; i++) out[oo + i] = x[xo + i] > 0 ? g[go + i] : 0f;
            }
            case LEAKY_RELU -> {
                if (VECTOR_RECTIFIER != null) VECTOR_RECTIFIER.backward(x, xo, g, go, out, oo, n, p);
                else for (int i = 0; i < n; i++) out[oo + i] = x[xo + i] > 0 ? g[go + i] : g[go + i] * p;
            }
            case GELU -> {
                if (VECTOR_GELU != null) {
                    VECTOR_GELU.backward(x, xo, g, go, out, oo, n);
                    return;
                }
                for (int i = 0; i < n; i++) {
                    double v = x[xo + i];
                    double cdf = normalCdf(v);
                    double pdf = Math.exp(-0.5 * v * v) * INV_SQRT_2PI;
                    out[oo + i] = (float) (g[go + i] * (cdf + v * pdf));
                }
            }
            case ERF -> { for (int i = 0; i < n; i++) { double v = x[xo + i]; out[oo + i] = (float) (g[go + i] * TWO_OVER_SQRT_PI * Math.exp(-v * v)); } }
            case POW -> { for (int i = 0; i < n; i++) out[oo + i] = (float) (g[go + i] * p * Math.pow(x[xo + i], p - 1)); }
            case ADD_SCALAR -> System.arraycopy(g, go, out, oo, n);
            case MUL_SCALAR -> { for (int i = 0; i < n; i++) out[oo + i] = g[go + i] * p; }
        }
    }

    private static final double SQRT1_2 = Math.sqrt(0.5);
    private static final double INV_SQRT_2PI = 1.0 / Math.sqrt(2 * Math.PI);
    private static final double TWO_OVER_SQRT_PI = 2.0 / Math.sqrt(Math.PI);

    static double sigmoid(double v) {
        // Split by sign so exp never overflows.
        if (v >= 0) return 1.0 / (1.0 + Math.exp(-v));
        double e = Math.exp(v);
        return e / (1.0 + e);
    }

    /**
     * erfc(z) for z ≥ 0 with a relative error below 1.2e-7 (float precision) for every z: the Chebyshev fit
     * t·exp(−z² + P(t)), t = 1/(1 + z/2), of Press et al., Numerical Recipes, §6.2 (erfcc). One exp and one
     * division, against dozens of series terms for an exact erf: GELU is applied to every MLP activation of a
     * transformer, and its exact erf was a third of Swin-T's training step. NaN propagates.
     */
    static double erfc(double z) {
        double t = 1 / (1 + 0.5 * z);
        double p = -1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806
                + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
        return t * Math.exp(p - z * z);
    }

    /** erf(x) = ±(1 − erfc(|x|)): float precision, absolute error below 1.2e-7. */
    static double erf(double x) {
        double e = erfc(Math.abs(x));
        return x >= 0 ? 1 - e : e - 1;
    }

    /**
     * Φ(x) = erfc(−x/√2)/2, the standard normal CDF, to float precision relative to Φ itself on both tails: for
     * x &lt; 0 the erfc is taken directly rather than as 1 − erf, which would cancel.
     */
    static double normalCdf(double x) {
        double e = 0.5 * erfc(Math.abs(x) * SQRT1_2);
        return x >= 0 ? 1 - e : e;
    }
}
