package org.dpmammo.backend.cpu;

import java.util.Arrays;
import org.dpmammo.util.Parallel;

/**
 * 2-D convolution and transposed convolution on NCHW float arrays (groups = 1), forward and both gradients,
 * lowered to {@link Sgemm} through im2col / col2im.
 *
 * <p>Shapes (B batch, C inC, O outC, K = C·kH·kW, L = outH·outW): the im2col matrix of a group of g images is
 * K × (g·L), image n's columns at n·L, so one GEMM covers the group and the weights are packed once per group rather
 * than once per image; that matters for the deep layers, whose weight matrix is large (1024 × 18432 for the GAN's
 * fifth discriminator layer) and whose L is tiny (16). Groups are cut so the im2col matrix stays under
 * {@link #COL_BUDGET} floats; the scratch is kept per calling thread and reused.
 *
 * <ul>
 *   <li>forward: Y[O, gL] = W[O, K] · col[K, gL], then scattered to NCHW (plus bias);
 *   <li>backward data: dcol[K, gL] = Wᵀ · dY[O, gL], then col2im (a scatter-add) into dx;
 *   <li>backward weight: dW[O, K] += dY[O, gL] · colᵀ, summed over groups; db = Σ dY over batch and positions.
 * </ul>
 *
 * A transposed convolution is the data gradient of {@link ConvTranspose2dShape#asConv()}: its forward is that
 * convolution's backward-data, its data gradient is that convolution's forward, and its weight gradient is that
 * convolution's weight gradient with the roles of input and output gradient swapped.
 *
 * <p>All outputs are overwritten, not accumulated into. Work runs on {@link Parallel}'s threads.
 */
