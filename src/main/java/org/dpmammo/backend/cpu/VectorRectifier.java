package org.dpmammo.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** {@link RectifierKernel} with the Vector API: a lane mask from x > 0 blends g with g·slope (or 0). Loaded by name. */
final class VectorRectifier implements RectifierKernel {
    /** The GEMM kernel's width ({@link Sgemm#vectorBits}); a static final so that C2 folds it. */
    private static final VectorSpecies<Float> S = Sgemm.vectorBits() == 512 ? FloatVector.SPECIES_512 : FloatVector.SPECIES_256;
    private static final FloatVector ZERO = FloatVector.zero(S);

    @Override
    public void backward(float[] x, int xo, float[] g, int go, float[] out, int oo, int n, float slope) {
        int i = 0, end = S.loopBound(n);
        // Two loops rather than a choice between vectors inside one: C2 boxes a vector chosen by a conditional.
        if (slope == 0f) {
            for (; i < end; i += S.length()) {
                VectorMask<Float> positive = FloatVector.fromArray(S, x, xo + i).compare(VectorOperators.GT, 0f);
                ZERO.blend(FloatVector.fromArray(S, g, go + i), positive).intoArray(out, oo + i);
            }
        } else {
            for (; i < end; i += S.length()) {
                VectorMask<Float> positive = FloatVector.fromArray(S, x, xo + i).compare(VectorOperators.GT, 0f);
                FloatVector gv = FloatVector.fromArray(S, g, go + i);
                gv.mul(slope).blend(gv, positive).intoArray(out, oo + i);
            }
        }
        for (; i < n; i++) out[oo + i] = x[xo + i] > 0 ? g[go + i] : slope == 0f ? 0f : g[go + i] * slope;
    }
}
