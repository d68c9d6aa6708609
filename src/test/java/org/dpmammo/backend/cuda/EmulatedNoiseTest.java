package org.dpmammo.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import org.dpmammo.privacy.noise.GaussianNoise;
import org.dpmammo.privacy.noise.RandomSource;
import org.dpmammo.tensor.Tensor;
import org.dpmammo.util.ChaCha20;
import org.dpmammo.util.Rng;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * One noise generator on both backends: dp_gaussian_noise (run by the kernel emulator) and its plain-Java twin
 * {@link DpReference#gaussianNoise} must draw, for a seeded {@link RandomSource}, exactly the float bits that the CPU's
 * {@link GaussianNoise#addTo} draws — multi-chunk calls, odd lengths, substream numbers above 2^31 and steps above
 * 2^32 included.
 *
 * <p>What "exactly" rests on: the kernel repeats the Java code's double operations in the same order with no FMA
 * (both sides are IEEE double with round-to-nearest), so the only possible difference is the last bit of log, cos
 * and sin. The emulator computes those with the host's glibc, a GPU with CUDA's libdevice, the JVM with its own
 * intrinsics; after snapping to the power-of-two grid, such a difference changes an output only when x + σz lies
 * within a few ulps of a grid midpoint (≈1e-11 per coordinate), so for these fixed seeds equality is asserted
 * coordinate for coordinate, and a failure names how many coordinates differ and by how many grid steps.
 */
class EmulatedNoiseTest {
    private static EmulatedDevice device;
    private static CudaBackend emu;

    @BeforeAll
    static void start() throws Exception {
        String exe = EmulatedDevice.build();
        Assumptions.assumeTrue(exe != null, "no g++ on PATH: kernel emulation skipped");
        device = new EmulatedDevice(exe);
        emu = new CudaBackend(device, false);
    }

    @AfterAll
    static void stop() throws Exception {
        if (device != null) device.close();
    }

    /** The key RandomSource.deterministic(seed, purpose) uses: SHA-256 of the seed's 8 bytes and the purpose. */
    static int[] deterministicKey(long seed, String purpose) throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        sha.update(ByteBuffer.allocate(8).putLong(seed).array());
        sha.update(purpose.getBytes(StandardCharsets.UTF_8));
        return ChaCha20.keyWords(sha.digest());
    }

    private record Draw(float[] cpu, long firstSubstream) {}

    /** The CPU's noise on x for (seed, step) after `skipped` substreams were reserved in the step. */
    private static Draw cpu(long seed, long step, long skipped, float[] x, double std) {
        RandomSource source = RandomSource.deterministic(seed, "noise");
        source.seekStep(step);
        while (skipped > 0) {
            int n = (int) Math.min(skipped, Integer.MAX_VALUE);
            source.reserveSubstreams(n);
            skipped -= n;
        }
        long first = source.reserveSubstreams(0);
        float[] v = x.clone();
        new GaussianNoise(source).addTo(v, 0, v.length, std);
        return new Draw(v, first);
    }

    private static void assertSameBits(float[] expected, float[] actual, double resolution, String what) {
        assertEquals(expected.length, actual.length, what);
        int differ = 0;
        double worstSteps = 0;
        for (int i = 0; i < expected.length; i++) {
            if (Float.floatToRawIntBits(expected[i]) != Float.floatToRawIntBits(actual[i])) {
                differ++;
                worstSteps = Math.max(worstSteps, Math.abs(expected[i] - actual[i]) / resolution);
            }
        }
        assertEquals(0, differ, what + ": " + differ + " of " + expected.length + " coordinates differ, by up to " + worstSteps + " grid steps");
    }

    private static float[] values(long seed, int n, float scale) {
        Rng rng = new Rng(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) rng.uniform(-scale, scale);
        return x;
    }

    @Test
    void seededNoiseIsTheCpusBitForBit() throws Exception {
        // (seed, step, substreams reserved before, length, σ, input scale)
        Object[][] cases = {
            {7L, 0L, 0L, 1, 1.0, 0f},
            {7L, 3L, 0L, 2 * CudaBackend.NOISE_CHUNK + 4099, 0.37, 1f},
            {11L, 0x1_0000_0005L, 5L, CudaBackend.NOISE_CHUNK + 1, 12.5, 40f},
            {13L, 42L, 0xFFFF_FF00L, 3 * CudaBackend.NOISE_CHUNK - 1, 1e-3, 1e-2f},
        };
        for (Object[] c : cases) {
            long seed = (Long) c[0], step = (Long) c[1], skipped = (Long) c[2];
            int n = (Integer) c[3];
            double std = (Double) c[4], res = GaussianNoise.resolution(std);
            float[] x = values(seed + n, n, (Float) c[5]);
            Draw d = cpu(seed, step, skipped, x, std);
            int[] key = deterministicKey(seed, "noise");
            String what = "seed " + seed + ", step " + step + ", substream " + d.firstSubstream() + ", n " + n + ", σ " + std;
            assertSameBits(d.cpu(), DpReference.gaussianNoise(key, step, d.firstSubstream(), std, res, x, n), res, "Java twin, " + what);
            assertSameBits(d.cpu(), emu.addGaussianNoise(Tensor.of(x, n), key, step, d.firstSubstream(), std, res).toArray(), res, "emulated kernel, " + what);
            float[] zeros = new float[n];
            assertSameBits(cpu(seed, step, skipped, zeros, std).cpu(), emu.gaussianNoise(key, step, d.firstSubstream(), std, res, n).toArray(), res,
                    "emulated kernel, noise alone, " + what);
        }
    }

    /**
     * What DpSgd does per step: one GaussianNoise over a sequence of parameter tensors, each call reserving its own
     * substreams, on whichever backend is current. On the emulated device the tensors never leave it, and the noise
     * is the CPU path's (host arrays through GaussianNoise.addTo(float[]…)) bit for bit.
     */
    @Test
    void theDpStepsNoiseOnTheDeviceIsTheCpusBitForBit() {
        int[] sizes = {3, CudaBackend.NOISE_CHUNK + 17, 1, 2 * CudaBackend.NOISE_CHUNK};
        double std = 0.8 * 1.5;
        float[][] cpu = new float[sizes.length][];
        GaussianNoise hostNoise = new GaussianNoise(RandomSource.deterministic(21, "noise"));
        hostNoise.source().seekStep(6);
        for (int k = 0; k < sizes.length; k++) {
            cpu[k] = values(100 + k, sizes[k], 2f);
            hostNoise.addTo(cpu[k], 0, sizes[k], std);
        }
        GaussianNoise deviceNoise = new GaussianNoise(RandomSource.deterministic(21, "noise"));
        deviceNoise.source().seekStep(6);
        try (org.dpmammo.util.Scope s = org.dpmammo.backend.Backends.use(emu)) {
            for (int k = 0; k < sizes.length; k++) {
                Tensor x = emu.upload(Tensor.of(values(100 + k, sizes[k], 2f), sizes[k]));
                Tensor y = deviceNoise.addTo(x, std);
                org.junit.jupiter.api.Assertions.assertTrue(y.isOnDevice(), "the noisy tensor stays on the device");
                assertSameBits(cpu[k], y.toArray(), GaussianNoise.resolution(std), "parameter " + k + " of " + sizes[k]);
            }
        }
        // And the CPU backend's noise operation (SnappedGaussian through Backend's default) is the same stream too.
        GaussianNoise cpuBackend = new GaussianNoise(RandomSource.deterministic(21, "noise"));
        cpuBackend.source().seekStep(6);
        for (int k = 0; k < sizes.length; k++) {
            Tensor y = cpuBackend.addTo(Tensor.of(values(100 + k, sizes[k], 2f), sizes[k]), std);
            assertSameBits(cpu[k], y.toArray(), GaussianNoise.resolution(std), "CPU backend, parameter " + k);
        }
    }

    @Test
    void zeroStandardDeviationLeavesValuesAndAnExhaustedSubstreamSpaceIsRefused() {
        float[] x = values(1, 10, 1f);
        assertSameBits(x, emu.addGaussianNoise(Tensor.of(x, 10), new int[8], 0, 1, 0.0, 1.0).toArray(), 1, "σ = 0");
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> emu.gaussianNoise(new int[8], 0, 0xFFFF_FFFFL, 1.0, 0x1p-12, CudaBackend.NOISE_CHUNK + 1));
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("substream"), e.getMessage());
    }
}
