package org.dpmammo.models.swin;

import org.dpmammo.autograd.Ops;
import org.dpmammo.autograd.Variable;
import org.dpmammo.nn.DropPath;
import org.dpmammo.nn.Dropout;
import org.dpmammo.nn.GELU;
import org.dpmammo.nn.LayerNorm;
import org.dpmammo.nn.Linear;
import org.dpmammo.nn.Module;
import org.dpmammo.nn.Sequential;
import org.dpmammo.util.Rng;

/**
 * One pre-norm transformer block on [N, H, W, C]: x + drop(attn(norm1(x))), then x + drop(mlp(norm2(x))), with the
 * MLP as torchvision's MLP Sequential (0 Linear, 1 GELU, 2 Dropout, 3 Linear, 4 Dropout), so its weights are
 * mlp.0.* and mlp.3.*. The two residual branches draw independent stochastic-depth masks.
 */
public final class SwinBlock extends Module {
    public final LayerNorm norm1, norm2;
    public final WindowAttention attn;
    public final Sequential mlp;
    private final DropPath drop;

    public SwinBlock(int dim, int heads, int window, int shift, double mlpRatio, float dropPath, Rng rng) {
        norm1 = registerModule("norm1", new LayerNorm(dim));
        attn = registerModule("attn", new WindowAttention(dim, heads, window, shift, rng));
        drop = registerModule("stochastic_depth", new DropPath(dropPath, rng.fork(0x5D)));
        norm2 = registerModule("norm2", new LayerNorm(dim));
        int hidden = (int) (dim * mlpRatio);
        mlp = registerModule("mlp", new Sequential(new Linear(dim, hidden, rng), new GELU(), new Dropout(0f, rng),
                new Linear(hidden, dim, rng), new Dropout(0f, rng)));
    }

    @Override
    public Variable forward(Variable x) {
        Variable y = Ops.add(x, drop.forward(attn.forward(norm1.forward(x))));
        return Ops.add(y, drop.forward(mlp.forward(norm2.forward(y))));
    }
}
