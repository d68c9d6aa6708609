package org.dpmammo.nn;

import org.dpmammo.autograd.NnOps;
import org.dpmammo.autograd.Variable;
import org.dpmammo.tensor.Shape;

/**
 * Normalisation over the trailing axes given by normalizedShape (Swin: [C] of [N, H, W, C] or [N, T, C]), with
 * biased variance and eps inside the square root, as PyTorch; element-wise affine γ, β of normalizedShape.
 */
public final class LayerNorm extends AffineNorm {
    public final int[] normalizedShape;
    public final float eps;

    public LayerNorm(int[] normalizedShape, float eps, boolean elementwiseAffine) {
        super(normalizedShape, elementwiseAffine);
        if (normalizedShape.length == 0) throw new IllegalArgumentException("LayerNorm: empty normalized shape");
        this.normalizedShape = normalizedShape.clone();
        this.eps = eps;
    }

    /** LayerNorm(dim) with eps 1e-5 and affine parameters, PyTorch's defaults. */
    public LayerNorm(int dim) {
        this(new int[] {dim}, 1e-5f, true);
    }

    @Override
    protected Variable normalize(Variable x) {
        int[] s = x.value().shapeRef();
        int k = normalizedShape.length;
        boolean fits = s.length >= k;
        for (int i = 0; fits && i < k; i++) fits = s[s.length - k + i] == normalizedShape[i];
        if (!fits) throw new IllegalArgumentException("LayerNorm" + Shape.str(normalizedShape) + ": input " + Shape.str(s));
        return NnOps.normalizeLast(x, eps, k);
    }

    @Override
    protected int[] broadcastShape(int[] inputShape) {
        return normalizedShape;
    }
}
