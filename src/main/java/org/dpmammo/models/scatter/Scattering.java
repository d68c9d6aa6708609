package org.dpmammo.models.scatter;

import org.dpmammo.util.ComplexFft;

/**
 * The 2-D Morlet wavelet scattering transform of Mallat (2012) and Bruna &amp; Mallat (2013), two layers, as the
 * frozen feature extractor of Tramèr &amp; Boneh (ICLR 2021, "Differentially private learning needs better
 * features"): fixed filters, no parameters, nothing learnt from any data.
 *
 * <p>For an M × M image x (M a power of two), J scales and L orientations, with ψ_{j,θ} the Morlet wavelet at scale
 * 2^j and angle θ = (L/2 − 1 − t)π/L, φ_J a Gaussian low-pass at scale 2^J, and ↓k subsampling by k:
 * <pre>
 * S0 = (x ⋆ φ_J)↓2^J                                          1 channel
 * S1 = (|x ⋆ ψ_{j1,θ1}| ⋆ φ_J)↓2^J                            J·L channels
 * S2 = (||x ⋆ ψ_{j1,θ1}| ⋆ ψ_{j2,θ2}| ⋆ φ_J)↓2^J, j2 &gt; j1      L²·J(J−1)/2 channels
 * </pre>
 * each an (M/2^J) × (M/2^J) map, channels in the order S0, S1 by (j1, θ1), S2 by (j1, θ1, j2, θ2). Convolutions are
 * circular, computed as products of spectra; every |·| is taken at the coarsest resolution its band allows (a
 * modulus after ψ_j at M/2^j), by folding the spectrum (subsampling in space is averaging the aliases in frequency),
 * and filters meeting a coarser signal are cut to its band first — the standard fast algorithm (also kymatio's).
 * Filter shapes are the usual ones: σ = 0.8·2^j, centre frequency ξ = 3π/(4·2^j), slant 4/L, each wavelet made
 * zero-mean by subtracting its Gaussian envelope, all sampled periodised on the grid and transformed by FFT.
 *
 * <p>Immutable after construction and safe to share between threads: {@link #transform} allocates its own scratch.
 */
public final class Scattering {
    private final int size, scales, angles;
    /** psi[j·L + t][r]: wavelet (j, t)'s spectrum cut to resolution M/2^r, for r ≤ j (real: Morlet spectra are real). */
    private final double[][][] psi;
    /** phi[r]: the low-pass spectrum at resolution M/2^r. */
    private final double[][] phi;
    /** fft[r]: the transform for size M/2^r. */
    private final ComplexFft[] fft;

    public Scattering(int size, int scales, int angles) {
        if (size < 8 || Integer.bitCount(size) != 1) throw new IllegalArgumentException("scattering: image size must be a power of two ≥ 8, got " + size);
        if (scales < 1 || size >> scales < 2) throw new IllegalArgumentException("scattering: J must be in [1, log2(size) − 1], got " + scales);
        if (angles < 1) throw new IllegalArgumentException("scattering: L must be positive, got " + angles);
        this.size = size;
        this.scales = scales;
        this.angles = angles;
        fft = new ComplexFft[scales + 1];
        for (int r = 0; r <= scales; r++) fft[r] = new ComplexFft(size >> r);
        psi = new double[scales * angles][][];
        for (int j = 0; j < scales; j++) {
            for (int t = 0; t < angles; t++) {
                double theta = ((angles - angles / 2 - 1) - t) * Math.PI / angles;
                double[] full = spectrum(morlet(size, 0.8 * (1 << j), theta, 3.0 / 4.0 * Math.PI / (1 << j), 4.0 / angles));
                psi[j * angles + t] = new double[j + 1][];
                for (int r = 0; r <= j; r++) psi[j * angles + t][r] = cut(full, size, r);
            }
        }
        double[] low = spectrum(gabor(size, 0.8 * (1 << (scales - 1)), 0, 0, 1));
        phi = new double[scales][];
        for (int r = 0; r < scales; r++) phi[r] = cut(low, size, r);
    }

