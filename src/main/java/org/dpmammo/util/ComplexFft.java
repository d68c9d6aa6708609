package org.dpmammo.util;

/**
 * In-place radix-2 complex FFT of one power-of-two length on split real/imaginary double arrays, natural order in
 * and out, and the 2-D transform of a row-major n × n grid built from it. Forward is Σ x_k e^{−2πijk/n}; inverse
 * has e^{+…} and divides by n, as numpy's {@code fft}/{@code ifft}.
 *
 * <p>The PRV accountant keeps its own real-input transform ({@code privacy.accounting.Fft}, bit-reversed spectra for
 * convolution powers, and that package imports nothing outside the JDK so it can be audited alone); this one serves
 * image transforms (the scattering backbone), where grids are small and a plain, obviously-ordered transform is
 * what callers need.
 */
public final class ComplexFft {
    private final int n;
    private final int[] reversed;
    private final double[] cos, sin;

    public ComplexFft(int n) {
        if (n < 2 || Integer.bitCount(n) != 1) throw new IllegalArgumentException("FFT length must be a power of two >= 2, got " + n);
        this.n = n;
        int bits = Integer.numberOfTrailingZeros(n);
        reversed = new int[n];
        for (int i = 0; i < n; i++) reversed[i] = Integer.reverse(i) >>> (32 - bits);
        cos = new double[n / 2];
        sin = new double[n / 2];
        for (int k = 0; k < n / 2; k++) {
            cos[k] = Math.cos(2 * Math.PI * k / n);
            sin[k] = -Math.sin(2 * Math.PI * k / n);
        }
    }

    public int length() {
        return n;
    }

    /** Transforms n points starting at {@code off} with the given element stride. */
    public void transform(double[] re, double[] im, int off, int stride, boolean inverse) {
        for (int i = 0; i < n; i++) {
            int j = reversed[i];
            if (j > i) {
                int a = off + i * stride, b = off + j * stride;
                double t = re[a];
                re[a] = re[b];
                re[b] = t;
                t = im[a];
                im[a] = im[b];
                im[b] = t;
            }
        }
        double sign = inverse ? -1 : 1;
        for (int len = 2; len <= n; len <<= 1) {
            int half = len >> 1, step = n / len;
            for (int start = 0; start < n; start += len) {
                for (int k = 0; k < half; k++) {
                    double wr = cos[k * step], wi = sign * sin[k * step];
                    int a = off + (start + k) * stride, b = a + half * stride;
                    double xr = re[b] * wr - im[b] * wi, xi = re[b] * wi + im[b] * wr;
                    re[b] = re[a] - xr;
                    im[b] = im[a] - xi;
                    re[a] += xr;
                    im[a] += xi;
                }
            }
        }
        if (inverse) {
            double s = 1.0 / n;
            for (int i = 0; i < n; i++) {
                re[off + i * stride] *= s;
                im[off + i * stride] *= s;
            }
        }
    }

    /** The 2-D transform of a row-major n × n grid (rows, then columns), in place. */
    public void transform2d(double[] re, double[] im, boolean inverse) {
        if (re.length != n * n || im.length != n * n) throw new IllegalArgumentException("2-D FFT of " + n + " × " + n + " needs " + n * n + " values, got " + re.length);
        for (int r = 0; r < n; r++) transform(re, im, r * n, 1, inverse);
        for (int c = 0; c < n; c++) transform(re, im, c, n, inverse);
    }
}
