package org.dpmammo.autograd;

import static org.dpmammo.autograd.Ops.be;

import org.dpmammo.backend.BinaryOp;
import org.dpmammo.tensor.Shape;
import org.dpmammo.tensor.Tensor;
import org.dpmammo.util.Rng;

/**
 * Differentiable neural-network ops: softmax, linear and convolution, normalisation statistics, pooling, dropout,
 * Swin's window permutations and the losses. Shape glossary: N batch, C channels, H/W height/width, T tokens,
 * K classes.
 */
public final class NnOps {
    private NnOps() {}

    // ---------------------------------------------------------------- softmax

    /** Softmax over the last axis. */
    public static Variable softmax(Variable x) {
        Tensor out = be().softmax(x.value(), false);
        return Grad.record("softmax", out, g -> new Tensor[] {be().softmaxBackward(out, g, false)}, x);
    }

    /** Log-softmax over the last axis. */
    public static Variable logSoftmax(Variable x) {
        Tensor out = be().softmax(x.value(), true);
        return Grad.record("logSoftmax", out, g -> new Tensor[] {be().softmaxBackward(out, g, true)}, x);
    }

    /** Softmax of x + mask over the last axis; the additive mask (e.g. −100 or −∞ for forbidden pairs) broadcasts. */
    public static Variable softmax(Variable x, Tensor mask) {
        return softmax(Ops.add(x, Variable.constant(mask)));
    }

    // ---------------------------------------------------------------- linear and convolution

    /** x[..., in] · wᵀ + b with w [out, in] and b [out] (b may be null). */
    public static Variable linear(Variable x, Variable w, Variable b) {
        Variable y = Ops.matmul(x, w, false, true);
        return b == null ? y : Ops.add(y, b);
    }

    /** Convolution, NCHW; w [O, C, kH, kW]; b [O] or null. */
    public static Variable conv2d(Variable x, Variable w, Variable b, int stride, int padding) {
        Tensor xv = x.value(), wv = w.value();
        Tensor out = be().conv2d(xv, wv, b == null ? null : b.value(), stride, stride, padding, padding);
        int h = xv.size(2), wd = xv.size(3), kH = wv.size(2), kW = wv.size(3);
        return Grad.record("conv2d", out, g -> new Tensor[] {
                x.requiresGrad() ? be().conv2dBackwardInput(g, wv, h, wd, stride, stride, padding, padding) : null,
                w.requiresGrad() ? be().conv2dBackwardWeight(xv, g, kH, kW, stride, stride, padding, padding) : null,
                b != null && b.requiresGrad() ? be().sum(g, new int[] {0, 2, 3}, false) : null}, x, w, b);
    }

    /**
     * Transposed convolution as PyTorch's ConvTranspose2d: w [C_in, C_out, kH, kW]; output size
     * (H − 1)·stride − 2·padding + k + outputPadding.
     */
    public static Variable convTranspose2d(Variable x, Variable w, Variable b, int stride, int padding, int outputPadding) {
        Tensor xv = x.value(), wv = w.value();
        if (xv.rank() != 4 || wv.rank() != 4 || xv.size(1) != wv.size(0)) {
            throw new IllegalArgumentException("convTranspose2d: input " + Shape.str(xv.shapeRef()) + " and weight "
                    + Shape.str(wv.shapeRef()) + " do not match (expected [N, C_in, H, W] and [C_in, C_out, kH, kW])");
        }
        if (outputPadding < 0 || outputPadding >= stride) {
            throw new IllegalArgumentException("convTranspose2d: output padding " + outputPadding + " must be in [0, stride)");
        }
        int kH = wv.size(2), kW = wv.size(3);
        int oh = (xv.size(2) - 1) * stride - 2 * padding + kH + outputPadding;
        int ow = (xv.size(3) - 1) * stride - 2 * padding + kW + outputPadding;
        if (oh <= 0 || ow <= 0) throw new IllegalArgumentException("convTranspose2d: output would be " + oh + "x" + ow);
        // A transposed convolution is the input-gradient of the convolution with the same weight.
        Tensor y = be().conv2dBackwardInput(xv, wv, oh, ow, stride, stride, padding, padding);
        if (b != null) y = be().binary(BinaryOp.ADD, y, b.value().reshape(1, -1, 1, 1));
        return Grad.record("convTranspose2d", y, g -> new Tensor[] {
                x.requiresGrad() ? be().conv2d(g, wv, null, stride, stride, padding, padding) : null,
                w.requiresGrad() ? be().conv2dBackwardWeight(g, xv, kH, kW, stride, stride, padding, padding) : null,
                b != null && b.requiresGrad() ? be().sum(g, new int[] {0, 2, 3}, false) : null}, x, w, b);
    }

