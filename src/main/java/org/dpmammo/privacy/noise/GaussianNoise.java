package org.dpmammo.privacy.noise;

import org.dpmammo.backend.Backends;
import org.dpmammo.tensor.Tensor;
import org.dpmammo.util.SnappedGaussian;

/**
 * Gaussian noise for DP-SGD, N(0, std²) per coordinate, hardened against floating-point attacks.
 *
 * <p>Defences, in the order they act (see docs/SECURITY.md and docs/DP-MATH.md §4):
 * <ol>
 *   <li>Randomness from {@link RandomSource}: ChaCha20 keyed from {@code SecureRandom} in secure mode.</li>
 *   <li>Each pair of standard normals is Box–Muller on two 53-bit uniforms, in double precision.</li>
 *   <li>Holohan &amp; Braghin (arXiv 2107.10138, §5.1, n = 2): the sample is (z₁ + z₂ + z₃ + z₄)/2 of four
 *       independent normals — the same N(0, 1) — which fills the "holes" a single Box–Muller draw leaves.</li>
 *   <li>Snapping in the spirit of Mironov (CCS 2012): the noisy value x + std·z is rounded, in double, to a multiple
 *       of a power-of-two resolution r chosen from std alone (r = 2^(⌊log₂ std⌋ − 12)), so the low-order bits of
 *       the output are the same function of the noise whatever the input, and the float32 result is exact for
 *       |x + noise| &lt; 2^24·r ≈ 4096·std. The rounding moves a value by at most r/2 ≈ std/8192.</li>
 * </ol>
 * This is hardening, not a proof: precision-based attacks on continuous noise are an open area.
 */
public final class GaussianNoise {
    private final RandomSource source;

    public GaussianNoise(RandomSource source) {
        this.source = source;
    }

    public RandomSource source() {
        return source;
    }

    /** The snapping resolution used for noise of standard deviation std: a power of two, from std alone. */
    public static double resolution(double std) {
        return Math.scalb(1.0, Math.getExponent(std) - 12);
    }

    /**
     * Adds N(0, std²) to values[off, off + len) in place, snapped to {@link #resolution(double)}. std = 0 leaves the
     * values unchanged (the non-private limit, used by tests). The coordinates are cut into fixed chunks
     * ({@link SnappedGaussian#CHUNK}), each with its own substream of the source's current step, and filled in
     * parallel: the result does not depend on the thread count. Within a chunk, each Box–Muller pair yields two
     * normals (cosine and sine), so a coordinate costs two pairs.
     */
    public void addTo(float[] values, int off, int len, double std) {
        checkStd(std);
        if (std == 0 || len == 0) return;
        long first = source.reserveSubstreams(chunks(len));
        SnappedGaussian.addTo(values, off, len, source.keyWords(), source.step(), first, std, resolution(std));
    }

    /**
     * x + N(0, std²) as a fresh tensor on the current backend, drawing exactly what {@link #addTo(float[], int, int,
     * double)} draws for the same source state (it reserves the same substreams): the CPU backend runs
     * {@link SnappedGaussian}, the CUDA backend its kernel twin, so a seeded run adds the same noise on either and the
     * values never visit the host. std = 0 returns x itself.
     */
    public Tensor addTo(Tensor x, double std) {
        checkStd(std);
        if (std == 0 || x.numel() == 0) return x;
        long first = source.reserveSubstreams(chunks(x.numel()));
        return Backends.current().addGaussianNoise(x, source.keyWords(), source.step(), first, std, resolution(std));
    }

    private static void checkStd(double std) {
        if (!(std >= 0) || Double.isInfinite(std)) throw new IllegalArgumentException("noise standard deviation must be finite and ≥ 0, got " + std);
    }

    private static int chunks(int len) {
        return (len + SnappedGaussian.CHUNK - 1) / SnappedGaussian.CHUNK;
    }
}
