package org.dpmammo.util;

/**
 * DP-SGD's Gaussian noise as a pure function of (key, step, substream, coordinate): the one generator both backends
 * draw from. It sits here, below every backend, so that the CPU backend's noise operation and
 * privacy.noise.GaussianNoise are the same code, and src/main/cuda/dp.cu repeats it coordinate for coordinate.
 *
 * <p>Coordinates are cut into chunks of {@link #CHUNK}; chunk c reads ChaCha20 substream (first + c) of the step —
 * nonce (step low, step high, first + c), block counter from 0 — as consecutive 64-bit words, high half first. Each
 * value is (z₁ + z₂ + z₃ + z₄)/2 from two Box–Muller pairs in double (Holohan &amp; Braghin's fix for the holes of a
 * single draw), added to x in double and snapped to a multiple of the power-of-two resolution, then rounded to
 * float. The reasons for each step are in privacy.noise.GaussianNoise, which chooses the resolution and reserves the
 * substreams.
 */
public final class SnappedGaussian {
    private SnappedGaussian() {}

    /** Coordinates per substream; dp.cu's NOISE_CHUNK repeats it. */
    public static final int CHUNK = 8192;

    /**
     * Adds snapped N(0, std²) to values[off, off + len) in place, chunk c drawing from substream firstSubstream + c of
     * step {@code step} under the 8-word key. Chunks are filled in parallel; the result does not depend on the thread
     * count. std must be positive and resolution a power of two (the caller checks both).
     */
    public static void addTo(float[] values, int off, int len, int[] key, long step, long firstSubstream, double std, double resolution) {
        if (len == 0) return;
        int chunks = (len + CHUNK - 1) / CHUNK;
        Parallel.forRange(chunks, 1, (c0, c1) -> {
            for (int c = c0; c < c1; c++) {
                Stream s = new Stream(key, step, firstSubstream + c);
                for (int i = off + c * CHUNK, end = Math.min(off + len, i + CHUNK); i < end; i++) {
                    double noisy = values[i] + std * hardenedNormal(s);
                    values[i] = (float) (Math.rint(noisy / resolution) * resolution);
                }
            }
        });
    }

    /** (z₁ + z₂ + z₃ + z₄)/2 from two Box–Muller pairs: N(0, 1), with the sampling holes of a single draw filled. */
    private static double hardenedNormal(Stream s) {
        double sum = 0;
        for (int pair = 0; pair < 2; pair++) {
            double radius = Math.sqrt(-2 * Math.log(s.nextDoubleOpenAtZero()));
            double angle = 2 * Math.PI * s.nextDouble();
            sum += radius * (Math.cos(angle) + Math.sin(angle));
        }
        return sum / 2;
    }

    /**
     * One substream read sequentially: uniform doubles from consecutive 64-bit words. The keystream is computed
     * {@link ChaCha20#lanes()} blocks at a time (word-major, see {@link ChaCha20#blocks}); a chunk's last batch may
     * compute a few blocks it never reads, which changes nothing that is read.
     */
    private static final class Stream {
        private final int[] key;
        private final int n0, n1, n2;
        private final int lanes = ChaCha20.lanes();
        private final int[] words = new int[16 * lanes];
        /** The next batch's first block counter; the block being read within the batch and its next word. */
        private int counter, block = lanes - 1, word = 16;

        Stream(int[] key, long step, long substream) {
            this.key = key;
            this.n0 = (int) step;
            this.n1 = (int) (step >>> 32);
            this.n2 = (int) substream;
        }

        private long nextLong() {
            if (word == 16) {
                word = 0;
                if (++block == lanes) {
                    ChaCha20.blocks(key, counter, n0, n1, n2, words);
                    counter += lanes;
                    block = 0;
                }
            }
            long v = ((long) words[word * lanes + block] << 32) | (words[(word + 1) * lanes + block] & 0xFFFFFFFFL);
            word += 2;
            return v;
        }

        /** Uniform in [0, 1) with 53 bits. */
        double nextDouble() {
            return (nextLong() >>> 11) * 0x1.0p-53;
        }

        /** Uniform in (0, 1]: never 0, so its logarithm is finite. */
        double nextDoubleOpenAtZero() {
            return ((nextLong() >>> 11) + 1) * 0x1.0p-53;
        }
    }
}
