package org.dpmammo.models.swin;

import org.dpmammo.autograd.Ops;
import org.dpmammo.autograd.Variable;
import org.dpmammo.nn.LayerNorm;
import org.dpmammo.nn.Linear;
import org.dpmammo.nn.Module;
import org.dpmammo.tensor.Shape;
import org.dpmammo.util.Rng;

/**
 * Halves the grid and doubles the width: [N, H, W, C] → [N, H/2, W/2, 2C]. Each 2×2 neighbourhood is concatenated in
 * torchvision's order x0 = (even row, even col), x1 = (odd, even), x2 = (even, odd), x3 = (odd, odd), normalised over
 * 4C and projected without bias (members reduction, norm).
 */
public final class PatchMerging extends Module {
    public final Linear reduction;
    public final LayerNorm norm;
    public final int dim;

    public PatchMerging(int dim, Rng rng) {
        this.dim = dim;
        reduction = registerModule("reduction", new Linear(4 * dim, 2 * dim, false, rng));
        norm = registerModule("norm", new LayerNorm(4 * dim));
    }

    @Override
    public Variable forward(Variable x) {
        int[] s = x.value().shapeRef();
        if (s.length != 4 || s[3] != dim || s[1] % 2 != 0 || s[2] % 2 != 0) {
            throw new IllegalArgumentException("patch merging (width " + dim + "): input " + Shape.str(s) + " needs an even grid");
        }
        int h = s[1], w = s[2];
        Variable x0 = Ops.slice(Ops.slice(x, 1, 0, h, 2), 2, 0, w, 2);
        Variable x1 = Ops.slice(Ops.slice(x, 1, 1, h, 2), 2, 0, w, 2);
        Variable x2 = Ops.slice(Ops.slice(x, 1, 0, h, 2), 2, 1, w, 2);
        Variable x3 = Ops.slice(Ops.slice(x, 1, 1, h, 2), 2, 1, w, 2);
        return reduction.forward(norm.forward(Ops.concat(3, x0, x1, x2, x3)));
    }
}
