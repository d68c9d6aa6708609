package org.dpmammo.privacy.accounting;

/**
 * Iterative radix-2 FFT on split real/imaginary double arrays, and the real-input transform built on it, sized
 * for one length. Written here rather than taken from a library so that the accounting package can be audited
 * alone. The PRV accountant uses it to raise a discretised privacy-loss distribution to a convolution power.
 */
final class Fft {
    /** Real transform length N (a power of two, at least 4). */
    private final int n;
    /** Complex transform length N/2 and its twiddles e^{−2πik/(N/2)}, k < N/4. */
    private final int h;
    private final double[] cosH;
    private final double[] sinH;
    /** e^{−2πik/N}, k < N/2: the twiddles that untangle the packed real transform. */
    private final double[] cosN;
    private final double[] sinN;

    Fft(int n) {
        if (n < 4 || Integer.bitCount(n) != 1) throw new IllegalArgumentException("FFT length must be a power of two >= 4, got " + n);
        this.n = n;
        this.h = n / 2;
        // Every twiddle is computed directly, not by a recurrence, so its error does not grow with the length.
        cosH = new double[h / 2];
        sinH = new double[h / 2];
        for (int k = 0; k < h / 2; k++) {
            double a = -2 * Math.PI * k / h;
            cosH[k] = Math.cos(a);
            sinH[k] = Math.sin(a);
        }
        cosN = new double[h];
        sinN = new double[h];
        for (int k = 0; k < h; k++) {
            double a = -2 * Math.PI * k / n;
            cosN[k] = Math.cos(a);
            sinN[k] = Math.sin(a);
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
            double c = k < h ? cosN[k] : -1;
            double s = k < h ? sinN[k] : 0;
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
            // Dividing by w^k = cosN + i·sinN is multiplying by its conjugate, since |w| = 1.
            double or = dr * cosN[k] + di * sinN[k];
            double oi = di * cosN[k] - dr * sinN[k];
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
        double sign = inverse ? -1 : 1;
        for (int len = 2; len <= h; len <<= 1) {
            int half = len >> 1;
            int stride = h / len;
            for (int start = 0; start < h; start += len) {
                for (int k = 0; k < half; k++) {
                    double wr = cosH[k * stride];
                    double wi = sign * sinH[k * stride];
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
    }
}
