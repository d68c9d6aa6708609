package org.dpmammo.models.swin;

import java.util.List;
import org.dpmammo.autograd.Grad;
import org.dpmammo.autograd.NnOps;
import org.dpmammo.autograd.Ops;
import org.dpmammo.autograd.Variable;
import org.dpmammo.backend.Backend;
import org.dpmammo.backend.Backends;
import org.dpmammo.backend.BinaryOp;
import org.dpmammo.nn.Init;
import org.dpmammo.nn.LayerGrads;
import org.dpmammo.nn.Linear;
import org.dpmammo.nn.Module;
import org.dpmammo.nn.Parameter;
import org.dpmammo.nn.PerExample;
import org.dpmammo.nn.PerExampleModule;
import org.dpmammo.tensor.Shape;
import org.dpmammo.tensor.Tensor;
import org.dpmammo.util.Rng;

/**
 * Multi-head self-attention inside (shifted) windows with a learned relative-position bias, torchvision's
 * ShiftedWindowAttention (v1): members qkv, proj, relative_position_bias_table and the int64 buffer
 * relative_position_index, so the state dict keys match.
 *
 * <p>Shapes: input and output [N, H, W, C]; windows are kept as [N, nW, T, C] so that axis 0 stays the example
 * (the Linear layers' per-example rules then see one example per row block); heads h, head width d = C/h.
 *
 * <p>The bias table is this module's own parameter, so the module is the {@link PerExampleLayer} for it (qkv and
 * proj carry their own rules). The bias enters as logits S + bias with bias[h, i, j] = table[index[i, j], h], the
 * same for every window of every example, so the table's gradient is a scatter-add of ∂L/∂S summed over windows:
 * g[t, h] = Σ_windows Σ_{(i, j): index[i, j] = t} ∂L/∂S[w, h, i, j]. Per-example view (DP): G = ∂L/∂S
 * [N, nW, h, T, T] with the windows of example n on row n (window partition keeps the example axis first);
 * the rule depends on G alone (the bias is added, not multiplied), so A is an empty [N, 0] that carries only the
 * example count. Per-example gradients are materialised as [N, (2ws−1)², h]: small next to G itself.
 */
public final class WindowAttention extends PerExampleModule {
    public final int dim, heads, window, shift;
    public final Linear qkv, proj;
    public final Parameter relativePositionBiasTable;
    private final int[] index;

    public WindowAttention(int dim, int heads, int window, int shift, Rng rng) {
        if (dim % heads != 0) throw new IllegalArgumentException("attention: width " + dim + " is not divisible by " + heads + " heads");
        this.dim = dim;
        this.heads = heads;
        this.window = window;
        this.shift = shift;
        qkv = registerModule("qkv", new Linear(dim, 3 * dim, rng));
        proj = registerModule("proj", new Linear(dim, dim, rng));
        int side = 2 * window - 1;
        relativePositionBiasTable = registerParameter("relative_position_bias_table", new Parameter(Tensor.zeros(side * side, heads)));
        Init.truncNormal(relativePositionBiasTable, 0.02, rng);
        index = WindowGeometry.relativePositionIndex(window);
        float[] asFloat = new float[index.length];
        for (int i = 0; i < index.length; i++) asFloat[i] = index[i];
        registerBuffer("relative_position_index", Tensor.of(asFloat, index.length), true);
    }

    /**
     * S + bias for logits S [N, nW, h, T, T], recorded as one op so that its backward can hand ∂L/∂S to a gradient
     * sink (DP) instead of summing the table's gradient.
     */
    private Variable addRelativePositionBias(Variable logits) {
        Backend be = Backends.current();
        int t = window * window;
        Tensor s = logits.value();
        Tensor bias = be.indexSelect(relativePositionBiasTable.value(), 0, index).reshape(t, t, heads).permute(2, 0, 1);
        Tensor noActivation = Tensor.zeros(s.size(0), 0);
        return Grad.record("relativePositionBias", be.binary(BinaryOp.ADD, s, bias),
                g -> new Tensor[] {g, LayerGrads.route(this, noActivation, g)[0]}, logits, relativePositionBiasTable);
    }

