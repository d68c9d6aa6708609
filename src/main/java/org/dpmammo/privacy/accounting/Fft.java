package org.dpmammo.privacy.accounting;

import java.lang.ref.SoftReference;
import java.util.concurrent.ForkJoinTask;
import java.util.stream.IntStream;

/**
 * Iterative radix-2 FFT on split real/imaginary double arrays, and the real-input transform built on it, sized
 * for one length. Written here rather than taken from a library so that the accounting package can be audited
 * alone. The PRV accountant uses it to raise a discretised privacy-loss distribution to a convolution power.
 */
final class Fft {
    /** Real transform length N (a power of two, at least 4). */
    private final int n;
    /** Complex transform length N/2. */
    private final int h;
    /**
     * Twiddles laid out per stage: the length-s transform's e^{−2πik/s} for k < s/2 sits at s/2 + k, for every s
     * from 2 to N (N − 1 entries). The entries for s = N, w^k = e^{−2πik/N}, untangle the packed real transform.
     * Read instead through a stride N/s in one table, a stage would touch a new cache line for nearly every butterfly.
     */
    private final double[] cos;
    private final double[] sin;
    /** Sub-transforms up to this many complex points (256 KiB of data) are finished before moving on, in cache. */
    private static final int BLOCK = 1 << 14;
    /**
     * From this size on the two half-transforms run as parallel fork/join tasks (common pool), and so do the chunks
     * of the large stages, the bit reversal and the real-transform passes. Every task writes only its own
     * elements, so the result does not depend on scheduling or the number of cores.
     */
    private static final int PARALLEL_FROM = 1 << 17;
    /** Elements per parallel chunk of a single pass. */
    private static final int CHUNK = 1 << 15;

    /**
     * The last transform built. Its tables are immutable, so threads may share it; calibration and grids ask for
     * the same length again and again, and building the tables costs as much as a third of a transform. Soft, so
     * that a large table never keeps memory the heap needs.
     */
    private static volatile SoftReference<Fft> last = new SoftReference<>(null);

    /** A transform of length n, reusing the last one built if it has that length. */
    static Fft of(int n) {
        Fft f = last.get();
        if (f == null || f.n != n) {
            f = new Fft(n);
            last = new SoftReference<>(f);
        }
        return f;
    }

    Fft(int n) {
        if (n < 4 || Integer.bitCount(n) != 1) throw new IllegalArgumentException("FFT length must be a power of two >= 4, got " + n);
        this.n = n;
        this.h = n / 2;
        // w^k for k < N/2 at h + k. Each twiddle in the first eighth of the circle is computed directly (no
        // recurrence, so no error growth with length); the rest follow by exact symmetries:
        // w^{N/4 − k} = −i·conj(w^k), w^{k + N/4} = −i·w^k.
        cos = new double[n];
        sin = new double[n];
        int eighth = n / 8;
        for (int k = 0; k <= eighth && k < h; k++) {
            double a = 2 * Math.PI * k / n;
            cos[h + k] = Math.cos(a);
            sin[h + k] = -Math.sin(a);
        }
        int quarter = n / 4;
        for (int k = eighth + 1; k <= quarter && k < h; k++) {
            cos[h + k] = -sin[h + quarter - k];
            sin[h + k] = -cos[h + quarter - k];
        }
        for (int k = quarter + 1; k < h; k++) {
            cos[h + k] = sin[h + k - quarter];
            sin[h + k] = -cos[h + k - quarter];
        }
        // The length-s twiddle e^{−2πik/s} is w^{k·N/s}: every second entry of the next larger stage.
        for (int half = h / 2; half >= 1; half >>= 1) {
            for (int k = 0; k < half; k++) {
                cos[half + k] = cos[2 * half + 2 * k];
                sin[half + k] = sin[2 * half + 2 * k];
            }
        }
    }

    int length() {
        return n;
    }

    /**
     * Forward transform of a real sequence x (length N; shorter input is zero-padded) into bins 0..N/2 of its
     * spectrum X_k = Σ_j x_j e^{−2πijk/N}. The N real values are packed as N/2 complex ones (even samples real,
     * odd imaginary), transformed at half length and untangled.
     */
    void realForward(double[] x, double[] re, double[] im) {
        double[] zr = new double[h];
        double[] zi = new double[h];
        forChunks(h, (from, to) -> {
            for (int k = from; k < to && 2 * k < x.length; k++) {
                zr[k] = x[2 * k];
                if (2 * k + 1 < x.length) zi[k] = x[2 * k + 1];
            }
        });
        complex(zr, zi, false);
        forChunks(h + 1, (from, to) -> {
            for (int k = from; k < to; k++) {
                int a = k % h;
                int b = (h - k) % h;
                // E = FFT of the even samples, O = FFT of the odd ones, from Z_k and conj(Z_{h−k}).
                double er = 0.5 * (zr[a] + zr[b]);
                double ei = 0.5 * (zi[a] - zi[b]);
                double or = 0.5 * (zi[a] + zi[b]);
                double oi = -0.5 * (zr[a] - zr[b]);
                double c = k < h ? cos[h + k] : -1;
                double s = k < h ? sin[h + k] : 0;
                re[k] = er + c * or - s * oi;
                im[k] = ei + c * oi + s * or;
            }
        });
    }

