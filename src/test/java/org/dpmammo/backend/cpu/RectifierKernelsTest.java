package org.dpmammo.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.dpmammo.backend.UnaryOp;
import org.junit.jupiter.api.Test;

/**
 * ReLU and LeakyReLU, forward (written as max) and backward (the SIMD blend, where the Vector API is present), give
 * bit for bit what the definitions by cases give: y = x if x > 0 else slope·x (ReLU: 0, NaN kept), dx = g if x > 0
 * else slope·g (ReLU: 0, even for infinite g), special values and a tail shorter than a vector included.
 */
class RectifierKernelsTest {
    private static final float[] SPECIAL = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0f, -0f, Float.MIN_VALUE,
            -Float.MIN_VALUE, Float.MAX_VALUE, -Float.MAX_VALUE, 1f, -1f, 3.5f, -2.25f};

    private static float[][] inputs() {
        int n = 4099; // not a multiple of the vector length
        float[] x = new float[n], g = new float[n];
        java.util.SplittableRandom r = new java.util.SplittableRandom(3);
        for (int i = 0; i < n; i++) {
            x[i] = i < SPECIAL.length * SPECIAL.length ? SPECIAL[i % SPECIAL.length] : (float) r.nextGaussian();
            g[i] = i < SPECIAL.length * SPECIAL.length ? SPECIAL[i / SPECIAL.length] : (float) r.nextGaussian();
        }
        return new float[][] {x, g};
    }

    private static float forwardByCases(float v, float slope, boolean relu) {
        if (v > 0) return v;
        if (relu) return v != v ? v : 0f;
        return v * slope;
    }

    private static float backwardByCases(float v, float g, float slope) {
        return v > 0 ? g : slope == 0f ? 0f : g * slope;
    }

    @Test
    void kernelsMatchTheDefinitionsByCases() {
        float[][] in = inputs();
        float[] x = in[0], g = in[1], out = new float[x.length];
        for (float slope : new float[] {0f, 0.1f, 0.2f, 1f, 1.5f, -0.3f}) {
            boolean relu = slope == 0f;
            UnaryOp op = relu ? UnaryOp.RELU : UnaryOp.LEAKY_RELU;
            Kernels.unary(op, slope, x, 0, out, 0, x.length);
            for (int i = 0; i < x.length; i++) assertBits(forwardByCases(x[i], slope, relu), out[i], op + " slope " + slope + " at x=" + x[i]);
            Kernels.unaryBackward(op, slope, x, 0, null, 0, g, 0, out, 0, x.length);
            for (int i = 0; i < x.length; i++) assertBits(backwardByCases(x[i], g[i], slope), out[i], op + "' slope " + slope + " at x=" + x[i] + ", g=" + g[i]);
        }
    }

    @Test
    void vectorBackwardMatchesTheScalarDefinitionAtOffsets() throws ReflectiveOperationException {
        assumeTrue(Sgemm.vector256Kernel() != null, "jdk.incubator.vector not in this JVM");
        RectifierKernel k = (RectifierKernel) Class.forName("org.dpmammo.backend.cpu.VectorRectifier").getDeclaredConstructor().newInstance();
        float[][] in = inputs();
        float[] x = in[0], g = in[1], out = new float[x.length + 5];
        for (float slope : new float[] {0f, 0.1f}) {
            k.backward(x, 3, g, 1, out, 5, x.length - 3, slope);
            for (int i = 0; i < x.length - 3; i++) assertBits(backwardByCases(x[3 + i], g[1 + i], slope), out[5 + i], "slope " + slope + " element " + i);
        }
    }

    private static void assertBits(float expected, float actual, String what) {
        assertEquals(Float.floatToIntBits(expected), Float.floatToIntBits(actual), () -> what + ": expected " + expected + ", got " + actual);
    }
}
