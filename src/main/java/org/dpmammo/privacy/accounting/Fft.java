package org.dpmammo.privacy.accounting;

import java.lang.ref.SoftReference;
import java.util.Arrays;
import java.util.concurrent.ForkJoinTask;
import java.util.stream.IntStream;

/**
 * Radix-2 FFT on split real/imaginary double arrays, and the real-input transform built on it, sized for one
 * length. Written here rather than taken from a library so that the accounting package can be audited alone. The
 * PRV accountant uses it to raise a discretised privacy-loss distribution to a convolution power, which is
 * pointwise on the spectrum, so the spectrum is kept in bit-reversed order: the forward transform decimates in
 * frequency (natural order in, bit-reversed out) and the inverse in time (bit-reversed in, natural out), and no
 * pass ever permutes the data.
 */
final class Fft {
    /** Real transform length N (a power of two, at least 4). */
    private final int n;
    /** Complex transform length N/2. */
    private final int h;
    /**
     * Twiddles laid out per stage: the length-s transform's e^{−2πik/s} for k < s/2 sits at s/2 + k, for s from
     * 2 to N/2. Read instead through a stride N/s in one table, a stage would touch a new cache line for nearly
     * every butterfly. Entries N/2 + p hold w^k = e^{−2πik/N} for k = reverse(p), the twiddles that untangle the
     * packed real transform, in the order in which the spectrum is stored.
     */
    private final double[] cos;
    private final double[] sin;
    /** Sub-transforms up to this many complex points (256 KiB of data) are finished before moving on, in cache. */
    private static final int BLOCK = 1 << 14;
    /**
     * From this size on the two half-transforms run as parallel fork/join tasks (common pool), and so do the chunks
     * of the large stages and the real-transform passes. Every task writes only its own elements, so the result
     * does not depend on scheduling or the number of cores.
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
        // First w^k for k < N/2 at h + k, in natural order. Each twiddle in the first eighth of the circle is
        // computed directly (no recurrence, so no error growth with length); the rest follow by exact symmetries:
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
        // Then the untangling twiddles into the spectrum's bit-reversed order (the stages above are built already).
        int bits = Integer.numberOfTrailingZeros(h);
        for (int p = 0; p < h; p++) {
            int k = Integer.reverse(p) >>> (32 - bits);
            if (k > p) {
                swap(cos, h + p, h + k);
                swap(sin, h + p, h + k);
            }
        }
    }

    private static void swap(double[] a, int i, int j) {
        double t = a[i];
        a[i] = a[j];
        a[j] = t;
    }

    int length() {
        return n;
    }

    /** Where bin k (0 ≤ k ≤ N/2) sits in the spectrum arrays of {@link #realForward}: bit-reversed below N/2. */
    int bin(int k) {
        return k == h ? h : Integer.reverse(k) >>> (32 - Integer.numberOfTrailingZeros(h));
    }

    /**
     * Position of bin (N/2 − k) mod N/2 given position p ≥ 1 of bin k: in bit-reversed order bins k and N/2 − k
     * share the block [2^m, 2^{m+1}) (same lowest set bit) and sit mirrored in it.
     */
    private static int partner(int p) {
        int block = Integer.highestOneBit(p);
        return 3 * block - 1 - p;
    }