    @Override
    public Variable forward(Variable x) {
        int[] s = x.value().shapeRef();
        if (s.length != 4 || s[3] != dim || s[1] % window != 0 || s[2] % window != 0) {
            throw new IllegalArgumentException("window attention (width " + dim + ", window " + window + "): input " + Shape.str(s));
        }
        int n = s[0], h = s[1], w = s[2], t = window * window, nW = (h / window) * (w / window), d = dim / heads;
        int sh = WindowGeometry.effectiveShift(h, w, window, shift);
        Variable y = x;
        if (sh > 0) y = Ops.roll(Ops.roll(y, -sh, 1), -sh, 2);
        Variable win = Ops.reshape(NnOps.windowPartition(y, window), n, nW, t, dim);
        // [N, nW, T, 3C] → [3, N, nW, h, T, d]
        Variable qkvAll = Ops.permute(Ops.reshape(qkv.forward(win), n, nW, t, 3, heads, d), 3, 0, 1, 4, 2, 5);
        Variable q = Ops.mulScalar(part(qkvAll, 0, n, nW, t, d), (float) Math.pow(d, -0.5));
        Variable k = part(qkvAll, 1, n, nW, t, d), v = part(qkvAll, 2, n, nW, t, d);
        Variable attn = addRelativePositionBias(Ops.matmul(q, k, false, true)); // [N, nW, h, T, T]
        attn = sh > 0 ? NnOps.softmax(attn, shiftMask(h, w, sh)) : NnOps.softmax(attn);
        Variable out = Ops.reshape(Ops.permute(Ops.matmul(attn, v), 0, 1, 3, 2, 4), n, nW, t, dim);
        out = proj.forward(out);
        out = NnOps.windowReverse(Ops.reshape(out, n * nW, t, dim), window, n, h, w);
        if (sh > 0) out = Ops.roll(Ops.roll(out, sh, 1), sh, 2);
        return out;
    }

    /** The shifted-window mask of the last grid, kept on the backend it was made for, so a device gets it once. */
    private Tensor mask;
    private int maskH, maskW;
    private Backend maskBackend;

    private Tensor shiftMask(int h, int w, int sh) {
        Backend be = Backends.current();
        if (mask == null || maskH != h || maskW != w || maskBackend != be) {
            mask = be.upload(WindowGeometry.shiftMask(h, w, window, sh));
            maskH = h;
            maskW = w;
            maskBackend = be;
        }
        return mask;
    }

    private static Variable part(Variable qkvAll, int which, int n, int nW, int t, int d) {
        return Ops.reshape(Ops.slice(qkvAll, 0, which, which + 1), n, nW, -1, t, d);
    }

    @Override
    public List<Parameter> perExampleParameters() {
        return List.of(relativePositionBiasTable);
    }

    /** G = ∂L/∂S [N, nW, h, T, T] summed over examples and windows, then scattered into the table rows it was read from. */
    @Override
    public Tensor[] gradients(Tensor activation, Tensor gradOut) {
        if (!relativePositionBiasTable.requiresGrad()) return new Tensor[1];
        int t = window * window;
        Tensor summed = Backends.current().sum(gradOut, new int[] {0, 1}, true).reshape(heads, t, t);
        return new Tensor[] {scatter(summed.permute(1, 2, 0).reshape(t * t, heads), 0)};
    }

    /** Example n's table gradient: G summed over n's windows only, scattered as in {@link #gradients}. */
    private Tensor perExampleTableGradients(Tensor gradOut) {
        int n = gradOut.size(0), t = window * window;
        Tensor perExample = Backends.current().sum(gradOut, new int[] {1}, false); // [N, h, T, T]
        return scatter(perExample.permute(0, 2, 3, 1).reshape(n, t * t, heads), 1); // [N, (2ws−1)², h]
    }

    /** Adds the rows of g [.., T², h] (axis {@code axis} runs over token pairs) into the table rows the pairs read. */
    private Tensor scatter(Tensor g, int axis) {
        return Backends.current().indexAdd(g, axis, index, relativePositionBiasTable.value().size(0));
    }

    @Override
    public float[] perExampleSqNorms(Tensor activation, Tensor gradOut) {
        return perExampleNorms(activation, gradOut).sqNorms().toArray();
    }

    /** Materialised: the per-example tables are small, and the clipped sum then reuses them. */
    @Override
    public PerExample.Norms perExampleNorms(Tensor activation, Tensor gradOut) {
        if (!relativePositionBiasTable.requiresGrad()) return new PerExample.Norms(PerExample.zeroNorms(gradOut.size(0)), new Tensor[1]);
        Tensor g = perExampleTableGradients(gradOut);
        return new PerExample.Norms(PerExample.rowSqNorms(g), new Tensor[] {g});
    }
}
