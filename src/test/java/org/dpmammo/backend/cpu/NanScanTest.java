package org.dpmammo.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dpmammo.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * The CPU backend's NaN scan (SIMD where the Vector API is in use, split over threads when large) agrees with the
 * element-by-element scan: a NaN at every position of short arrays (vector bodies and tails of every length),
 * at the first, a middle and the last position of long ones, offsets, strided views; infinities are not NaN.
 */
class NanScanTest {
    @Test
    void findsEveryNaNAndNothingElse() {
        for (int n = 0; n <= 200; n++) {
            float[] d = new float[n + 5];
            for (int i = 0; i < d.length; i++) d[i] = i % 4 == 0 ? Float.POSITIVE_INFINITY : i % 4 == 1 ? Float.NEGATIVE_INFINITY : -i;
            assertFalse(Kernels.hasNaN(d, 3, 3 + n), "no NaN, n = " + n);
            for (int at = 0; at < n; at++) {
                d[3 + at] = Float.NaN;
                assertTrue(Kernels.hasNaN(d, 3, 3 + n), "NaN at " + at + " of " + n);
                d[3 + at] = 0f;
            }
            // NaN just outside the range is not seen.
            d[2] = Float.NaN;
            d[3 + n] = Float.NaN;
            assertFalse(Kernels.hasNaN(d, 3, 3 + n), "NaN outside the range, n = " + n);
        }
    }

    @Test
    void largeAndStridedTensorsAgreeWithTheScalarScan() {
        for (int n : new int[] {(1 << 15) - 1, 5 * (1 << 15) + 7}) {
            Tensor t = Tensor.zeros(n);
            for (int i = 0; i < n; i++) t.data()[i] = i % 3 == 0 ? Float.POSITIVE_INFINITY : i;
            assertFalse(CpuBackend.hasNaN(t));
            for (int at : new int[] {0, n / 2, n - 1}) {
                t.data()[at] = Float.NaN;
                assertTrue(CpuBackend.hasNaN(t), "NaN at " + at + " of " + n);
                t.data()[at] = 1f;
            }
        }
        Tensor m = Tensor.zeros(300, 400);
        m.data()[5] = Float.NaN;
        for (Tensor v : new Tensor[] {m, m.slice(1, 6, 400, 1), m.slice(1, 5, 400, 1), m.transpose(0, 1), m.slice(0, 1, 300, 1)})
            assertEquals(v.hasNaN(), CpuBackend.hasNaN(v));
    }
}