    public int size() {
        return size;
    }

    /** Channels of the output: 1 + J·L + L²·J(J−1)/2. */
    public int channels() {
        return 1 + scales * angles + angles * angles * scales * (scales - 1) / 2;
    }

    /** Side of each output map: M / 2^J. */
    public int outputSize() {
        return size >> scales;
    }

    /** The order (0, 1 or 2) of output channel k. */
    public int order(int k) {
        return k == 0 ? 0 : k <= scales * angles ? 1 : 2;
    }

    /** The scattering coefficients of one M × M image (row-major), as [channels, M/2^J, M/2^J] row-major. */
    public float[] transform(float[] image) {
        if (image.length != size * size) throw new IllegalArgumentException("scattering: image of " + image.length + " values, expected " + size * size);
        int o = outputSize();
        float[] out = new float[channels() * o * o];
        double[] re = new double[size * size], im = new double[size * size];
        for (int i = 0; i < re.length; i++) re[i] = image[i];
        fft[0].transform2d(re, im, false);
        int k = 0;
        lowPass(re, im, 0, out, k++);
        double[][] u1re = new double[psi.length][], u1im = new double[psi.length][];
        for (int a = 0; a < psi.length; a++) {
            int j1 = a / angles;
            double[][] u = modulusOfBand(re, im, 0, psi[a][0], j1);
            u1re[a] = u[0];
            u1im[a] = u[1];
            lowPass(u[0], u[1], j1, out, k++);
        }
        for (int a = 0; a < psi.length; a++) {
            int j1 = a / angles;
            for (int b = (j1 + 1) * angles; b < psi.length; b++) {
                int j2 = b / angles;
                double[][] u = modulusOfBand(u1re[a], u1im[a], j1, psi[b][j1], j2);
                lowPass(u[0], u[1], j2, out, k++);
            }
        }
        return out;
    }

    /**
     * The spectrum (at resolution M/2^to) of |signal ⋆ ψ|, where the signal's spectrum is given at resolution
     * M/2^from and the filter already cut to it: multiply, fold to M/2^to, invert, take the modulus, transform.
     */
    private double[][] modulusOfBand(double[] re, double[] im, int from, double[] filter, int to) {
        int n = size >> from;
        double[] pr = new double[n * n], pi = new double[n * n];
        for (int i = 0; i < pr.length; i++) {
            pr[i] = re[i] * filter[i];
            pi[i] = im[i] * filter[i];
        }
        double[][] f = fold(pr, pi, n, 1 << (to - from));
        int m = size >> to;
        fft[to].transform2d(f[0], f[1], true);
        for (int i = 0; i < m * m; i++) {
            f[0][i] = Math.hypot(f[0][i], f[1][i]);
            f[1][i] = 0;
        }
        fft[to].transform2d(f[0], f[1], false);
        return f;
    }

    /** (signal ⋆ φ_J)↓2^J from the signal's spectrum at resolution M/2^r, written as output channel k. */
    private void lowPass(double[] re, double[] im, int r, float[] out, int k) {
        int n = size >> r;
        double[] pr = new double[n * n], pi = new double[n * n];
        double[] f = phi[r];
        for (int i = 0; i < pr.length; i++) {
            pr[i] = re[i] * f[i];
            pi[i] = im[i] * f[i];
        }
        double[][] s = fold(pr, pi, n, 1 << (scales - r));
        fft[scales].transform2d(s[0], s[1], true);
        int o = outputSize();
        for (int i = 0; i < o * o; i++) out[k * o * o + i] = (float) s[0][i];
    }

    /** The spectrum of the n × n signal subsampled by f: the mean of the f² aliases of each frequency. */
    static double[][] fold(double[] re, double[] im, int n, int f) {
        if (f == 1) return new double[][] {re, im};
        int m = n / f;
        double[] r = new double[m * m], i = new double[m * m];
        for (int y = 0; y < n; y++) {
            int row = (y % m) * m;
            for (int x = 0; x < n; x++) {
                r[row + x % m] += re[y * n + x];
                i[row + x % m] += im[y * n + x];
            }
        }
        double s = 1.0 / ((double) f * f);
        for (int q = 0; q < r.length; q++) {
            r[q] *= s;
            i[q] *= s;
        }
        return new double[][] {r, i};
    }

