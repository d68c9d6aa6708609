package org.dpmammo.privacy.accounting;

import java.util.concurrent.ForkJoinTask;

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
     * w^k = e^{−2πik/N} for k < N/2: the twiddles that untangle the packed real transform; the half-length
     * complex transform's twiddles e^{−2πik/(N/2)} are every second entry.
     */
    private final double[] cos;
    private final double[] sin;
    /** Sub-transforms up to this many complex points (256 KiB of data) are finished before moving on, in cache. */
    private static final int BLOCK = 1 << 14;
    /** From this size on the two half-transforms run as parallel fork/join tasks (common pool). */
    private static final int PARALLEL_FROM = 1 << 17;

    Fft(int n) {
        if (n < 4 || Integer.bitCount(n) != 1) throw new IllegalArgumentException("FFT length must be a power of two >= 4, got " + n);
        this.n = n;
        this.h = n / 2;
        cos = new double[h];
        sin = new double[h];
        // Each twiddle in the first eighth of the circle is computed directly (no recurrence, so no error growth
        // with length); the rest follow by exact symmetries: w^{N/4 − k} = −i·conj(w^k), w^{k + N/4} = −i·w^k.
        int eighth = n / 8;
        for (int k = 0; k <= eighth && k < h; k++) {
            double a = 2 * Math.PI * k / n;
            cos[k] = Math.cos(a);
            sin[k] = -Math.sin(a);
        }
        int quarter = n / 4;
        for (int k = eighth + 1; k <= quarter && k < h; k++) {
            cos[k] = -sin[quarter - k];
            sin[k] = -cos[quarter - k];
        }
        for (int k = quarter + 1; k < h; k++) {
            cos[k] = sin[k - quarter];
            sin[k] = -cos[k - quarter];
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
        for (int k = 0; k < h && 2 * k < x.length; k++) {
            zr[k] = x[2 * k];
            if (2 * k + 1 < x.length) zi[k] = x[2 * k + 1];
        }
        complex(zr, zi, false);
        for (int k = 0; k <= h; k++) {
            int a = k % h;
            int b = (h - k) % h;
            // E = FFT of the even samples, O = FFT of the odd ones, from Z_k and conj(Z_{h−k}).
            double er = 0.5 * (zr[a] + zr[b]);
            double ei = 0.5 * (zi[a] - zi[b]);
            double or = 0.5 * (zi[a] + zi[b]);
            double oi = -0.5 * (zr[a] - zr[b]);
            double c = k < h ? cos[k] : -1;
            double s = k < h ? sin[k] : 0;
            re[k] = er + c * or - s * oi;
            im[k] = ei + c * oi + s * or;
        }
    }

    /** Inverse of {@link #realForward}, including the 1/N, writing the N real samples into x. */
    void realInverse(double[] re, double[] im, double[] x) {
        double[] zr = new double[h];
        double[] zi = new double[h];
        for (int k = 0; k < h; k++) {
            // X_{k+h} = conj(X_{h−k}) for a real signal, so E_k = (X_k + X_{k+h})/2 and O_k = (X_k − X_{k+h})/(2w^k).
            double br = re[h - k];
            double bi = -im[h - k];
            double er = 0.5 * (re[k] + br);
            double ei = 0.5 * (im[k] + bi);
            double dr = 0.5 * (re[k] - br);
            double di = 0.5 * (im[k] - bi);
            // Dividing by w^k is multiplying by its conjugate, since |w| = 1.
            double or = dr * cos[k] + di * sin[k];
            double oi = di * cos[k] - dr * sin[k];
            zr[k] = er - oi;
            zi[k] = ei + or;
        }
        complex(zr, zi, true);
        double scale = 1.0 / h;
        for (int k = 0; k < h; k++) {
            x[2 * k] = zr[k] * scale;
            x[2 * k + 1] = zi[k] * scale;
        }
    }

    /** In-place complex transform of length N/2 (unnormalised; the inverse uses e^{+2πijk/(N/2)}). */
    private void complex(double[] re, double[] im, boolean inverse) {
        int bits = Integer.numberOfTrailingZeros(h);
        for (int i = 0; i < h; i++) {
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
        decimateInTime(re, im, 0, h, inverse ? -1 : 1);
    }

    /**
     * Radix-2 decimation in time on [off, off + len) of bit-reversed input. Depth first, so that once a
     * sub-transform fits in cache all its stages run there; only the top log2(N/BLOCK) stages stream memory.
     */
    private void decimateInTime(double[] re, double[] im, int off, int len, double sign) {
        if (len > BLOCK) {
            if (len >= PARALLEL_FROM) {
                // The halves are independent; each task writes only its own half, so the result does not depend
                // on scheduling.
                ForkJoinTask.invokeAll(
                        ForkJoinTask.adapt(() -> decimateInTime(re, im, off, len / 2, sign)),
                        ForkJoinTask.adapt(() -> decimateInTime(re, im, off + len / 2, len / 2, sign)));
            } else {
                decimateInTime(re, im, off, len / 2, sign);
                decimateInTime(re, im, off + len / 2, len / 2, sign);
            }
            butterflies(re, im, off, len, sign);
            return;
        }
        for (int span = 2; span <= len; span <<= 1) {
            for (int start = off; start < off + len; start += span) butterflies(re, im, start, span, sign);
        }
    }

    /** One stage: combines the two halves of [start, start + span) into a transform of length span. */
    private void butterflies(double[] re, double[] im, int start, int span, double sign) {
        int half = span >> 1;
        // The length-span twiddle e^{−2πik/span} is w^{k·N/span} in the length-N table.
        int stride = n / span;
        for (int k = 0; k < half; k++) {
            double wr = cos[k * stride];
            double wi = sign * sin[k * stride];
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
}
