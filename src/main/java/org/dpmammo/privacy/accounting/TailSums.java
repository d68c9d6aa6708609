package org.dpmammo.privacy.accounting;

/**
 * The two tail sums that δ(ε) is read from, for a distribution p_j on a grid of mesh Δ, j < size:
 * d1_i = Σ_{j≥i} p_j and d2_i = Σ_{j≥i} p_j·e^{−(j−i)Δ}, so that δ(t_i) = d1_i − d2_i.
 *
 * <p>The PRV accountant only needs them at the few dozen indices its binary searches visit. When the composed
 * distribution is known through its spectrum and that spectrum is band-limited, as a composed PRV is (all but a few
 * hundred of the lowest of millions of bins are 0 to double precision after the power), each sum is a finite
 * geometric series per bin and {@link #fromSpectrum} evaluates it in closed form, O(bandwidth) per index, with no
 * inverse transform. {@link #fromSamples} sums the samples themselves, for spectra that are not narrow.
 */
abstract class TailSums {
    /** Writes d1_i to out[0] and d2_i to out[1]. */
    abstract void at(int i, double[] out);

    /**
     * From samples: p_j = x[(j + offset) mod x.length], both sums over the whole grid at once, from the top down
     * (the accountant's original reading).
     */
    static TailSums fromSamples(double[] x, int offset, int size, double dt) {
        double[] d1 = new double[size];
        double[] d2 = new double[size];
        double decay = Math.exp(-dt);
        double s1 = 0;
        double s2 = 0;
        int at = (int) ((size - 1L + offset) % x.length);
        for (int i = size - 1; i >= 0; i--) {
            double p = x[at];
            at = at == 0 ? x.length - 1 : at - 1;
            s1 += p;
            s2 = p + decay * s2;
            d1[i] = s1;
            d2[i] = s2;
        }
        return new TailSums() {
            @Override
            void at(int i, double[] out) {
                out[0] = d1[i];
                out[1] = d2[i];
            }
        };
    }

    /**
     * From the spectrum of a real sequence x of length N (bin k of {@link Fft#realForward} at {@link Fft#bin}(k) of
     * re and im) whose bins k ≥ bandwidth are all zero, bandwidth ≤ N/2, with p_j = x[(j + offset) mod N]. Since
     * x_n = (1/N)·Σ_k X_k·ω^{kn} with ω = e^{2πi/N}, and with L = size − i and ρ_k = e^{−Δ}·ω^k,
     * <pre>
     *   d1_i = (1/N)·Σ_k X_k·ω^{k(i+o)}·(1 − ω^{kL})/(1 − ω^k)      (L for k = 0)
     *   d2_i = (1/N)·Σ_k X_k·ω^{k(i+o)}·(1 − ρ_k^L)/(1 − ρ_k)
     * </pre>
     * where bin N − k is the conjugate of bin k, so the sum is X_0's term plus twice the real part over 0 < k < K.
     * Every 1 − e^{z} is computed as −expm1(z) and every angle is reduced exactly in integers, so nothing cancels.
     */
    static TailSums fromSpectrum(Fft fft, double[] re, double[] im, int bandwidth, int offset, int size, double dt) {
        int n = fft.length();
        if (bandwidth < 1 || bandwidth > n / 2) throw new IllegalArgumentException("bandwidth " + bandwidth + " for length " + n);
        double[] xr = new double[bandwidth];
        double[] xi = new double[bandwidth];
        // 1/(1 − ρ_k), which does not depend on i.
        double[] gr = new double[bandwidth];
        double[] gi = new double[bandwidth];
        for (int k = 0; k < bandwidth; k++) {
            xr[k] = re[fft.bin(k)];
            xi[k] = im[fft.bin(k)];
            double[] e = expm1(-dt, angle(k, n));
            double d = e[0] * e[0] + e[1] * e[1];
            gr[k] = -e[0] / d;
            gi[k] = e[1] / d;
        }
        double expm1Dt = Math.expm1(-dt);
        return new TailSums() {
            @Override
            void at(int i, double[] out) {
                long length = (long) size - i;
                // k = 0: X_0 is real; Σ_{l<L} e^{−lΔ} = expm1(−LΔ)/expm1(−Δ).
                double d1 = xr[0] * length;
                double d2 = xr[0] * (Math.expm1(-length * dt) / expm1Dt);
                double s1 = 0;
                double s2 = 0;
                for (int k = 1; k < bandwidth; k++) {
                    // X_k·ω^{k(i+o)}
                    double a = angle((long) k * (i + (long) offset), n);
                    double c = Math.cos(a);
                    double s = Math.sin(a);
                    double yr = xr[k] * c - xi[k] * s;
                    double yi = xr[k] * s + xi[k] * c;
                    // (1 − ω^{kL})/(1 − ω^k) = e^{iπk(L−1)/N}·sin(πkL/N)/sin(πk/N)
                    double ratio = Math.sin(angle((long) k * length, 2L * n)) / Math.sin(angle(k, 2L * n));
                    double h = angle((long) k * (length - 1), 2L * n);
                    s1 += ratio * (yr * Math.cos(h) - yi * Math.sin(h));
                    // (1 − ρ_k^L)/(1 − ρ_k) = −expm1(−LΔ + iθ_kL)·g_k
                    double[] e = expm1(-length * dt, angle((long) k * length, n));
                    double nr = -e[0] * gr[k] + e[1] * gi[k];
                    double ni = -e[0] * gi[k] - e[1] * gr[k];
                    s2 += yr * nr - yi * ni;
                }
                out[0] = (d1 + 2 * s1) / n;
                out[1] = (d2 + 2 * s2) / n;
            }
        };
    }

    /** 2π·(a mod m)/m, with the reduction done exactly. */
    private static double angle(long a, long m) {
        return 2 * Math.PI * Math.floorMod(a, m) / m;
    }

    /** e^{x + iy} − 1 as {re, im}, without cancellation: (expm1(x)·cos y − 2 sin²(y/2), e^x·sin y). */
    private static double[] expm1(double x, double y) {
        double half = Math.sin(y / 2);
        return new double[] {Math.expm1(x) * Math.cos(y) - 2 * half * half, Math.exp(x) * Math.sin(y)};
    }
}