    // ---------------------------------------------------------------- normalisation

    /**
     * (x − mean) / sqrt(var + eps) with mean and biased variance over the given axes: the shared core of
     * LayerNorm, GroupNorm, InstanceNorm and BatchNorm (training mode). Affine scale and shift are the layers'.
     */
    public static Variable normalize(Variable x, float eps, int... axes) {
        Variable mean = Ops.mean(x, true, axes);
        Variable centred = Ops.sub(x, mean);
        Variable var = Ops.mean(Ops.square(centred), true, axes);
        return Ops.mul(centred, Ops.rsqrt(Ops.addScalar(var, eps)));
    }

    /**
     * {@link #normalize} over the last {@code axes} axes as one op (LayerNorm): the backend's row normalisation on
     * x viewed as [rows, product of those axes], whose backward needs only x̂ and the per-row 1/σ.
     */
    public static Variable normalizeLast(Variable x, float eps, int axes) {
        int[] s = x.value().shape();
        if (axes < 1 || axes > s.length) throw new IllegalArgumentException("normalizeLast: " + axes + " axes of " + Shape.str(s));
        int len = 1;
        for (int i = s.length - axes; i < s.length; i++) len *= s[i];
        int rowLen = len;
        Tensor[] r = be().normalizeRows(x.value().reshape(-1, rowLen), eps);
        Tensor xhat = r[0], rstd = r[1];
        return Grad.record("layerNorm", xhat.reshape(s),
                g -> new Tensor[] {be().normalizeRowsBackward(xhat, rstd, g.reshape(-1, rowLen)).reshape(s)}, x);
    }

    // ---------------------------------------------------------------- pooling

    /** Adaptive average pooling of [N, C, H, W] to [N, C, oh, ow] with PyTorch's bins [⌊iH/oh⌋, ⌈(i+1)H/oh⌉). */
    public static Variable adaptiveAvgPool2d(Variable x, int oh, int ow) {
        Tensor xv = x.value().compact();
        int[] s = xv.shapeRef();
        if (s.length != 4 || oh <= 0 || ow <= 0) {
            throw new IllegalArgumentException("adaptiveAvgPool2d: input " + Shape.str(s) + " to " + oh + "x" + ow);
        }
        int planes = s[0] * s[1], h = s[2], w = s[3];
        float[] xd = xv.data();
        float[] out = new float[planes * oh * ow];
        for (int p = 0; p < planes; p++) {
            for (int i = 0; i < oh; i++) {
                int y0 = i * h / oh, y1 = ((i + 1) * h + oh - 1) / oh;
                for (int j = 0; j < ow; j++) {
                    int x0 = j * w / ow, x1 = ((j + 1) * w + ow - 1) / ow;
                    double acc = 0;
                    for (int y = y0; y < y1; y++) for (int xx = x0; xx < x1; xx++) acc += xd[(p * h + y) * w + xx];
                    out[(p * oh + i) * ow + j] = (float) (acc / ((y1 - y0) * (x1 - x0)));
                }
            }
        }
        return Grad.record("adaptiveAvgPool2d", Tensor.of(out, s[0], s[1], oh, ow), g -> {
            float[] gd = g.compact().data();
            float[] dx = new float[planes * h * w];
            for (int p = 0; p < planes; p++) {
                for (int i = 0; i < oh; i++) {
                    int y0 = i * h / oh, y1 = ((i + 1) * h + oh - 1) / oh;
                    for (int j = 0; j < ow; j++) {
                        int x0 = j * w / ow, x1 = ((j + 1) * w + ow - 1) / ow;
                        float share = gd[(p * oh + i) * ow + j] / ((y1 - y0) * (x1 - x0));
                        for (int y = y0; y < y1; y++) for (int xx = x0; xx < x1; xx++) dx[(p * h + y) * w + xx] += share;
                    }
                }
            }
            return new Tensor[] {Tensor.of(dx, s)};
        }, x);
    }

    // ---------------------------------------------------------------- regularisation

    /** Inverted dropout: zeroes each element with probability p and scales the rest by 1/(1 − p). */
    public static Variable dropout(Variable x, float p, boolean training, Rng rng) {
        if (p < 0 || p >= 1) throw new IllegalArgumentException("dropout: probability " + p + " outside [0, 1)");
        if (!training || p == 0) return x;
        float keep = 1f / (1 - p);
        float[] mask = new float[x.value().numel()];
        for (int i = 0; i < mask.length; i++) mask[i] = rng.nextDouble() < p ? 0f : keep;
        return Ops.mul(x, Variable.constant(Tensor.of(mask, x.value().shapeRef())));
    }

