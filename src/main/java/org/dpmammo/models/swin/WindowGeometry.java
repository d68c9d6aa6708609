package org.dpmammo.models.swin;

import org.dpmammo.tensor.Tensor;

/**
 * The fixed index tables of shifted-window attention, as pure functions. Glossary: ws window side, T = ws² tokens
 * per window, nW windows per image, H×W the token grid.
 */
public final class WindowGeometry {
    /** torchvision's additive mask value for token pairs from different regions (not −∞, so rows never go empty). */
    public static final float MASKED = -100f;

    private WindowGeometry() {}

    /**
     * For every (query, key) pair of a window, the row of the relative-position bias table [(2ws−1)², heads]:
     * (Δrow + ws − 1)·(2ws − 1) + (Δcol + ws − 1), with Δ = query − key and tokens in row-major order. Length T².
     */
    public static int[] relativePositionIndex(int ws) {
        if (ws <= 0) throw new IllegalArgumentException("window size must be positive, got " + ws);
        int t = ws * ws;
        int[] idx = new int[t * t];
        for (int q = 0; q < t; q++) {
            for (int k = 0; k < t; k++) {
                int dr = q / ws - k / ws + ws - 1, dc = q % ws - k % ws + ws - 1;
                idx[q * t + k] = dr * (2 * ws - 1) + dc;
            }
        }
        return idx;
    }

    /**
     * The shift a block actually uses: torchvision drops the shift when one window covers the whole grid (there is
     * nothing to shift across), so the last stage of Swin-T at 224×224 (7×7 grid, window 7) never shifts.
     */
    public static int effectiveShift(int gridH, int gridW, int ws, int shift) {
        return ws >= gridH || ws >= gridW ? 0 : shift;
    }

    /**
     * The additive attention mask [nW, 1, T, T] for a grid rolled by −shift on both axes: 0 where query and key
     * come from the same region of the unrolled image, {@link #MASKED} where the roll made them neighbours
     * although they are not. Per axis the regions are [0, n−ws), [n−ws, n−shift), [n−shift, n).
     */
    public static Tensor shiftMask(int h, int w, int ws, int shift) {
        if (h % ws != 0 || w % ws != 0) throw new IllegalArgumentException("grid " + h + "x" + w + " is not divisible by window " + ws);
        if (shift <= 0 || shift >= ws) throw new IllegalArgumentException("shift " + shift + " outside (0, " + ws + ")");
        int[] region = new int[h * w];
        for (int r = 0; r < h; r++) for (int c = 0; c < w; c++) region[r * w + c] = band(r, h, ws, shift) * 3 + band(c, w, ws, shift);
        int nh = h / ws, nw = w / ws, t = ws * ws;
        float[] mask = new float[nh * nw * t * t];
        for (int wi = 0; wi < nh * nw; wi++) {
            int r0 = (wi / nw) * ws, c0 = (wi % nw) * ws;
            for (int q = 0; q < t; q++) {
                int rq = region[(r0 + q / ws) * w + c0 + q % ws];
                for (int k = 0; k < t; k++) {
                    int rk = region[(r0 + k / ws) * w + c0 + k % ws];
                    mask[(wi * t + q) * t + k] = rq == rk ? 0f : MASKED;
                }
            }
        }
        return Tensor.of(mask, nh * nw, 1, t, t);
    }

    private static int band(int i, int n, int ws, int shift) {
        return i < n - ws ? 0 : i < n - shift ? 1 : 2;
    }
}