public final class Conv2dKernels {
    /** Largest im2col matrix (floats) built at once: 32 MiB, big enough that a group spans several images. */
    static final long COL_BUDGET = 8L << 20;

    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[2][0]);
    /** Row length from which arraycopy / fill beat a plain loop. */
    private static final int SHORT = 12;
    /** Per-thread buffer for one input plane split into column phases (strided im2col / col2im). */
    private static final ThreadLocal<float[]> PHASES = ThreadLocal.withInitial(() -> new float[0]);

    private Conv2dKernels() {}

    /** y = conv(x, w) + bias; x [B, C, H, W], w [O, C, kH, kW], bias [O] or null, y [B, O, outH, outW]. */
    public static void forward(Conv2dShape s, float[] x, float[] w, float[] bias, float[] y) {
        forward(s, x, w, bias, y, COL_BUDGET);
    }

    static void forward(Conv2dShape s, float[] x, float[] w, float[] bias, float[] y, long colBudget) {
        check(s, x, s.inputSize(), "x");
        check(s, w, s.weightSize(), "w");
        check(s, y, s.outputSize(), "y");
        if (bias != null) check(s, bias, s.outC(), "bias");
        int kk = s.colRows(), l = s.colCols(), o = s.outC();
        int group = groupSize(s, colBudget);
        for (int n0 = 0; n0 < s.batch(); n0 += group) {
            int g = Math.min(group, s.batch() - n0), wide = g * l;
            float[] col = scratch(0, (long) kk * wide);
            im2colGroup(s, x, n0, g, col);
            if (g == 1) {
                Sgemm.sgemm(false, false, o, l, kk, 1f, w, 0, kk, col, 0, l, 0f, y, n0 * o * l, l);
                if (bias != null) addBias(y, n0, 1, o, l, bias);
            } else {
                float[] tmp = scratch(1, (long) o * wide);
                Sgemm.sgemm(false, false, o, wide, kk, 1f, w, 0, kk, col, 0, wide, 0f, tmp, 0, wide);
                unwiden(tmp, y, n0, g, o, l, bias);
            }
        }
    }

    /** dx = ∂(Σ y·dy)/∂x: dy [B, O, outH, outW], w [O, C, kH, kW], dx [B, C, H, W] (overwritten). */
    public static void backwardData(Conv2dShape s, float[] dy, float[] w, float[] dx) {
        backwardData(s, dy, w, dx, COL_BUDGET);
    }

    static void backwardData(Conv2dShape s, float[] dy, float[] w, float[] dx, long colBudget) {
        check(s, dy, s.outputSize(), "dy");
        check(s, w, s.weightSize(), "w");
        check(s, dx, s.inputSize(), "dx");
        int kk = s.colRows(), l = s.colCols(), o = s.outC();
        int group = groupSize(s, colBudget);
        for (int n0 = 0; n0 < s.batch(); n0 += group) {
            int g = Math.min(group, s.batch() - n0), wide = g * l;
            float[] dcol = scratch(0, (long) kk * wide);
            if (g == 1) {
                Sgemm.sgemm(true, false, kk, l, o, 1f, w, 0, kk, dy, n0 * o * l, l, 0f, dcol, 0, l);
            } else {
                float[] dyWide = scratch(1, (long) o * wide);
                widen(dy, n0, g, o, l, dyWide);
                Sgemm.sgemm(true, false, kk, wide, o, 1f, w, 0, kk, dyWide, 0, wide, 0f, dcol, 0, wide);
            }
            col2imGroup(s, dcol, n0, g, dx);
        }
    }

    /**
     * dw = ∂(Σ y·dy)/∂w and db = Σ dy over batch and positions: x [B, C, H, W], dy [B, O, outH, outW],
     * dw [O, C, kH, kW] (overwritten), db [O] (overwritten) or null.
     */
    public static void backwardWeight(Conv2dShape s, float[] x, float[] dy, float[] dw, float[] db) {
        backwardWeight(s, x, dy, dw, db, COL_BUDGET);
    }

    static void backwardWeight(Conv2dShape s, float[] x, float[] dy, float[] dw, float[] db, long colBudget) {
        check(s, x, s.inputSize(), "x");
        check(s, dy, s.outputSize(), "dy");
        check(s, dw, s.weightSize(), "dw");
        if (db != null) {
            check(s, db, s.outC(), "db");
            channelSums(dy, s.batch(), s.outC(), s.colCols(), db);
        }
        int kk = s.colRows(), l = s.colCols(), o = s.outC();
        if (s.batch() == 0) {
            Arrays.fill(dw, 0, (int) s.weightSize(), 0f);
            return;
        }
        int group = groupSize(s, colBudget);
        for (int n0 = 0; n0 < s.batch(); n0 += group) {
            int g = Math.min(group, s.batch() - n0), wide = g * l;
            float[] col = scratch(0, (long) kk * wide);
            im2colGroup(s, x, n0, g, col);
            float beta = n0 == 0 ? 0f : 1f;
            if (g == 1) {
                Sgemm.sgemm(false, true, o, kk, l, 1f, dy, n0 * o * l, l, col, 0, l, beta, dw, 0, kk);
            } else {
                float[] dyWide = scratch(1, (long) o * wide);
                widen(dy, n0, g, o, l, dyWide);
                Sgemm.sgemm(false, true, o, kk, wide, 1f, dyWide, 0, wide, col, 0, wide, beta, dw, 0, kk);
            }
        }
    }

    /** Transposed convolution: y = convᵀ(x, w) + bias; x [B, inC, H, W], w [inC, outC, kH, kW], bias [outC] or null. */
    public static void transposeForward(ConvTranspose2dShape t, float[] x, float[] w, float[] bias, float[] y) {
        Conv2dShape c = t.asConv();
        backwardData(c, x, w, y);
        if (bias != null) {
            check(c, bias, t.outC(), "bias");
            addBias(y, 0, t.batch(), t.outC(), t.outH() * t.outW(), bias);
        }
    }

    /** The transposed convolution's data gradient: dx [B, inC, H, W] from dy [B, outC, outH, outW]. */
    public static void transposeBackwardData(ConvTranspose2dShape t, float[] dy, float[] w, float[] dx) {
        forward(t.asConv(), dy, w, null, dx);
    }

    /** The transposed convolution's weight gradient dw [inC, outC, kH, kW] and bias gradient db [outC] (or null). */
    public static void transposeBackwardWeight(ConvTranspose2dShape t, float[] x, float[] dy, float[] dw, float[] db) {
        Conv2dShape c = t.asConv();
        backwardWeight(c, dy, x, dw, null);
        if (db != null) {
            check(c, db, t.outC(), "db");
            channelSums(dy, t.batch(), t.outC(), t.outH() * t.outW(), db);
        }
    }

    /**
     * Unfolds one image: col[colOff + r·ldcol + q] = x[xOff + (c·H + ih)·W + iw] for r = (c·kH + i)·kW + j and output
     * position q = oh·outW + ow, where ih = oh·strideH − padH + i and iw = ow·strideW − padW + j; 0 where (ih, iw)
     * falls in the padding. col has colRows() rows of colCols() used columns; ldcol ≥ colCols() lets several images
     * share one wide matrix. Single-threaded; callers parallelise over images or channels.
     */
    public static void im2col(Conv2dShape s, float[] x, int xOff, float[] col, int colOff, int ldcol) {
        for (int c = 0; c < s.inC(); c++) im2colChannel(s, x, xOff, c, col, colOff, ldcol);
    }

    /** The adjoint of {@link #im2col}: adds each col entry back onto the input pixel it was copied from. */
    public static void col2im(Conv2dShape s, float[] col, int colOff, int ldcol, float[] x, int xOff) {
        for (int c = 0; c < s.inC(); c++) col2imChannel(s, col, colOff, ldcol, x, xOff, c);
    }

    private static void im2colChannel(Conv2dShape s, float[] x, int xOff, int c, float[] col, int colOff, int ldcol) {
        int h = s.inH(), wd = s.inW(), oh = s.outH(), ow = s.outW(), sh = s.strideH(), sw = s.strideW();
        if (ow < SHORT) {
            im2colShortRows(s, x, xOff, c, col, colOff, ldcol);
            return;
        }
        // With a column stride, first split the plane into sw phase planes (phase f holds columns f, f+sw, ...), so
        // every row copied below is contiguous: strided gathers do not vectorise and cost 17% of the GAN layers'
        // time in the profile, while the split reads the plane once, 1/(kH·kW/(sh·sw)) of what im2col writes.
        float[] src = x;
        int plane = xOff + c * h * wd, pw = wd;
        if (sw > 1) {
            pw = (wd + sw - 1) / sw;
            src = phaseScratch(sw * h * pw);
            splitPhases(x, plane, h, wd, sw, pw, src);
            plane = 0;
        }
        for (int i = 0; i < s.kH(); i++) {
            for (int j = 0; j < s.kW(); j++) {
                int row = colOff + ((c * s.kH() + i) * s.kW() + j) * ldcol;
                int dx = j - s.padW(), lo = validFrom(dx, sw, ow), hi = validTo(dx, sw, wd, ow);
                // Input column q·sw + dx lives in phase floorMod(dx, sw) at position q + floorDiv(dx, sw).
                int phase = plane + Math.floorMod(dx, sw) * h * pw, shift = Math.floorDiv(dx, sw);
                for (int r = 0; r < oh; r++) {
                    int ih = r * sh - s.padH() + i, dst = row + r * ow;
                    if (ih < 0 || ih >= h) {
                        zero(col, dst, ow);
                        continue;
                    }
                    zero(col, dst, lo);
                    copy(src, phase + ih * pw + shift + lo, col, dst + lo, hi - lo);
                    zero(col, dst + Math.max(lo, hi), ow - Math.max(lo, hi));
                }
            }
        }
    }

    private static void col2imChannel(Conv2dShape s, float[] col, int colOff, int ldcol, float[] x, int xOff, int c) {
        int h = s.inH(), wd = s.inW(), oh = s.outH(), ow = s.outW(), sh = s.strideH(), sw = s.strideW();
        if (ow < SHORT) {
            col2imShortRows(s, col, colOff, ldcol, x, xOff, c);
            return;
        }
        // The adjoint of im2colChannel's phase split: accumulate into contiguous phase planes, then interleave.
        float[] dst = x;
        int plane = xOff + c * h * wd, pw = wd;
        if (sw > 1) {
            pw = (wd + sw - 1) / sw;
            dst = phaseScratch(sw * h * pw);
            Arrays.fill(dst, 0, sw * h * pw, 0f);
            plane = 0;
        }
        for (int i = 0; i < s.kH(); i++) {
            for (int j = 0; j < s.kW(); j++) {
                int row = colOff + ((c * s.kH() + i) * s.kW() + j) * ldcol;
                int dx = j - s.padW(), lo = validFrom(dx, sw, ow), hi = validTo(dx, sw, wd, ow);
                int phase = plane + Math.floorMod(dx, sw) * h * pw, shift = Math.floorDiv(dx, sw);
                for (int r = 0; r < oh; r++) {
                    int ih = r * sh - s.padH() + i;
                    if (ih < 0 || ih >= h) continue;
                    int from = row + r * ow, to = phase + ih * pw + shift;
                    for (int q = lo; q < hi; q++) dst[to + q] += col[from + q];
                }
            }
        }
        if (sw > 1) addPhases(dst, h, wd, sw, pw, x, xOff + c * h * wd);
    }

    /**
     * im2col element by element, for outputs only a few columns wide (the deep layers: 4×4, 1×1), where the
     * row-copy path's per-row bookkeeping cost far more than the copies (33 ms instead of about 1 for the
     * discriminator's last layer).
     */
    private static void im2colShortRows(Conv2dShape s, float[] x, int xOff, int c, float[] col, int colOff, int ldcol) {
        int h = s.inH(), wd = s.inW(), oh = s.outH(), ow = s.outW(), sh = s.strideH(), sw = s.strideW();
        int plane = xOff + c * h * wd;
        for (int i = 0; i < s.kH(); i++) {
            for (int j = 0; j < s.kW(); j++) {
                int row = colOff + ((c * s.kH() + i) * s.kW() + j) * ldcol, dx = j - s.padW();
                for (int r = 0; r < oh; r++) {
                    int ih = r * sh - s.padH() + i, dst = row + r * ow, base = plane + ih * wd + dx;
                    boolean inside = ih >= 0 && ih < h;
                    for (int q = 0; q < ow; q++) {
                        int iw = q * sw + dx;
                        col[dst + q] = inside && iw >= 0 && iw < wd ? x[base + q * sw] : 0f;
                    }
                }
            }
        }
    }

    /** The adjoint of {@link #im2colShortRows}. */
    private static void col2imShortRows(Conv2dShape s, float[] col, int colOff, int ldcol, float[] x, int xOff, int c) {
        int h = s.inH(), wd = s.inW(), oh = s.outH(), ow = s.outW(), sh = s.strideH(), sw = s.strideW();
        int plane = xOff + c * h * wd;
        for (int i = 0; i < s.kH(); i++) {
            for (int j = 0; j < s.kW(); j++) {
                int row = colOff + ((c * s.kH() + i) * s.kW() + j) * ldcol, dx = j - s.padW();
                for (int r = 0; r < oh; r++) {
                    int ih = r * sh - s.padH() + i;
                    if (ih < 0 || ih >= h) continue;
                    int src = row + r * ow, base = plane + ih * wd + dx;
                    for (int q = 0; q < ow; q++) {
                        int iw = q * sw + dx;
                        if (iw >= 0 && iw < wd) x[base + q * sw] += col[src + q];
                    }
                }
            }
        }
    }

    /** phases[(f·h + r)·pw + t] = x[plane + r·wd + t·sw + f] for every column t·sw + f inside the row. */
    private static void splitPhases(float[] x, int plane, int h, int wd, int sw, int pw, float[] phases) {
        for (int f = 0; f < sw; f++) {
            int count = (wd - f + sw - 1) / sw;
            for (int r = 0; r < h; r++) {
                int d = (f * h + r) * pw, from = plane + r * wd + f;
                for (int t = 0; t < count; t++) phases[d + t] = x[from + t * sw];
            }
        }
    }

    /** The adjoint of {@link #splitPhases}: adds each phase plane back onto its interleaved columns of x. */
    private static void addPhases(float[] phases, int h, int wd, int sw, int pw, float[] x, int plane) {
        for (int f = 0; f < sw; f++) {
            int count = (wd - f + sw - 1) / sw;
            for (int r = 0; r < h; r++) {
                int d = (f * h + r) * pw, to = plane + r * wd + f;
                for (int t = 0; t < count; t++) x[to + t * sw] += phases[d + t];
            }
        }
    }

    /**
     * Copies len floats. C2 does not vectorise a copy loop between two float[] that might be the same array, so
     * long rows go through arraycopy; short ones (deep layers have rows of 2 to 8) through a loop, where the
     * call would cost more than the copy.
     */
    private static void copy(float[] src, int from, float[] dst, int to, int len) {
        if (len >= SHORT) System.arraycopy(src, from, dst, to, len);
        else for (int q = 0; q < len; q++) dst[to + q] = src[from + q];
    }

    private static void zero(float[] dst, int to, int len) {
        if (len >= SHORT) Arrays.fill(dst, to, to + len, 0f);
        else for (int q = 0; q < len; q++) dst[to + q] = 0f;
    }

    private static float[] phaseScratch(int size) {
        float[] b = PHASES.get();
        if (b.length < size) {
            b = new float[size];
            PHASES.set(b);
        }
        return b;
    }

    /** First output column whose input column q·sw + dx is inside the image (≥ 0). */
    private static int validFrom(int dx, int sw, int ow) {
        return dx >= 0 ? 0 : Math.min(ow, (-dx + sw - 1) / sw);
    }

    /** One past the last output column whose input column q·sw + dx is inside an image of width wd. */
    private static int validTo(int dx, int sw, int wd, int ow) {
        return wd - 1 - dx < 0 ? 0 : Math.min(ow, (wd - 1 - dx) / sw + 1);
    }

    /** im2col of images [n0, n0+g) side by side into a K × (g·L) matrix, in parallel over (image, channel). */
    private static void im2colGroup(Conv2dShape s, float[] x, int n0, int g, float[] col) {
        int chw = s.inC() * s.inH() * s.inW(), l = s.colCols(), wide = g * l, cin = s.inC();
        Parallel.forRange(g * cin, grainFor(s.kH() * s.kW() * l), (lo, hi) -> {
            for (int t = lo; t < hi; t++) {
                int n = t / cin, c = t % cin;
                im2colChannel(s, x, (n0 + n) * chw, c, col, n * l, wide);
            }
        });
    }

    /** Zeroes dx for images [n0, n0+g) and scatter-adds the K × (g·L) dcol into them, in parallel over (image, channel). */
    private static void col2imGroup(Conv2dShape s, float[] dcol, int n0, int g, float[] dx) {
        int hw = s.inH() * s.inW(), chw = s.inC() * hw, l = s.colCols(), wide = g * l, cin = s.inC();
        Parallel.forRange(g * cin, grainFor(s.kH() * s.kW() * l), (lo, hi) -> {
            for (int t = lo; t < hi; t++) {
                int n = t / cin, c = t % cin, plane = (n0 + n) * chw + c * hw;
                Arrays.fill(dx, plane, plane + hw, 0f);
                col2imChannel(s, dcol, n * l, wide, dx, (n0 + n) * chw, c);
            }
        });
    }

    /** NCHW dy for images [n0, n0+g) into the O × (g·L) layout the GEMMs use. */
    private static void widen(float[] src, int n0, int g, int o, int l, float[] wide) {
        int w = g * l;
        Parallel.forRange(g * o, grainFor(l), (lo, hi) -> {
            for (int t = lo; t < hi; t++) {
                int n = t / o, ch = t % o;
                System.arraycopy(src, ((n0 + n) * o + ch) * l, wide, ch * w + n * l, l);
            }
        });
    }

    /** The O × (g·L) GEMM result back to NCHW images [n0, n0+g), adding bias[ch] when given. */
    private static void unwiden(float[] wide, float[] dst, int n0, int g, int o, int l, float[] bias) {
        int w = g * l;
        Parallel.forRange(g * o, grainFor(l), (lo, hi) -> {
            for (int t = lo; t < hi; t++) {
                int n = t / o, ch = t % o, d = ((n0 + n) * o + ch) * l, src = ch * w + n * l;
                if (bias == null) {
                    System.arraycopy(wide, src, dst, d, l);
                } else {
                    float b = bias[ch];
                    for (int q = 0; q < l; q++) dst[d + q] = wide[src + q] + b;
                }
            }
        });
    }

    private static void addBias(float[] y, int n0, int g, int o, int l, float[] bias) {
        Parallel.forRange(g * o, grainFor(l), (lo, hi) -> {
            for (int t = lo; t < hi; t++) {
                int d = (n0 * o + t) * l;
                float b = bias[t % o];
                for (int q = 0; q < l; q++) y[d + q] += b;
            }
        });
    }

    /** db[ch] = Σ over images and positions of dy[n, ch, ·], summed in double so long sums stay accurate. */
    private static void channelSums(float[] dy, int batch, int o, int l, float[] db) {
        Parallel.forRange(o, grainFor((long) batch * l), (lo, hi) -> {
            for (int ch = lo; ch < hi; ch++) {
                double sum = 0;
                for (int n = 0; n < batch; n++) {
                    int base = (n * o + ch) * l;
                    for (int q = 0; q < l; q++) sum += dy[base + q];
                }
                db[ch] = (float) sum;
            }
        });
    }

    /** Images per GEMM so that the im2col matrix stays within the budget (at least one image). */
    private static int groupSize(Conv2dShape s, long colBudget) {
        long perImage = (long) s.colRows() * s.colCols();
        return (int) Math.max(1, Math.min(Math.max(1, s.batch()), colBudget / Math.max(1, perImage)));
    }

    /** Loop items per task so that each task has some thousands of floats to move. */
    private static int grainFor(long floatsPerItem) {
        return (int) Math.max(1, 16384 / Math.max(1, floatsPerItem));
    }

    private static float[] scratch(int slot, long size) {
        if (size > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("convolution scratch of " + size + " floats is too large");
        float[][] s = SCRATCH.get();
        if (s[slot].length < size) s[slot] = new float[(int) size];
        return s[slot];
    }

    private static void check(Conv2dShape s, float[] a, long need, String name) {
        if (a == null) throw new NullPointerException(name);
        if (a.length < need)
            throw new IllegalArgumentException(name + " has " + a.length + " floats, " + s + " needs " + need);
    }
}