    /** Stochastic depth: drops whole examples (axis 0) of a residual branch with probability p, scaling the rest. */
    public static Variable dropPath(Variable x, float p, boolean training, Rng rng) {
        if (p < 0 || p >= 1) throw new IllegalArgumentException("dropPath: probability " + p + " outside [0, 1)");
        if (!training || p == 0) return x;
        int n = x.size(0);
        float[] mask = new float[n];
        for (int i = 0; i < n; i++) mask[i] = rng.nextDouble() < p ? 0f : 1f / (1 - p);
        int[] shape = new int[x.rank()];
        java.util.Arrays.fill(shape, 1);
        shape[0] = n;
        return Ops.mul(x, Variable.constant(Tensor.of(mask, shape)));
    }

    // ---------------------------------------------------------------- Swin windows

    /** [N, H, W, C] → [N·(H/ws)·(W/ws), ws·ws, C]: non-overlapping windows, row-major over the grid. */
    public static Variable windowPartition(Variable x, int ws) {
        int[] s = x.value().shapeRef();
        if (s.length != 4 || s[1] % ws != 0 || s[2] % ws != 0) {
            throw new IllegalArgumentException("windowPartition: shape " + Shape.str(s) + " is not [N, H, W, C] with H, W divisible by " + ws);
        }
        Variable v = Ops.reshape(x, s[0], s[1] / ws, ws, s[2] / ws, ws, s[3]);
        v = Ops.contiguous(Ops.permute(v, 0, 1, 3, 2, 4, 5));
        return Ops.reshape(v, -1, ws * ws, s[3]);
    }

    /** The inverse of {@link #windowPartition} for an [N, H, W, C] image. */
    public static Variable windowReverse(Variable windows, int ws, int n, int h, int w) {
        int c = windows.size(-1);
        Variable v = Ops.reshape(windows, n, h / ws, w / ws, ws, ws, c);
        v = Ops.contiguous(Ops.permute(v, 0, 1, 3, 2, 4, 5));
        return Ops.reshape(v, n, h, w, c);
    }

    // ---------------------------------------------------------------- losses (per example; callers take the mean)

    /**
     * Binary cross-entropy as PyTorch's BCELoss computes it, elementwise: −(t·log p + (1 − t)·log(1 − p)) with each
     * log clamped at −100. Targets may lie outside [0, 1] (label smoothing U(0.7, 1.2)); the formula is applied as is.
     */
    public static Variable binaryCrossEntropy(Variable p, Tensor target) {
        Tensor pv = p.value(), t = be().upload(target).expand(pv.shapeRef());
        return Grad.record("binaryCrossEntropy", be().binaryCrossEntropy(pv, t), g -> new Tensor[] {be().binaryCrossEntropyBackward(pv, t, g)}, p);
    }

    /**
     * Per-example cross-entropy of logits [N, K] against class indices, with label smoothing ε as PyTorch's
     * CrossEntropyLoss: the target is (1 − ε)·onehot + ε/K.
     */
    public static Variable crossEntropy(Variable logits, int[] labels, float smoothing) {
        int[] s = logits.value().shapeRef();
        if (s.length != 2 || s[0] != labels.length) {
            throw new IllegalArgumentException("crossEntropy: logits " + Shape.str(s) + " for " + labels.length + " labels");
        }
        if (smoothing < 0 || smoothing > 1) throw new IllegalArgumentException("crossEntropy: label smoothing " + smoothing + " outside [0, 1]");
        int n = s[0], k = s[1];
        float[] target = new float[n * k];
        for (int i = 0; i < n; i++) {
            if (labels[i] < 0 || labels[i] >= k) throw new IllegalArgumentException("crossEntropy: label " + labels[i] + " outside [0, " + k + ")");
            for (int j = 0; j < k; j++) target[i * k + j] = smoothing / k;
            target[i * k + labels[i]] += 1 - smoothing;
        }
        Variable logp = logSoftmax(logits);
        return Ops.neg(Ops.sum(Ops.mul(logp, Variable.constant(Tensor.of(target, n, k))), false, 1));
    }

    /** Mean over every axis but the first: turns elementwise losses into one loss per example. */
    public static Variable perExample(Variable elementwise) {
        int rank = elementwise.rank();
        if (rank <= 1) return elementwise;
        int[] axes = new int[rank - 1];
        for (int i = 1; i < rank; i++) axes[i - 1] = i;
        return Ops.mean(elementwise, false, axes);
    }
}