    /**
     * Forward transform of a real sequence x (length N; shorter input is zero-padded) into bins 0..N/2 of its
     * spectrum X_k = Σ_j x_j e^{−2πijk/N}, returned as {re, im} (length N/2 + 1 each) with bin k at {@link #bin}(k).
     * x must be zero outside [from, to), which is not read: a discretised PRV is zero but for a short window, and the
     * first stage skips what is known to be zero. The N real values are packed as N/2 complex ones (even samples
     * real, odd imaginary) straight into the spectrum arrays, transformed at half length and untangled in place.
     */
    double[][] realForward(double[] x, int from, int to) {
        if (from < 0 || from > to || to > Math.min(x.length, n)) {
            throw new IllegalArgumentException("window [" + from + ", " + to + ") of " + x.length + " samples for length " + n);
        }
        double[] re = new double[h + 1];
        double[] im = new double[h + 1];
        // Complex points [lo, hi) hold the window; the rest stay zero as allocated.
        int lo = from / 2;
        int hi = (to + 1) / 2;
        forChunks(hi - lo, (a, b) -> {
            for (int k = lo + a; k < lo + b; k++) {
                re[k] = x[2 * k];
                im[k] = 2 * k + 1 < x.length ? x[2 * k + 1] : 0;
            }
        });
        forwardHalf(re, im, lo, hi);
        // Position p holds Z_k for k = reverse(p); position 0 holds Z_0, which also gives the Nyquist bin N/2, and
        // position 1 (k = N/4) is its own partner.
        double z0r = re[0];
        double z0i = im[0];
        re[0] = z0r + z0i;
        im[0] = 0;
        re[h] = z0r - z0i;
        im[h] = 0;
        if (h > 1) untangle(re, im, 1, 1);
        // Pairs (p, partner(p)) with p in the first half of its block [B, 2B): pair i ≥ 1 has p = i + highestOneBit(i).
        forChunks(h / 2, (a, b) -> {
            for (int i = Math.max(1, a); i < b; i++) {
                int p = i + Integer.highestOneBit(i);
                untangle(re, im, p, partner(p));
            }
        });
        return new double[][] {re, im};
    }

    /**
     * Turns Z at positions p and b = partner(p) (bins k and N/2 − k) into X_k and X_{N/2−k} in place: E = FFT of the
     * even samples, O = FFT of the odd ones, from Z_k and conj(Z_{h−k}); X_k = E_k + w^k·O_k.
     */
    private void untangle(double[] re, double[] im, int p, int b) {
        double pr = re[p];
        double pi = im[p];
        double br = re[b];
        double bi = im[b];
        double er = 0.5 * (pr + br);
        double ei = 0.5 * (pi - bi);
        double or = 0.5 * (pi + bi);
        double oi = -0.5 * (pr - br);
        re[p] = er + cos[h + p] * or - sin[h + p] * oi;
        im[p] = ei + cos[h + p] * oi + sin[h + p] * or;
        if (b == p) return;
        er = 0.5 * (br + pr);
        ei = 0.5 * (bi - pi);
        or = 0.5 * (bi + pi);
        oi = -0.5 * (br - pr);
        re[b] = er + cos[h + b] * or - sin[h + b] * oi;
        im[b] = ei + cos[h + b] * oi + sin[h + b] * or;
    }

    /** Inverse of {@link #realForward} (spectrum in its order), including the 1/N, writing N real samples into x. */
    void realInverse(double[] re, double[] im, double[] x) {
        double[] zr = new double[h];
        double[] zi = new double[h];
        forChunks(h, (from, to) -> {
            for (int p = from; p < to; p++) {
                // X_{k+h} = conj(X_{h−k}) for a real signal, so E_k = (X_k + X_{k+h})/2 and
                // O_k = (X_k − X_{k+h})/(2w^k). For k = 0 the partner is the Nyquist bin, stored at h.
                int b = p == 0 ? h : partner(p);
                double br = re[b];
                double bi = -im[b];
                double er = 0.5 * (re[p] + br);
                double ei = 0.5 * (im[p] + bi);
                double dr = 0.5 * (re[p] - br);
                double di = 0.5 * (im[p] - bi);
                // Dividing by w^k is multiplying by its conjugate, since |w| = 1.
                double or = dr * cos[h + p] + di * sin[h + p];
                double oi = di * cos[h + p] - dr * sin[h + p];
                zr[p] = er - oi;
                zi[p] = ei + or;
            }
        });
        decimateInTime(zr, zi, 0, h);
        double scale = 1.0 / h;
        forChunks(h, (from, to) -> {
            for (int k = from; k < to; k++) {
                x[2 * k] = zr[k] * scale;
                x[2 * k + 1] = zi[k] * scale;
            }
        });
    }