    /**
     * A filter's spectrum for a signal at resolution M/2^r: the frequencies above that resolution's Nyquist band set
     * to zero, then folded (summed, not averaged: the filter multiplies a spectrum that already is the mean).
     */
    static double[] cut(double[] spectrum, int n, int r) {
        if (r == 0) return spectrum.clone();
        int f = 1 << r, m = n / f;
        int start = (int) (n * Math.pow(2, -r - 1)), len = (int) (n * (1 - Math.pow(2, -r)));
        double[] out = new double[m * m];
        for (int y = 0; y < n; y++) {
            if (y >= start && y < start + len) continue;
            for (int x = 0; x < n; x++) {
                if (x >= start && x < start + len) continue;
                out[(y % m) * m + x % m] += spectrum[y * n + x];
            }
        }
        return out;
    }

    /** The real part of the 2-D FFT of a complex n × n filter given as {re, im}. */
    private static double[] spectrum(double[][] filter) {
        int n = (int) Math.round(Math.sqrt(filter[0].length));
        double[] re = filter[0].clone(), im = filter[1].clone();
        new ComplexFft(n).transform2d(re, im, false);
        return re;
    }

    /** A Morlet wavelet: the Gabor filter minus its Gaussian envelope scaled so that the sum is zero. */
    static double[][] morlet(int n, double sigma, double theta, double xi, double slant) {
        double[][] wave = gabor(n, sigma, theta, xi, slant), env = gabor(n, sigma, theta, 0, slant);
        double wr = 0, wi = 0, er = 0;
        for (int i = 0; i < n * n; i++) {
            wr += wave[0][i];
            wi += wave[1][i];
            er += env[0][i];
        }
        // env is real and positive, so K = Σwave / Σenv is (wr + i·wi) / er.
        double kr = wr / er, ki = wi / er;
        for (int i = 0; i < n * n; i++) {
            wave[0][i] -= kr * env[0][i];
            wave[1][i] -= ki * env[0][i];
        }
        return wave;
    }

    /**
     * A Gabor filter exp(−xᵀRDRᵀx/(2σ²) + iξ(x cos θ + y sin θ)) / (2πσ²/slant), D = diag(1, slant²), sampled on
     * the n × n grid centred at 0 and periodised over the 5 × 5 neighbouring copies, as {re, im}. Axis 0 (x) is the
     * row index, axis 1 (y) the column index.
     */
    static double[][] gabor(int n, double sigma, double theta, double xi, double slant) {
        double c = Math.cos(theta), s = Math.sin(theta);
        // R D Rᵀ / (2σ²) with R the rotation by θ.
        double a = (c * c + slant * slant * s * s) / (2 * sigma * sigma);
        double b = (c * s - slant * slant * s * c) / (2 * sigma * sigma);
        double d = (s * s + slant * slant * c * c) / (2 * sigma * sigma);
        double[] re = new double[n * n], im = new double[n * n];
        double norm = 2 * Math.PI * sigma * sigma / slant;
        for (int ex = -2; ex <= 2; ex++) {
            for (int ey = -2; ey <= 2; ey++) {
                for (int r = 0; r < n; r++) {
                    double x = r + ex * n;
                    for (int q = 0; q < n; q++) {
                        double y = q + ey * n;
                        double mag = Math.exp(-(a * x * x + 2 * b * x * y + d * y * y));
                        double phase = xi * (x * c + y * s);
                        re[r * n + q] += mag * Math.cos(phase) / norm;
                        im[r * n + q] += mag * Math.sin(phase) / norm;
                    }
                }
            }
        }
        return new double[][] {re, im};
    }
}
