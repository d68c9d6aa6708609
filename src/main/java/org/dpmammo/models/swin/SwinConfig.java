package org.dpmammo.models.swin;

import java.util.Arrays;

/**
 * The shape of a Swin Transformer (v1). {@link #swinT} is torchvision's swin_t; {@link #cpu} is a reduced model for
 * CPU-only experiments; {@link #vit} is a ViT-style global-attention model built from the same code. Every stage's token grid must be divisible by the window and (except the last) even, so no
 * padding is ever needed; torchvision would pad, this refuses instead.
 *
 * @param imageSize input side (square), e.g. 224
 * @param patchSize side of the patch-embedding convolution (its stride too)
 * @param embedDim width of stage 1; stage i has embedDim·2^i
 * @param depths blocks per stage
 * @param heads attention heads per stage
 * @param window window side in tokens
 * @param mlpRatio MLP hidden width over block width
 * @param stochasticDepth drop-path probability of the last block; block b of B gets p·b/(B−1)
 */
public record SwinConfig(int imageSize, int patchSize, int embedDim, int[] depths, int[] heads, int window,
                         double mlpRatio, double stochasticDepth) {
    public SwinConfig {
        depths = depths.clone();
        heads = heads.clone();
        if (depths.length == 0 || depths.length != heads.length) {
            throw new IllegalArgumentException("swin: depths " + Arrays.toString(depths) + " and heads " + Arrays.toString(heads) + " must be non-empty and of equal length");
        }
        if (imageSize <= 0 || patchSize <= 0 || imageSize % patchSize != 0) {
            throw new IllegalArgumentException("swin: image size " + imageSize + " is not a multiple of patch size " + patchSize);
        }
        if (stochasticDepth < 0 || stochasticDepth >= 1) throw new IllegalArgumentException("swin: stochastic depth " + stochasticDepth + " outside [0, 1)");
        int grid = imageSize / patchSize;
        for (int s = 0; s < depths.length; s++) {
            int dim = embedDim << s;
            if (depths[s] <= 0 || heads[s] <= 0 || dim % heads[s] != 0) {
                throw new IllegalArgumentException("swin: stage " + (s + 1) + " has depth " + depths[s] + ", width " + dim + ", " + heads[s] + " heads");
            }
            if (grid % window != 0) {
                throw new IllegalArgumentException("swin: stage " + (s + 1) + " grid " + grid + "x" + grid + " is not divisible by window " + window
                        + " (choose a window that divides every stage's grid)");
            }
            if (s < depths.length - 1 && grid % 2 != 0) throw new IllegalArgumentException("swin: stage " + (s + 1) + " grid " + grid + " is odd and cannot be merged");
            grid /= 2;
        }
    }

    /** torchvision swin_t: 224×224, patch 4, width 96, depths 2-2-6-2, heads 3-6-12-24, window 7, drop-path 0.2. */
    public static SwinConfig swinT() {
        return new SwinConfig(224, 4, 96, new int[] {2, 2, 6, 2}, new int[] {3, 6, 12, 24}, 7, 4.0, 0.2);
    }

    /** A CPU-sized model: 64×64 input, width 48, depths 2-2-2, heads 3-6-12, window 4 (grids 16, 8, 4). */
    public static SwinConfig cpu() {
        return new SwinConfig(64, 4, 48, new int[] {2, 2, 2}, new int[] {3, 6, 12}, 4, 4.0, 0.1);
    }

    /** A test-sized model (the shape of the torchvision fixture): 32×32 input, width 24, depths 2-2, heads 2-4, window 4. */
    public static SwinConfig tiny() {
        return new SwinConfig(32, 4, 24, new int[] {2, 2}, new int[] {2, 4}, 4, 4.0, 0.1);
    }

    /**
     * A ViT-style transformer from the same code: one stage whose window is the whole token grid, so every block
     * attends globally, no block shifts (like torchvision, {@link WindowGeometry#effectiveShift} drops the shift when
     * one window covers the grid) and no patch merging happens. It is not the original ViT: instead of absolute
     * position embeddings each block has a learned relative-position bias (as BEiT), and the classifier reads the
     * mean of the tokens, not a class token. torchvision's SwinTransformer with depths [depth] builds the same model,
     * so weights still move both ways.
     */
    public static SwinConfig vit(int imageSize, int patchSize, int embedDim, int depth, int heads, double mlpRatio, double stochasticDepth) {
        if (patchSize <= 0 || imageSize % patchSize != 0) {
            throw new IllegalArgumentException("vit: image size " + imageSize + " is not a multiple of patch size " + patchSize);
        }
        return new SwinConfig(imageSize, patchSize, embedDim, new int[] {depth}, new int[] {heads}, imageSize / patchSize, mlpRatio, stochasticDepth);
    }

    /** The CPU-sized ViT-style preset: 64×64 input, patch 8 (an 8×8 grid of 64 tokens), width 96, depth 6, 3 heads. */
    public static SwinConfig vit() {
        return vit(64, 8, 96, 6, 3, 4.0, 0.1);
    }

    /** True when every block attends over the whole grid: one stage whose window is the grid ({@link #vit}). */
    public boolean globalAttention() {
        return depths.length == 1 && window == imageSize / patchSize;
    }

    /** Width of the pooled feature: embedDim·2^(stages−1) (768 for Swin-T). */
    public int numFeatures() {
        return embedDim << (depths.length - 1);
    }

    public int totalBlocks() {
        int n = 0;
        for (int d : depths) n += d;
        return n;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SwinConfig c && c.imageSize == imageSize && c.patchSize == patchSize && c.embedDim == embedDim
                && Arrays.equals(c.depths, depths) && Arrays.equals(c.heads, heads) && c.window == window
                && c.mlpRatio == mlpRatio && c.stochasticDepth == stochasticDepth;
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(depths) * 31 + Arrays.hashCode(heads) + 7 * imageSize + embedDim;
    }

    @Override
    public String toString() {
        return (globalAttention() ? "ViT-style Swin" : "Swin") + "(image " + imageSize + ", patch " + patchSize + ", width " + embedDim + ", depths " + Arrays.toString(depths)
                + ", heads " + Arrays.toString(heads) + ", window " + window + ", mlp " + mlpRatio + ", drop-path " + stochasticDepth + ")";
    }
}