    /**
     * The whole half-length forward transform of re and im, which are zero outside [lo, hi). The first two stages
     * (one pass) skip the indices k whose four points k + j·N/8 are all zero: their outputs are zero, which they
     * already are. The rest is {@link #decimateInFrequency}.
     */
    private void forwardHalf(double[] re, double[] im, int lo, int hi) {
        if (h <= BLOCK || hi - lo >= h) {
            decimateInFrequency(re, im, 0, h);
            return;
        }
        int quarter = h / 4;
        // Point k + j·quarter lies in [lo, hi) for k in [lo − j·quarter, hi − j·quarter): four intervals of k, merged.
        int[][] runs = new int[4][];
        for (int j = 0; j < 4; j++) runs[j] = new int[] {Math.max(0, lo - j * quarter), Math.min(quarter, hi - j * quarter)};
        Arrays.sort(runs, (x, y) -> Integer.compare(x[0], y[0]));
        int end = 0;
        for (int[] run : runs) {
            int start = Math.max(run[0], end);
            if (start < run[1]) {
                forChunks(run[1] - start, (a, b) -> frequencyButterflies2(re, im, 0, h, start + a, start + b));
                end = run[1];
            }
        }
        if (h >= PARALLEL_FROM) {
            ForkJoinTask.invokeAll(
                    ForkJoinTask.adapt(() -> decimateInFrequency(re, im, 0, quarter)),
                    ForkJoinTask.adapt(() -> decimateInFrequency(re, im, quarter, quarter)),
                    ForkJoinTask.adapt(() -> decimateInFrequency(re, im, 2 * quarter, quarter)),
                    ForkJoinTask.adapt(() -> decimateInFrequency(re, im, 3 * quarter, quarter)));
        } else {
            for (int part = 0; part < 4; part++) decimateInFrequency(re, im, part * quarter, quarter);
        }
    }

    /**
     * Radix-2 decimation in frequency on [off, off + len): natural order in, bit-reversed order out, unnormalised,
     * e^{−2πijk/len} (the forward direction). Stages run two at a time ({@link #frequencyButterflies2}). Depth first, so that once a
     * sub-transform fits in cache all its stages run there; only the top log2(N/BLOCK) stages stream memory.
     */
    private void decimateInFrequency(double[] re, double[] im, int off, int len) {
        if (len > BLOCK) {
            int quarter = len / 4;
            if (len >= PARALLEL_FROM) {
                // The butterflies of two stages are independent per index: chunks of them run in parallel, then the
                // quarters.
                forChunks(quarter, (from, to) -> frequencyButterflies2(re, im, off, len, from, to));
                ForkJoinTask.invokeAll(
                        ForkJoinTask.adapt(() -> decimateInFrequency(re, im, off, quarter)),
                        ForkJoinTask.adapt(() -> decimateInFrequency(re, im, off + quarter, quarter)),
                        ForkJoinTask.adapt(() -> decimateInFrequency(re, im, off + 2 * quarter, quarter)),
                        ForkJoinTask.adapt(() -> decimateInFrequency(re, im, off + 3 * quarter, quarter)));
            } else {
                frequencyButterflies2(re, im, off, len, 0, quarter);
                for (int part = 0; part < 4; part++) decimateInFrequency(re, im, off + part * quarter, quarter);
            }
            return;
        }
        int span = len;
        for (; span >= 4; span >>= 2) {
            for (int start = off; start < off + len; start += span) {
                frequencyButterflies2(re, im, start, span, 0, span / 4);
            }
        }
        if (span == 2) {
            for (int start = off; start < off + len; start += 2) frequencyButterflies(re, im, start, 2, 0, 1);
        }
    }

