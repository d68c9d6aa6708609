package org.dpmammo.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.Test;

/**
 * The SIMD GELU (float arithmetic, its own exp) agrees with the same erfc fit evaluated in double ({@link Kernels}),
 * relative to the value far into the negative tail, and handles the special values as x·Φ(x) in double does.
 * The fit itself is within 1.1e-7 of Φ; {@code CpuBackendProperties} checks GELU against the exact series.
 */
class VectorGeluTest {
    private static GeluKernel vector() throws ReflectiveOperationException {
        assumeTrue(Sgemm.vector256Kernel() != null, "jdk.incubator.vector not in this JVM");
        return (GeluKernel) Class.forName("org.dpmammo.backend.cpu.VectorGelu").getDeclaredConstructor().newInstance();
    }

    @Test
    void forwardAndBackwardMatchTheScalarFormulas() throws ReflectiveOperationException {
        GeluKernel k = vector();
        int n = 24_003; // not a multiple of the vector length: the scalar tail runs too
        float[] x = new float[n], g = new float[n], y = new float[n], dx = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = -14f + 28f * i / (n - 1);
            g[i] = 1f - 2f * ((i * 7919) % 1000) / 1000f;
        }
        k.forward(x, 0, y, 0, n);
        k.backward(x, 0, g, 0, dx, 0, n);
        for (int i = 0; i < n; i++) {
            double v = x[i], cdf = Kernels.normalCdf(v), vPdf = v * Math.exp(-0.5 * v * v) / Math.sqrt(2 * Math.PI);
            double want = v * cdf, wantGrad = g[i] * (cdf + vPdf);
            // Relative to the value itself; the float exponent −x²/2 is rounded to ~6e-8·x²/2 absolute, so the
            // relative error grows with x² in the negative tail (1e-5 at x = −12, where GELU is 1e-31).
            double rel = 1e-6 + 2e-7 * v * v;
            assertTrue(Math.abs(y[i] - want) <= rel * Math.abs(want) + 1e-37, "gelu(" + v + ") = " + y[i] + ", expected " + want);
            // Φ + x·φ cancels near x = −0.75: the error is relative to the terms, not to their sum.
            assertTrue(Math.abs(dx[i] - wantGrad) <= rel * Math.abs(g[i]) * (cdf + Math.abs(vPdf)) + 1e-37,
                    "gelu'(" + v + ") = " + dx[i] + ", expected " + wantGrad);
        }
    }

    @Test
    void specialValues() throws ReflectiveOperationException {
        GeluKernel k = vector();
        float[] x = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0f, -0f, 100f, -100f, 1f};
        float[] y = new float[8];
        k.forward(x, 0, y, 0, 8);
        assertTrue(Float.isNaN(y[0]));
        assertEquals(Float.POSITIVE_INFINITY, y[1]);
        assertTrue(Float.isNaN(y[2]), "−∞·Φ(−∞) is NaN, as x·Φ(x) in double");
        assertEquals(0f, y[3]);
        assertEquals(0f, y[4], 0f);
        assertEquals(100f, y[5]);
        assertEquals(0f, y[6], 0f);
        assertEquals(0.8413447460685429, y[7], 1e-7);
    }
}
