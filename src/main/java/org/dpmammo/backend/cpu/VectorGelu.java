package org.dpmammo.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * GELU with the Vector API, at the GEMM kernel's width (16 floats at a time with the 512-bit kernel, 8 with the
 * 256-bit one: see {@link Sgemm#vectorBits}): Φ(x) from the same erfc fit as {@link Kernels#erfc}
 * (t = 1/(1 + z/2), erfc(z) = t·exp(P(t) − z²), z = |x|/√2), evaluated in float, with exp by range reduction
 * e^a = 2^n·e^r, |r| ≤ ln2/2, and a degree-7 Taylor polynomial for e^r (truncation below 1e-8 relative). Loaded by
 * name, like {@link VectorGemmKernel}, so that nothing else links against jdk.incubator.vector. Tails shorter than
 * a vector go through the scalar formulas. Written out in each loop without helper methods taking vectors: with
 * helpers (cdf, exp) JFR showed the Vector API's Java fallbacks (lanewiseTemplate, stOp) taking most of the time,
 * as {@link VectorGemmKernel} warns. 2^n is built from the binary digits of n in float lanes, because the int route
 * (F2I or reinterpreting the bits) ran in the non-intrinsic convert0 on JDK 17.
 */
final class VectorGelu implements GeluKernel {
    /** A static final, so C2 folds it: a species it cannot see as a constant runs the Java fallbacks. */
    private static final VectorSpecies<Float> S = Sgemm.vectorBits() == 512 ? FloatVector.SPECIES_512 : FloatVector.SPECIES_256;
    private static final float SQRT1_2 = (float) Math.sqrt(0.5), INV_SQRT_2PI = (float) (1 / Math.sqrt(2 * Math.PI));
    private static final float LOG2E_F = (float) (1 / Math.log(2));
    // ln 2 split so that n·LN2_HI is exact for the n that occur (|n| < 2^7): r keeps float precision.
    private static final float LN2_HI = 0.693359375f, LN2_LO = -2.12194440e-4f;
    /** Below this exponent e^a is under float's normal range; it is flushed to 0 (the 2^n construction needs n ≥ −126). */
    private static final float EXP_MIN = -87f;
    private static final float ROUNDER_F = 12582912f; // 1.5·2^23: adding and subtracting it rounds to an integer
    private static final FloatVector ONE = FloatVector.broadcast(S, 1f), HALF = FloatVector.broadcast(S, 0.5f);
    private static final FloatVector LOG2E = FloatVector.broadcast(S, LOG2E_F), ROUNDER = FloatVector.broadcast(S, ROUNDER_F);
    // The erfc fit's coefficients, constant term first (Kernels.erfc).
    private static final FloatVector C0 = FloatVector.broadcast(S, -1.26551223f), C1 = FloatVector.broadcast(S, 1.00002368f),
            C2 = FloatVector.broadcast(S, 0.37409196f), C3 = FloatVector.broadcast(S, 0.09678418f),
            C4 = FloatVector.broadcast(S, -0.18628806f), C5 = FloatVector.broadcast(S, 0.27886807f),
            C6 = FloatVector.broadcast(S, -1.13520398f), C7 = FloatVector.broadcast(S, 1.48851587f),
            C8 = FloatVector.broadcast(S, -0.82215223f), C9 = FloatVector.broadcast(S, 0.17087277f);
    // Taylor coefficients of e^r, 1/k! for k = 2..7.
    private static final FloatVector E2 = FloatVector.broadcast(S, 0.5f), E3 = FloatVector.broadcast(S, 1f / 6),
            E4 = FloatVector.broadcast(S, 1f / 24), E5 = FloatVector.broadcast(S, 1f / 120),
            E6 = FloatVector.broadcast(S, 1f / 720), E7 = FloatVector.broadcast(S, 1f / 5040);

    @Override
    public void forward(float[] x, int xo, float[] out, int oo, int n) {
        int i = 0;
        for (int end = S.loopBound(n); i < end; i += S.length()) {
            FloatVector v = FloatVector.fromArray(S, x, xo + i);
            FloatVector z = v.lanewise(VectorOperators.ABS).mul(SQRT1_2);
            FloatVector t = ONE.div(z.fma(HALF, ONE));
            FloatVector p = t.fma(C9, C8);
            p = p.fma(t, C7);
            p = p.fma(t, C6);
            p = p.fma(t, C5);
            p = p.fma(t, C4);
            p = p.fma(t, C3);
            p = p.fma(t, C2);
            p = p.fma(t, C1);
            p = p.fma(t, C0);
            FloatVector a = z.neg().fma(z, p);
            FloatVector ne = a.fma(LOG2E, ROUNDER).sub(ROUNDER);
            FloatVector re = a.sub(ne.mul(LN2_HI)).sub(ne.mul(LN2_LO));
            FloatVector e = re.fma(E7, E6);
            e = e.fma(re, E5);
            e = e.fma(re, E4);
            e = e.fma(re, E3);
            e = e.fma(re, E2);
            e = e.fma(re, ONE);
            e = e.fma(re, ONE);
            for (int bit = 64; bit >= 1; bit >>= 1) {
                VectorMask<Float> set = ne.compare(VectorOperators.LE, -bit);
                e = e.blend(e.mul(Math.scalb(1f, -bit)), set);
                ne = ne.blend(ne.add(bit), set);
            }
            e = e.blend(0f, a.compare(VectorOperators.LT, EXP_MIN));
            FloatVector halfErfc = t.mul(e).mul(0.5f);
            FloatVector cdf = halfErfc.blend(ONE.sub(halfErfc), v.compare(VectorOperators.GE, 0f));
            v.mul(cdf).intoArray(out, oo + i);
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
            FloatVector z = v.lanewise(VectorOperators.ABS).mul(SQRT1_2);
            FloatVector t = ONE.div(z.fma(HALF, ONE));
            FloatVector p = t.fma(C9, C8);
            p = p.fma(t, C7);
            p = p.fma(t, C6);
            p = p.fma(t, C5);
            p = p.fma(t, C4);
            p = p.fma(t, C3);
            p = p.fma(t, C2);
            p = p.fma(t, C1);
            p = p.fma(t, C0);
            FloatVector a = z.neg().fma(z, p);
            FloatVector ne = a.fma(LOG2E, ROUNDER).sub(ROUNDER);
            FloatVector re = a.sub(ne.mul(LN2_HI)).sub(ne.mul(LN2_LO));
            FloatVector e = re.fma(E7, E6);
            e = e.fma(re, E5);
            e = e.fma(re, E4);
            e = e.fma(re, E3);
            e = e.fma(re, E2);
            e = e.fma(re, ONE);
            e = e.fma(re, ONE);
            for (int bit = 64; bit >= 1; bit >>= 1) {
                VectorMask<Float> set = ne.compare(VectorOperators.LE, -bit);
                e = e.blend(e.mul(Math.scalb(1f, -bit)), set);
                ne = ne.blend(ne.add(bit), set);
            }
            e = e.blend(0f, a.compare(VectorOperators.LT, EXP_MIN));
            FloatVector halfErfc = t.mul(e).mul(0.5f);
            FloatVector cdf = halfErfc.blend(ONE.sub(halfErfc), v.compare(VectorOperators.GE, 0f));
            FloatVector b = v.mul(v).mul(-0.5f);
            FloatVector nf = b.fma(LOG2E, ROUNDER).sub(ROUNDER);
            FloatVector rf = b.sub(nf.mul(LN2_HI)).sub(nf.mul(LN2_LO));
            FloatVector f = rf.fma(E7, E6);
            f = f.fma(rf, E5);
            f = f.fma(rf, E4);
            f = f.fma(rf, E3);
            f = f.fma(rf, E2);
            f = f.fma(rf, ONE);
            f = f.fma(rf, ONE);
            for (int bit = 64; bit >= 1; bit >>= 1) {
                VectorMask<Float> set = nf.compare(VectorOperators.LE, -bit);
                f = f.blend(f.mul(Math.scalb(1f, -bit)), set);
                nf = nf.blend(nf.add(bit), set);
            }
            f = f.blend(0f, b.compare(VectorOperators.LT, EXP_MIN));
            FloatVector grad = v.fma(f.mul(INV_SQRT_2PI), cdf);
            grad.mul(FloatVector.fromArray(S, g, go + i)).intoArray(out, oo + i);
        }
        for (; i < n; i++) {
            double v = x[xo + i];
            double pdf = Math.exp(-0.5 * v * v) * INV_SQRT_2PI;
            out[oo + i] = (float) (g[go + i] * (Kernels.normalCdf(v) + v * pdf));
        }
    }
}