    /** Inverse of {@link #realForward}, including the 1/N, writing the N real samples into x. */
    void realInverse(double[] re, double[] im, double[] x) {
        double[] zr = new double[h];
        double[] zi = new double[h];
        forChunks(h, (from, to) -> {
            for (int k = from; k < to; k++) {
                // X_{k+h} = conj(X_{h−k}) for a real signal, so E_k = (X_k + X_{k+h})/2 and O_k = (X_k − X_{k+h})/(2w^k).
                double br = re[h - k];
                double bi = -im[h - k];
                double er = 0.5 * (re[k] + br);
                double ei = 0.5 * (im[k] + bi);
                double dr = 0.5 * (re[k] - br);
                double di = 0.5 * (im[k] - bi);
                // Dividing by w^k is multiplying by its conjugate, since |w| = 1.
                double or = dr * cos[h + k] + di * sin[h + k];
                double oi = di * cos[h + k] - dr * sin[h + k];
                zr[k] = er - oi;
                zi[k] = ei + or;
            }
        });
        complex(zr, zi, true);
        double scale = 1.0 / h;
        forChunks(h, (from, to) -> {
            for (int k = from; k < to; k++) {
                x[2 * k] = zr[k] * scale;
                x[2 * k + 1] = zi[k] * scale;
            }
        });
    }

    /** In-place complex transform of length N/2 (unnormalised; the inverse uses e^{+2πijk/(N/2)}). */
    private void complex(double[] re, double[] im, boolean inverse) {
        int bits = Integer.numberOfTrailingZeros(h);
        // Each pair (i, reverse(i)) is swapped by the chunk holding the smaller index only, so chunks never collide.
        forChunks(h, (from, to) -> {
            for (int i = from; i < to; i++) {
                int j = Integer.reverse(i) >>> (32 - bits);
                if (j > i) {
                    double t = re[i];
                    re[i] = re[j];
                    re[j] = t;
                    t = im[i];
                    im[i] = im[j];
                    im[j] = t;
                }
            }
        });
        decimateInTime(re, im, 0, h, inverse ? -1 : 1);
    }

    /**
     * Radix-2 decimation in time on [off, off + len) of bit-reversed input. Depth first, so that once a
     * sub-transform fits in cache all its stages run there; only the top log2(N/BLOCK) stages stream memory.
     */
    private void decimateInTime(double[] re, double[] im, int off, int len, double sign) {
        if (len > BLOCK) {
            if (len >= PARALLEL_FROM) {
                ForkJoinTask.invokeAll(
                        ForkJoinTask.adapt(() -> decimateInTime(re, im, off, len / 2, sign)),
                        ForkJoinTask.adapt(() -> decimateInTime(re, im, off + len / 2, len / 2, sign)));
                // The butterflies of one stage are independent: chunks of them run in parallel.
                forChunks(len / 2, (from, to) -> butterflies(re, im, off, len, sign, from, to));
            } else {
                decimateInTime(re, im, off, len / 2, sign);
                decimateInTime(re, im, off + len / 2, len / 2, sign);
                butterflies(re, im, off, len, sign, 0, len / 2);
            }
            return;
        }
        for (int span = 2; span <= len; span <<= 1) {
            for (int start = off; start < off + len; start += span) butterflies(re, im, start, span, sign, 0, span / 2);
        }
    }

    /** Butterflies k ∈ [from, to) of one stage, which combines the halves of [start, start + span) into a transform of length span. */
    private void butterflies(double[] re, double[] im, int start, int span, double sign, int from, int to) {
        int half = span >> 1;
        for (int k = from; k < to; k++) {
            double wr = cos[half + k];
            double wi = sign * sin[half + k];
            int p = start + k;
            int q = p + half;
            double tr = re[q] * wr - im[q] * wi;
            double ti = re[q] * wi + im[q] * wr;
            re[q] = re[p] - tr;
            im[q] = im[p] - ti;
            re[p] += tr;
            im[p] += ti;
        }
    }

    /** A body over the index range [from, to). */
    private interface Range {
        void run(int from, int to);
    }

    /** Runs body over [0, count) in chunks of CHUNK, in parallel from PARALLEL_FROM elements on. */
    private static void forChunks(int count, Range body) {
        if (count < PARALLEL_FROM) {
            body.run(0, count);
            return;
        }
        IntStream.range(0, (count + CHUNK - 1) / CHUNK).parallel()
                .forEach(c -> body.run(c * CHUNK, Math.min(count, (c + 1) * CHUNK)));
    }
}