    /**
     * Two stages at once: the stage that splits [start, start + span) into halves, then the stages that split each
     * half, for the four points k + j·span/4 (j < 4) of each k ∈ [from, to) ⊂ [0, span/4). The arithmetic is exactly
     * that of {@link #frequencyButterflies} run stage after stage (same operations, same twiddles, same order per
     * point), so results are bit-identical; the intermediate values stay in registers instead of making another
     * pass through memory.
     */
    private void frequencyButterflies2(double[] re, double[] im, int start, int span, int from, int to) {
        int half = span >> 1;
        int quarter = span >> 2;
        for (int k = from; k < to; k++) {
            int p0 = start + k;
            int p1 = p0 + quarter;
            int p2 = p1 + quarter;
            int p3 = p2 + quarter;
            // Stage of length span: (p0, p2) with twiddle k, (p1, p3) with twiddle k + span/4.
            double wr = cos[half + k];
            double wi = sin[half + k];
            double dr = re[p0] - re[p2];
            double di = im[p0] - im[p2];
            double a0r = re[p0] + re[p2];
            double a0i = im[p0] + im[p2];
            double a2r = dr * wr - di * wi;
            double a2i = dr * wi + di * wr;
            wr = cos[half + k + quarter];
            wi = sin[half + k + quarter];
            dr = re[p1] - re[p3];
            di = im[p1] - im[p3];
            double a1r = re[p1] + re[p3];
            double a1i = im[p1] + im[p3];
            double a3r = dr * wr - di * wi;
            double a3i = dr * wi + di * wr;
            // Stage of length span/2 on each half: (p0, p1) and (p2, p3), both with twiddle k.
            wr = cos[quarter + k];
            wi = sin[quarter + k];
            dr = a0r - a1r;
            di = a0i - a1i;
            re[p0] = a0r + a1r;
            im[p0] = a0i + a1i;
            re[p1] = dr * wr - di * wi;
            im[p1] = dr * wi + di * wr;
            dr = a2r - a3r;
            di = a2i - a3i;
            re[p2] = a2r + a3r;
            im[p2] = a2i + a3i;
            re[p3] = dr * wr - di * wi;
            im[p3] = dr * wi + di * wr;
        }
    }

    /**
     * Butterflies k ∈ [from, to) of one stage, which splits [start, start + span) into the inputs of two
     * half-length transforms.
     */
    private void frequencyButterflies(double[] re, double[] im, int start, int span, int from, int to) {
        int half = span >> 1;
        for (int k = from; k < to; k++) {
            double wr = cos[half + k];
            double wi = sin[half + k];
            int p = start + k;
            int q = p + half;
            double dr = re[p] - re[q];
            double di = im[p] - im[q];
            re[p] += re[q];
            im[p] += im[q];
            re[q] = dr * wr - di * wi;
            im[q] = dr * wi + di * wr;
        }
    }

    /**
     * Radix-2 decimation in time on [off, off + len): bit-reversed order in, natural order out, unnormalised,
     * e^{+2πijk/len} (the inverse direction). Depth first like {@link #decimateInFrequency}.
     */
    private void decimateInTime(double[] re, double[] im, int off, int len) {
        if (len > BLOCK) {
            if (len >= PARALLEL_FROM) {
                ForkJoinTask.invokeAll(
                        ForkJoinTask.adapt(() -> decimateInTime(re, im, off, len / 2)),
                        ForkJoinTask.adapt(() -> decimateInTime(re, im, off + len / 2, len / 2)));
                forChunks(len / 2, (from, to) -> timeButterflies(re, im, off, len, from, to));
            } else {
                decimateInTime(re, im, off, len / 2);
                decimateInTime(re, im, off + len / 2, len / 2);
                timeButterflies(re, im, off, len, 0, len / 2);
            }
            return;
        }
        for (int span = 2; span <= len; span <<= 1) {
            for (int start = off; start < off + len; start += span) {
                timeButterflies(re, im, start, span, 0, span / 2);
            }
        }
    }

    /** Butterflies k ∈ [from, to) of one stage, which combines the halves of [start, start + span) into a transform of length span. */
    private void timeButterflies(double[] re, double[] im, int start, int span, int from, int to) {
        int half = span >> 1;
        for (int k = from; k < to; k++) {
            double wr = cos[half + k];
            double wi = -sin[half + k];
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
