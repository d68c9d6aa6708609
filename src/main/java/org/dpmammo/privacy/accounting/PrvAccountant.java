package org.dpmammo.privacy.accounting;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Tight accountant that composes privacy random variables numerically, following Gopi, Lee and Wutschitz,
 * "Numerical Composition of Differential Privacy" (NeurIPS 2021, arXiv 2106.02848), with the error parameters,
 * domain and grid of Opacus' PRVAccountant so that results agree with it.
 *
 * <p>Each segment's PRV is truncated to [−L, L], discretised on a grid of mesh Δ, shifted so that its mean is
 * exact, raised to its number of steps by FFT and multiplied with the other segments' spectra. ε is read off the
 * composed distribution (from its spectrum, in closed form where that is narrow: {@link TailSums}); the reported ε
 * is the upper end of the paper's error bound: true ε ≤ ε_upper = ε(δ − δ_err) + ε_err. L comes from the RDP
 * bound at δ_err (Remark 5.6) and Δ = ε_err/√(N·log(12/δ_err)/2). One departure, for speed: each step's far
 * upper tail, where less than 10⁻⁶·δ_err/N of its mass lies, is left out of its pmf and the bound is read at
 * δ − δ_err − 10⁻⁶·δ_err instead (see {@link #tailCut}).
 *
 * <p>Discretisation, the convolution power and the large FFT stages run on the common fork/join pool in chunks of
 * fixed size, so results do not depend on the number of cores.
 *
 * <p>Where the computation cannot be trusted (grid too large, the mean-shift check fails, floating point
 * dominates δ, no crossing found), the RDP bound is returned instead with a warning, never an exception. Since
 * both are valid upper bounds, the result is also never larger than the RDP bound.
 */
public final class PrvAccountant implements Accountant {
    /** Opacus' default ε error. */
    public static final double DEFAULT_EPS_ERROR = 0.01;
    /** Opacus' default δ error is δ/1000. */
    public static final double DEFAULT_DELTA_ERROR_FRACTION = 1e-3;
    /** Largest grid (2^24 points; up to about 1.7 GB of working arrays, see bounds) before falling back to RDP. */
    public static final int DEFAULT_MAX_POINTS = 1 << 24;
    private static final double DOUBLE_EPSILON = Math.ulp(1.0);

    private final double epsError;
    private final double deltaErrorFraction;
    private final int maxPoints;
    /** Opacus sizes the domain with its RDP accountant at its default orders; so do we. */
    private final RdpAccountant rdp = new RdpAccountant(RdpAccountant.DEFAULT_ORDERS);

    public PrvAccountant() {
        this(DEFAULT_EPS_ERROR, DEFAULT_DELTA_ERROR_FRACTION, DEFAULT_MAX_POINTS);
    }

    public PrvAccountant(double epsError, double deltaErrorFraction, int maxPoints) {
        if (!(epsError > 0 && epsError < Double.POSITIVE_INFINITY)) throw new IllegalArgumentException("eps error must be > 0, got " + epsError);
        if (!(deltaErrorFraction > 0 && deltaErrorFraction < 1)) throw new IllegalArgumentException("delta error fraction must be in (0, 1), got " + deltaErrorFraction);
        if (maxPoints < 4) throw new IllegalArgumentException("max points must be >= 4, got " + maxPoints);
        this.epsError = epsError;
        this.deltaErrorFraction = deltaErrorFraction;
        this.maxPoints = maxPoints;
    }

    @Override
    public String name() {
        return "prv";
    }

    @Override
    public Epsilon epsilon(List<Segment> history, double delta) {
        Segment.checkDelta(delta);
        List<Segment> segments = Segment.compact(history);
        if (segments.isEmpty()) return new Epsilon(0, delta, "prv", Double.NaN, 0, 0, List.of());
        Epsilon byRdp = rdp.epsilon(segments, delta);
        Bounds b;
        try {
            b = bounds(segments, delta);
        } catch (Unavailable e) {
            List<String> warnings = new ArrayList<>(byRdp.warnings());
            warnings.add(0, "PRV accountant unavailable (" + e.getMessage() + "); reporting the RDP bound instead");
            return new Epsilon(byRdp.epsilon(), delta, "rdp", byRdp.order(), 0, byRdp.estimate(), warnings);
        }
        if (b.upper() > byRdp.epsilon()) return byRdp;
        // Clamped like RDP: a guarantee at negative ε implies one at ε = 0.
        return new Epsilon(Math.max(0, b.upper()), delta, "prv", Double.NaN, epsError, b.estimate(), List.of());
    }

    /** The paper's three values: ε(δ + δ_err) − ε_err ≤ true ε ≤ ε(δ − δ_err) + ε_err, and the estimate ε(δ). */
    record Bounds(double lower, double estimate, double upper) {}

    /** Why the PRV computation was not trusted; turned into a fallback to RDP. */
    static final class Unavailable extends Exception {
        Unavailable(String message) {
            super(message);
        }
    }

    /** The raw PRV bounds, without the RDP fallback or cap. */
    Bounds bounds(List<Segment> history, double delta) throws Unavailable {
        List<Segment> segments = Segment.compact(history);
        long total = Segment.totalSteps(segments);
        double deltaError = delta * deltaErrorFraction;
        if (segments.isEmpty()) return new Bounds(0, 0, 0);

        // Domain [−L, L] (Opacus' reading of Remark 5.6): the RDP ε of the whole history at δ_err/4, and of one
        // step of each segment at δ_err/(8N), bound where the composed and the single-step PRVs lose mass.
        double bound = rdp.epsilon(segments, deltaError / 4).epsilon();
        for (Segment s : segments) {
            Segment one = new Segment(s.sampleRate(), s.noiseMultiplier(), 1);
            bound = Math.max(bound, rdp.epsilon(List.of(one), deltaError / (8.0 * total)).epsilon());
        }
        double halfWidth = Math.max(bound, epsError) + 3;
        double mesh = epsError / Math.sqrt(total * Math.log(12 / deltaError) / 2);
        if (!(halfWidth < Double.POSITIVE_INFINITY)) throw new Unavailable("the RDP bound used to size the grid is infinite");
        double tMin = Math.floor(-halfWidth / mesh) * mesh;
        double tMax = Math.ceil(halfWidth / mesh) * mesh;
        double points = Math.rint((tMax - tMin) / mesh) + 1;
        if (points > maxPoints) {
            throw new Unavailable(String.format("the grid would need %.3g points, more than %d", points, maxPoints));
        }
        int size = (int) points;
        // An even size puts t = 0 at index size/2 − 1, which the composition's index arithmetic relies on.
        if (size % 2 == 1) {
            size++;
            tMax += mesh;
        }
        double dt = (tMax - tMin) / (size - 1);
        if (DOUBLE_EPSILON * size > delta - deltaError) {
            throw new Unavailable("delta is too small for this grid: floating-point error would dominate it");
        }

        int length = Math.max(4, Integer.highestOneBit(size - 1) << 1);
        // Working set in doubles: the pmf (size), the accumulated and one segment's spectra (2 × length), the
        // twiddles (2 × length) and, where the spectrum is not narrow, the composed result and tail sums
        // (length + 2 × size). Falling back beats running out of memory half-way.
        Runtime rt = Runtime.getRuntime();
        long need = 8L * (3L * size + 5L * length);
        if (need > rt.maxMemory() - (rt.totalMemory() - rt.freeMemory())) {
            throw new Unavailable(String.format("the grid of %d points needs about %d MB of heap", size, need >> 20));
        }
        Fft fft = Fft.of(length);
        double cut = tailCut(deltaError, total);
        int bins = fft.length() / 2 + 1;
        // The first segment's spectrum, raised to its power in place, accumulates the product over segments.
        double[] accRe = null;
        double[] accIm = null;
        double totalShift = 0;
        // 1 + the highest frequency whose bin may be non-zero in the product: each segment's kept bins bound it.
        int bandwidth = bins;
        for (Segment s : segments) {
            double[] pmf = new double[size];
            Cells cells = discretise(new PrivacyLossDistribution(s.sampleRate(), s.noiseMultiplier()), tMin, tMax, dt, cut, pmf);
            totalShift += s.steps() * cells.shift();
            double[][] spectrum = fft.realForward(pmf, cells.from(), cells.to());
            double[] re = spectrum[0];
            double[] im = spectrum[1];
            long steps = s.steps();
            boolean first = accRe == null;
            if (first) {
                accRe = re;
                accIm = im;
            }
            double[] outRe = accRe;
            double[] outIm = accIm;
            // Bins are independent: chunks run in parallel.
            int highest = IntStream.range(0, (bins + CHUNK - 1) / CHUNK).parallel()
                    .map(c -> multiplyByPower(fft, re, im, steps, outRe, outIm, first, c * CHUNK, Math.min(bins, (c + 1) * CHUNK)))
                    .max().orElse(-1);
            bandwidth = Math.min(bandwidth, highest + 1);
        }
        // Grid index j stands for t = (j − m)·Δ with m = size/2 − 1, so a sum of N indices is offset by (N−1)·m;
        // the circular result at (J + (N−1)·m) mod length is the composed mass at grid index J.
        long m = size / 2 - 1;
        int offset = (int) Math.floorMod((total - 1) % fft.length() * m, (long) fft.length());
        TailSums sums;
        if (bandwidth <= fft.length() / CLOSED_FORM_RATIO) {
            sums = TailSums.fromSpectrum(fft, accRe, accIm, Math.max(1, bandwidth), offset, size, dt);
        } else {
            double[] composed = new double[fft.length()];
            fft.realInverse(accRe, accIm, composed);
            sums = TailSums.fromSamples(composed, offset, size, dt);
        }
        return readEpsilon(sums, size, tMin + totalShift, dt, delta, deltaError, total * cut, total * cut * tMax);
    }

    /**
     * The tail sums are read from the spectrum in closed form ({@link TailSums#fromSpectrum}, about a hundred
     * binary-search steps of O(bandwidth) transcendental functions each) where the bandwidth is at most the
     * transform length over this; otherwise the inverse transform is cheaper.
     */
    private static final int CLOSED_FORM_RATIO = 256;

    /**
     * Cells (or spectrum bins) per chunk: chunks run in parallel, and a fixed size keeps results independent of the
     * number of cores.
     */
    private static final int CHUNK = 1 << 18;
    /**
     * Cells per chunk of the discretisation. Smaller than {@link #CHUNK}: only the PRV's support below the tail cut
     * costs anything (about a tenth of the grid, a few CHUNKs at most), and it has to split into enough chunks to
     * keep every core busy.
     */
    private static final int CELL_CHUNK = 1 << 15;

    /**
     * The far upper tail of each step's PRV is left out of its pmf from the first cell t_j > 0 whose left boundary
     * has at most this much normalised mass beyond it: τ = 10⁻⁶·δ_err/N. Its cells cost most of the discretisation
     * (the grid reaches up to ε_RDP(δ_err/4) + 3, far beyond where one step puts any mass that matters), and
     * {@link #readEpsilon} pays for what is left out:
     * <ul>
     *   <li>The pmf p' kept is p (the full discretisation) with those cells zeroed, so p' ≤ p and the N-fold
     *       composition loses at most 1 − (1 − τ)^N ≤ Nτ of mass. Since δ(ε) = E[(1 − e^{ε−Y})_+] weighs mass by
     *       at most 1, δ_p(ε) ≤ δ_{p'}(ε) + Nτ: the upper bound is read at δ − δ_err − Nτ.</li>
     *   <li>The discrete mean then misses Σ t_j·p_j over the cut cells, between 0 and t_max·τ, so each step's
     *       mean shift is too large by at most that: the composed distribution sits at most N·t_max·τ to the right.
     *       Moving mass right only raises δ(ε), so the upper bound needs nothing more; the lower bound is lowered
     *       by N·t_max·τ.</li>
     * </ul>
     * Both terms are 10⁻⁶ of δ_err or less, far below what changes ε at the precision it is reported to.
     */
    static double tailCut(double deltaError, long totalSteps) {
        return 1e-6 * deltaError / totalSteps;
    }

    /**
     * A discretised segment: the shift that makes the discrete mean equal the continuous one, and the cells [from, to)
     * outside which its pmf is zero.
     */
    private record Cells(double shift, int from, int to) {}

    /**
     * Fills pmf[j] with the truncated PRV's mass in [t_j − Δ/2, t_j + Δ/2] (clipped to [tMin, tMax]), except the far
     * upper tail beyond {@link #tailCut} (left zero).
     */
    private static Cells discretise(PrivacyLossDistribution prv, double tMin, double tMax, double dt, double tailCut,
                                      double[] pmf) throws Unavailable {
        int size = pmf.length;
        double[] fs = new double[2];
        prv.cdfAndSurvival(tMax, fs);
        double sMax = fs[1];
        prv.cdfAndSurvival(tMin, fs);
        double mass = 1 - fs[0] - sMax;
        int chunks = (size + CELL_CHUNK - 1) / CELL_CHUNK;
        // Per chunk: compensated partial sums of t_j·pmf_j, combined in chunk order below.
        double[][] means = new double[chunks][];
        IntStream.range(0, chunks).parallel().forEach(c -> means[c] = discretiseChunk(prv, tMin, dt, sMax, mass, tailCut * mass, pmf,
                c * CELL_CHUNK, Math.min(size, (c + 1) * CELL_CHUNK)));
        double meanSum = 0;
        double meanComp = 0;
        int from = size;
        int to = 0;
        for (double[] m : means) {
            if (m[2] < m[3]) {
                from = Math.min(from, (int) m[2]);
                to = Math.max(to, (int) m[3]);
            }
            double t = meanSum + m[0];
            meanComp += Math.abs(meanSum) >= Math.abs(m[0]) ? (meanSum - t) + m[0] : (m[0] - t) + meanSum;
            meanSum = t;
            meanComp += m[1];
        }
        double shift = prv.truncatedMean(tMin, tMax) - (meanSum + meanComp);
        if (!(Math.abs(shift) < dt / 2)) {
            throw new Unavailable("the discrete mean differs from the continuous mean by more than half the mesh");
        }
        return new Cells(shift, Math.min(from, to), to);
    }

    /**
     * Cells [from, to) of {@link #discretise}; returns the compensated sum of t_j·pmf_j and the cells it wrote as
     * {sum, compensation, first, end}: the chunk's pmf is zero outside [first, end).
     */
    private static double[] discretiseChunk(PrivacyLossDistribution prv, double tMin, double dt, double sMax, double mass,
                                            double survivalCut, double[] pmf, int from, int to) {
        int size = pmf.length;
        double[] lo = new double[2];
        double[] hi = new double[2];
        // The left boundary of cell j is t_{j−1} + Δ/2, written exactly as the previous cell computes it.
        // Cells whose right boundary lies at least 2.5Δ below the support have no mass (pmf is already zero there):
        // start after them. About half the grid, where t < log(1 − q).
        int first = (int) Math.max(from, Math.min(to, Math.floor((prv.supportStart() - tMin) / dt) - 2));
        if (first == 0) prv.cdfAndSurvival(tMin, lo);
        else prv.cdfAndSurvival(tMin + (first - 1) * dt + dt / 2, lo);
        double sum = 0;
        double comp = 0;
        int j = first;
        for (; j < to; j++) {
            double tj = tMin + j * dt;
            // At most survivalCut of mass (before normalising) from here on: the cut tail (pmf is already zero there).
            // S is decreasing, so every chunk cuts at the same place.
            if (lo[1] <= survivalCut && tj > 0) break;
            if (j == size - 1) {
                hi[0] = 1 - sMax;
                hi[1] = sMax;
            } else {
                prv.cdfAndSurvival(tj + dt / 2, hi);
            }
            // Difference of whichever of F and S is the small one at the left end, to keep tail masses exact.
            double mj = lo[1] <= 0.5 ? lo[1] - hi[1] : hi[0] - lo[0];
            pmf[j] = mj / mass;
            double v = tj * pmf[j];
            double t = sum + v;
            comp += Math.abs(sum) >= Math.abs(v) ? (sum - t) + v : (v - t) + sum;
            sum = t;
            double[] swap = lo;
            lo = hi;
            hi = swap;
        }
        return new double[] {sum, comp, first, j};
    }

    /**
     * Bins raised to a power together (gathered from those that are not negligible): enough to hide the latency of
     * each bin's chain of squarings, and in L1.
     */
    private static final int POWER_BATCH = 256;

    /**
     * acc_k ← acc_k·(re_k + i·im_k)^steps for the bins at positions [from, to), or acc_k ← (re_k + i·im_k)^steps
     * if {@code first} (then acc may be re and im themselves), by repeated squaring: faster than polar form and its
     * error grows only like steps·2^-53. Each bin gets exactly the operations of a scalar square-and-multiply;
     * running a batch of bins through each squaring at once lets the compiler vectorise the loops. Returns the
     * highest frequency (see {@link Fft#bin}) among the bins it did not set to zero, −1 if none: every other bin of
     * acc is zero now.
     */
    private static int multiplyByPower(Fft fft, double[] re, double[] im, long steps, double[] accRe, double[] accIm,
                                       boolean first, int from, int to) {
        double[] rr = new double[POWER_BATCH];
        double[] ri = new double[POWER_BATCH];
        double[] br = new double[POWER_BATCH];
        double[] bi = new double[POWER_BATCH];
        int[] bin = new int[POWER_BATCH];
        // |z|² below e^{−1500/steps} gives |z^steps| < e^{−750}, under the smallest subnormal double: such a bin's
        // power is 0 to double precision, and so is its product. Most bins are: a step's PRV is narrow, so its
        // spectrum is small away from the lowest frequencies.
        double negligible = Math.exp(-1500.0 / steps);
        int highest = -1;
        for (int start = from; start < to; ) {
            int n = 0;
            for (; start < to && n < POWER_BATCH; start++) {
                if (re[start] * re[start] + im[start] * im[start] < negligible) {
                    accRe[start] = 0;
                    accIm[start] = 0;
                } else {
                    highest = Math.max(highest, fft.bin(start));
                    bin[n] = start;
                    br[n] = re[start];
                    bi[n] = im[start];
                    n++;
                }
            }
            Arrays.fill(rr, 0, n, 1);
            Arrays.fill(ri, 0, n, 0);
            for (long k = steps; k > 0; ) {
                if ((k & 1) == 1) {
                    for (int i = 0; i < n; i++) {
                        double t = rr[i] * br[i] - ri[i] * bi[i];
                        ri[i] = rr[i] * bi[i] + ri[i] * br[i];
                        rr[i] = t;
                    }
                }
                k >>= 1;
                if (k > 0) {
                    for (int i = 0; i < n; i++) {
                        double t = br[i] * br[i] - bi[i] * bi[i];
                        bi[i] = 2 * br[i] * bi[i];
                        br[i] = t;
                    }
                }
            }
            for (int i = 0; i < n; i++) {
                int b = bin[i];
                if (first) {
                    accRe[b] = rr[i];
                    accIm[b] = ri[i];
                } else {
                    double r = accRe[b] * rr[i] - accIm[b] * ri[i];
                    accIm[b] = accRe[b] * ri[i] + accIm[b] * rr[i];
                    accRe[b] = r;
                }
            }
        }
        return highest;
    }

    /**
     * ε for δ* from the composed distribution p on t_j = t0 + j·Δ, j < size, given its tail sums d1_i = Σ_{j≥i} p_j
     * and d2_i = Σ_{j≥i} p_j·e^{t_i − t_j}: δ(t_i) = d1_i − d2_i; at the first i with δ(t_i) ≤ δ*,
     * ε = t_i + log((d1_i − δ*)/d2_i). d2 is kept relative to t_i so that nothing overflows at large ε.
     */
    private Bounds readEpsilon(TailSums sums, int size, double t0, double dt, double delta, double deltaError,
                               double lostMass, double maxDrift) throws Unavailable {
        // lostMass and maxDrift pay for the cut tails (see tailCut).
        double upper = epsilonAt(sums, size, t0, dt, delta - deltaError - lostMass) + epsError;
        double estimate = epsilonAt(sums, size, t0, dt, delta);
        double lower = epsilonAt(sums, size, t0, dt, delta + deltaError) - epsError - maxDrift;
        if (!(upper < Double.POSITIVE_INFINITY)) throw new Unavailable("the composed distribution gives no finite epsilon");
        return new Bounds(lower, estimate, upper);
    }

    private static double epsilonAt(TailSums sums, int size, double t0, double dt, double target) throws Unavailable {
        // Binary search for the first i with d2_i − d1_i ≥ −δ*, i.e. δ(t_i) ≤ δ*; δ(t) decreases in t.
        double[] d = new double[2];
        int lo = 0;
        int hi = size;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            sums.at(mid, d);
            if (d[1] - d[0] >= -target) hi = mid;
            else lo = mid + 1;
        }
        if (lo == 0 || lo == size) throw new Unavailable("delta " + target + " is not reached inside the grid");
        sums.at(lo, d);
        return t0 + lo * dt + Math.log((d[0] - target) / d[1]);
    }
}
