package org.dpmammo.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dpmammo.tensor.Tensor;
import org.dpmammo.util.Rng;
import org.junit.jupiter.api.Test;

class InitTest {
    /** max |v| and the variance of the values. */
    private static double[] stats(Tensor t) {
        float[] v = t.toArray();
        double max = 0, mean = 0, sq = 0;
        for (float x : v) {
            max = Math.max(max, Math.abs(x));
            mean += x;
        }
        mean /= v.length;
        for (float x : v) sq += (x - mean) * (x - mean);
        return new double[] {max, sq / (v.length - 1)};
    }

    /**
     * Weights U(−b, b) with b = 1/√fan_in: all inside b, the largest near b, variance b²/3. fan_in and b for these
     * shapes are as torch.nn.init computes them (tools/reference/init_reference.py, torch 1.13): Linear(50, 100)
     * 50 → 0.141421356; Conv2d(2, 64, 6) 72 → 0.117851130; ConvTranspose2d(200, 64, 4) 1024 (from weight dim 1,
     * 64·4·4) → 0.03125; ConvTranspose2d(64, 1, 4) 16 → 0.25.
     */
    private static void checkUniform(Parameter w, Parameter b, int fanIn, double bound) {
        assertEquals(fanIn, Init.fanIn(w.shape()));
        assertEquals(bound, 1 / Math.sqrt(fanIn), 1e-9);
        double[] sw = stats(w.value());
        assertTrue(sw[0] <= bound && sw[0] > 0.95 * bound, "max |w| " + sw[0] + " for bound " + bound);
        // Relative standard error of a sample variance of n uniforms is about √(0.8/n); all n here are ≥ 1024.
        assertEquals(1, sw[1] * 3 / (bound * bound), 0.12);
        double[] sb = stats(b.value());
        assertTrue(sb[0] <= bound, "max |b| " + sb[0]);
    }

    @Test
    void defaultInitsMatchPyTorchRanges() {
        Rng rng = new Rng(80);
        Linear lin = new Linear(50, 100, rng);
        checkUniform(lin.weight, lin.bias, 50, 0.141421356);
        Conv2d conv = new Conv2d(2, 64, 6, 2, 2, true, rng);
        checkUniform(conv.weight, conv.bias, 72, 0.117851130);
        ConvTranspose2d ct = new ConvTranspose2d(200, 64, 4, 1, 0, 0, true, rng);
        checkUniform(ct.weight, ct.bias, 1024, 0.03125);
        ConvTranspose2d last = new ConvTranspose2d(64, 1, 4, 2, 1, 0, true, rng);
        checkUniform(last.weight, last.bias, 16, 0.25);
    }

    @Test
    void normalAndTruncatedNormal() {
        Rng rng = new Rng(81);
        Parameter p = new Parameter(Tensor.zeros(100, 100));
        Init.normal(p, 0, 0.02, rng);
        assertEquals(0.02 * 0.02, stats(p.value())[1], 0.02 * 0.02 * 0.05);
        Init.normal(p, 1, 0.02, rng);
        assertEquals(1, p.value().toArray()[17], 0.02 * 6);

        // Truncation at ±1 std: variance of N(0, 1) truncated to [−1, 1] is 1 − 2φ(1)/(2Φ(1) − 1) = 0.29112509.
        Init.truncNormal(p, 0, 1, -1, 1, rng);
        double[] s = stats(p.value());
        assertTrue(s[0] <= 1);
        assertEquals(0.29112509, s[1], 0.29112509 * 0.05);
        // Swin's trunc_normal(std=0.02) with PyTorch's absolute bounds ±2: in effect N(0, 0.02²).
        Init.truncNormal(p, 0.02, rng);
        assertEquals(0.02 * 0.02, stats(p.value())[1], 0.02 * 0.02 * 0.05);
        assertThrows(IllegalArgumentException.class, () -> Init.truncNormal(p, 0, 1, 1, -1, rng));
    }

    @Test
    void normsStartAtOneAndZero() {
        GroupNorm gn = new GroupNorm(2, 4);
        assertEquals(4, gn.weight.value().numel());
        for (float v : gn.weight.value().toArray()) assertEquals(1f, v);
        for (float v : gn.bias.value().toArray()) assertEquals(0f, v);
        Init.constant(gn.bias, 0.5f);
        for (float v : gn.bias.value().toArray()) assertEquals(0.5f, v);
    }
}
