package org.dpmammo.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * GELU with the Vector API, eight floats at a time: Φ(x) from the same erfc fit as {@link Kernels#erfc}
 * (t = 1/(1 + z/2), erfc(z) = t·exp(P(t) − z²), z = |x|/√2), evaluated in float, with exp by range reduction
 * e^a = 2^n·e^r, |r| ≤ ln2/2,, and a degree-7 Taylor polynomial for e^r (truncation below 1e-8 relative). Loaded by
 * name, like {@link VectorGemmKernel}, so that nothing else links against jdk.incubator.vector. Tails shorter than
 * a vector go through the scalar formulas.
 */
final class VectorGelu implements GeluKernel {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_256;
    private static final float SQRT1_2 = (float) Math.sqrt(0.5), INV_SQRT_2PI = (float) (1 / Math.sqrt(2 * Math.PI));
    private static final float LOG2E = (float) (1 / Math.log(2));
    // ln 2 split so that n·LN2_HI is exact for the n that occur (|n| < 2^7): r keeps float precision.
    private static final float LN2_HI = 0.693359375f, LN2_LO = -2.12194440e-4f;
    /** Below this exponent e^a is under float's normal range; it is flushed to 0 (the 2^n construction needs n ≥ −126). */
    private static final float EXP_MIN = -87f;
    private static final float ROUNDER = 12582912f; // 1.5·2^23

    @Override
    public void forward(float[] x, int xo, float[] out, int oo, int n) {
        int i = 0;
        for (int end = S.loopBound(n); i < end; i += S.length()) {
            FloatVector v = FloatVector.fromArray(S, x, xo + i);
            v.mul(cdf(v)).intoArray(out, oo + i);
        }
        for (; i < n; i++) {
            double v = x[xo + i];
            out[oo + i] = (float) (v * Kernels.normalCdf(v));
        }
    }

    @Override
    public void backward(float[] x, int xo, float[] g, int go, float[] out, int oo, int n) {
        int i = 0;
        for (int end = S.loopBound(n); i < end; i += S.length()) {
            FloatVector v = FloatVector.fromArray(S, x, xo + i);
            FloatVector pdf = exp(v.mul(v).mul(-0.5f)).mul(INV_SQRT_2PI);
            FloatVector grad = v.fma(pdf, cdf(v));
            grad.mul(FloatVector.fromArray(S, g, go + i)).intoArray(out, oo + i);
        }
        for (; i < n; i++) {
            double v = x[xo + i];
            double pdf = Math.exp(-0.5 * v * v) * INV_SQRT_2PI;
            out[oo + i] = (float) (g[go + i] * (Kernels.normalCdf(v) + v * pdf));
        }
    }

    /** Φ(v) = erfc(−v/√2)/2, taken directly on the negative side (no 1 − erf cancellation). */
    private static FloatVector cdf(FloatVector v) {
        FloatVector z = v.lanewise(VectorOperators.ABS).mul(SQRT1_2);
        FloatVector t = z.mul(0.5f).add(1f);
        t = FloatVector.broadcast(S, 1f).div(t);
        FloatVector p = t.mul(0.17087277f).add(-0.82215223f);
        p = p.fma(t, FloatVector.broadcast(S, 1.48851587f));
        p = p.fma(t, FloatVector.broadcast(S, -1.13520398f));
        p = p.fma(t, FloatVector.broadcast(S, 0.27886807f));
        p = p.fma(t, FloatVector.broadcast(S, -0.18628806f));
        p = p.fma(t, FloatVector.broadcast(S, 0.09678418f));
        p = p.fma(t, FloatVector.broadcast(S, 0.37409196f));
        p = p.fma(t, FloatVector.broadcast(S, 1.00002368f));
        p = p.fma(t, FloatVector.broadcast(S, -1.26551223f));
        FloatVector halfErfc = t.mul(exp(z.neg().fma(z, p))).mul(0.5f);
        VectorMask<Float> positive = v.compare(VectorOperators.GE, 0f);
        return halfErfc.blend(halfErfc.neg().add(1f), positive);
    }

    /** e^a for a ≤ 0 (the only arguments used here), 0 below {@link #EXP_MIN}. */
    private static FloatVector exp(FloatVector a) {
        // Adding and subtracting 1.5·2^23 rounds y = a·log2(e) to the nearest integer n, without a lane conversion.
        FloatVector nf = a.mul(LOG2E).add(ROUNDER).sub(ROUNDER);
        FloatVector r = a.sub(nf.mul(LN2_HI));
        r = r.sub(nf.mul(LN2_LO));
        FloatVector q = r.mul(1f / 5040).add(1f / 720);
        q = q.fma(r, FloatVector.broadcast(S, 1f / 120));
        q = q.fma(r, FloatVector.broadcast(S, 1f / 24));
        q = q.fma(r, FloatVector.broadcast(S, 1f / 6));
        q = q.fma(r, FloatVector.broadcast(S, 0.5f));
        q = q.fma(r, FloatVector.broadcast(S, 1f));
        q = q.fma(r, FloatVector.broadcast(S, 1f));
        // 2^n for the integer n in [−126, 0] by its binary digits, in float lanes: the int route (F2I, or
        // reinterpreting the bits) fell back to JDK 17's non-intrinsic path (AbstractVector.convert0 in JFR).
        FloatVector e = q;
        for (int bit = 64; bit >= 1; bit >>= 1) {
            VectorMask<Float> set = nf.compare(VectorOperators.LE, -bit);
            e = e.blend(e.mul(Math.scalb(1f, -bit)), set);
            nf = nf.blend(nf.add(bit), set);
        }
        return e.blend(0f, a.compare(VectorOperators.LT, EXP_MIN));
    }
}
