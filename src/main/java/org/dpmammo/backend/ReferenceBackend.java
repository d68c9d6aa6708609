package org.dpmammo.backend;

import java.util.Arrays;
import org.dpmammo.tensor.Shape;
import org.dpmammo.tensor.Tensor;

/**
 * The obviously-correct backend: one element at a time through multi-indices, double accumulators, no threads, no
 * tiling. It is the reference the CPU backend is tested against (and, through the CPU backend, every other device)
 * and it is too slow for anything else.
 */
public final class ReferenceBackend implements Backend {
    @Override
    public String name() {
        return "reference";
    }

    /** Steps a multi-index through a shape in row-major order; false after the last one. */
    private static boolean next(int[] idx, int[] shape) {
        for (int k = shape.length - 1; k >= 0; k--) {
            if (++idx[k] < shape[k]) return true;
            idx[k] = 0;
        }
        return false;
    }

    /** The element of t at the broadcast index idx (t's leading or size-1 axes ignored). */
    private static float at(Tensor t, int[] idx) {
        int[] s = t.shapeRef();
        int lead = idx.length - s.length;
        int[] own = new int[s.length];
        for (int i = 0; i < s.length; i++) own[i] = s[i] == 1 ? 0 : idx[i + lead];
        return s.length == 0 ? t.get() : t.get(own);
    }

    @Override
    public Tensor binary(BinaryOp op, Tensor a, Tensor b) {
        int[] shape = Shape.broadcast(a.shapeRef(), b.shapeRef(), op.name().toLowerCase());
        Tensor out = Tensor.zeros(shape);
        if (out.numel() == 0) return out;
        int[] idx = new int[shape.length];
        int i = 0;
        float[] o = out.data();
        do {
            double x = at(a, idx), y = at(b, idx);
            o[i++] = (float) switch (op) {
                case ADD -> x + y;
                case SUB -> x - y;
                case MUL -> x * y;
                case DIV -> x / y;
                case MAX -> Math.max(x, y);
                case MIN -> Math.min(x, y);
                case POW -> Math.pow(x, y);
                case GT -> x > y ? 1 : 0;
            };
        } while (next(idx, shape));
        return out;
    }

    private static double f(UnaryOp op, double x, double p) {
        return switch (op) {
            case NEG -> -x;
            case EXP -> Math.exp(x);
            case LOG -> Math.log(x);
            case SQRT -> Math.sqrt(x);
            case RSQRT -> 1 / Math.sqrt(x);
            case RECIPROCAL -> 1 / x;
            case ABS -> Math.abs(x);
            case SQUARE -> x * x;
            case TANH -> Math.tanh(x);
            case SIGMOID -> 1 / (1 + Math.exp(-x));
            case RELU -> x > 0 ? x : 0;
            case LEAKY_RELU -> x > 0 ? x : p * x;
            case GELU -> 0.5 * x * (1 + erf(x / Math.sqrt(2)));
            case ERF -> erf(x);
            case POW -> Math.pow(x, p);
            case ADD_SCALAR -> x + p;
            case MUL_SCALAR -> x * p;
        };
    }

    /** erf by its Maclaurin series (converges for all x; enough terms for |x| ≤ 6, beyond which erf = ±1 in double). */
    static double erf(double x) {
        if (Math.abs(x) > 6) return Math.signum(x);
        double sum = 0, term = x;
        for (int k = 0; k < 400; k++) {
            sum += term / (2 * k + 1);
            term *= -x * x / (k + 1);
            if (Math.abs(term) < 1e-18 && k > 2 * x * x) break;
        }
        return 2 / Math.sqrt(Math.PI) * sum;
    }

    /** f'(x) by definition, for the backward reference. */
    private static double df(UnaryOp op, double x, double p) {
        return switch (op) {
            case NEG -> -1;
            case EXP -> Math.exp(x);
            case LOG -> 1 / x;
            case SQRT -> 0.5 / Math.sqrt(x);
            case RSQRT -> -0.5 * Math.pow(x, -1.5);
            case RECIPROCAL -> -1 / (x * x);
            case ABS -> Math.signum(x);
            case SQUARE -> 2 * x;
            case TANH -> 1 - Math.tanh(x) * Math.tanh(x);
            case SIGMOID -> {
                double s = 1 / (1 + Math.exp(-x));
                yield s * (1 - s);
            }
            case RELU -> x > 0 ? 1 : 0;
            case LEAKY_RELU -> x > 0 ? 1 : p;
            case GELU -> 0.5 * (1 + erf(x / Math.sqrt(2))) + x * Math.exp(-x * x / 2) / Math.sqrt(2 * Math.PI);
            case ERF -> 2 / Math.sqrt(Math.PI) * Math.exp(-x * x);
            case POW -> p * Math.pow(x, p - 1);
            case ADD_SCALAR -> 1;
            case MUL_SCALAR -> p;
        };
    }

    @Override
    public Tensor unary(UnaryOp op, Tensor x, float param) {
        float[] v = x.toArray();
        for (int i = 0; i < v.length; i++) v[i] = (float) f(op, v[i], param);
        return Tensor.of(v, x.shapeRef());
    }

    @Override
    public Tensor unaryBackward(UnaryOp op, Tensor x, Tensor y, Tensor gradOut, float param) {
        float[] xv = x.toArray(), g = gradOut.toArray();
        for (int i = 0; i < g.length; i++) g[i] = (float) (g[i] * df(op, xv[i], param));
        return Tensor.of(g, gradOut.shapeRef());
    }

    @Override
    public Tensor sum(Tensor x, int[] axes, boolean keepDims) {
        int[] shape = x.shapeRef();
        boolean[] red = new boolean[shape.length];
        if (axes.length == 0) Arrays.fill(red, true);
        for (int a : axes) red[Shape.axis(a, shape.length, "sum")] = true;
        int[] kept = shape.clone();
        for (int i = 0; i < kept.length; i++) if (red[i]) kept[i] = 1;
        double[] acc = new double[(int) Shape.numel(kept)];
        if (x.numel() > 0) {
            int[] idx = new int[shape.length];
            int[] keptStrides = Shape.contiguousStrides(kept);
            do {
                int o = 0;
                for (int i = 0; i < shape.length; i++) if (!red[i]) o += idx[i] * keptStrides[i];
                acc[o] += x.get(idx);
            } while (next(idx, shape));
        }
        float[] out = new float[acc.length];
        for (int i = 0; i < out.length; i++) out[i] = (float) acc[i];
        Tensor t = Tensor.of(out, kept);
        if (keepDims) return t;
        int[] squeezed = Arrays.stream(range(shape.length)).filter(i -> !red[i]).map(i -> shape[i]).toArray();
        return t.reshape(squeezed);
    }

    private static int[] range(int n) {
        int[] r = new int[n];
        for (int i = 0; i < n; i++) r[i] = i;
        return r;
    }

    @Override
    public Tensor max(Tensor x, int axis, boolean keepDims) {
        return alongAxis(x, axis, keepDims, false);
    }

    @Override
    public Tensor argmax(Tensor x, int axis) {
        return alongAxis(x, axis, true, true);
    }

    private static Tensor alongAxis(Tensor x, int axis, boolean keepDims, boolean index) {
        int[] shape = x.shapeRef();
        int a = Shape.axis(axis, shape.length, "max");
        int[] kept = shape.clone();
        kept[a] = 1;
        Tensor out = Tensor.zeros(kept);
        int[] idx = new int[shape.length];
        do {
            float best = Float.NEGATIVE_INFINITY;
            int arg = -1;
            for (int i = 0; i < shape[a]; i++) {
                idx[a] = i;
                float v = x.get(idx);
                if (arg < 0 || v > best || (Float.isNaN(v) && !Float.isNaN(best))) {
                    best = v;
                    arg = i;
                }
            }
            idx[a] = 0;
            out.set(index ? arg : best, idx);
        } while (next(idx, kept));
        return keepDims ? out : out.squeeze(a).contiguous();
    }

    @Override
    public Tensor softmax(Tensor x, boolean log) {
        int[] shape = x.shapeRef();
        int len = shape[shape.length - 1];
        float[] v = x.toArray();
        for (int r = 0; r < v.length / Math.max(1, len); r++) {
            double m = Double.NEGATIVE_INFINITY, s = 0;
            for (int i = 0; i < len; i++) m = Math.max(m, v[r * len + i]);
            for (int i = 0; i < len; i++) s += Math.exp(v[r * len + i] - m);
            for (int i = 0; i < len; i++) {
                double z = v[r * len + i] - m;
                v[r * len + i] = (float) (log ? z - Math.log(s) : Math.exp(z) / s);
            }
        }
        return Tensor.of(v, shape);
    }

    @Override
    public Tensor softmaxBackward(Tensor y, Tensor gradOut, boolean log) {
        int[] shape = y.shapeRef();
        int len = shape[shape.length - 1];
        float[] yv = y.toArray(), g = gradOut.toArray(), out = new float[yv.length];
        for (int r = 0; r < yv.length / Math.max(1, len); r++) {
            for (int i = 0; i < len; i++) {
                double acc = 0;
                for (int j = 0; j < len; j++) {
                    // Full Jacobian: ∂y_j/∂x_i.
                    double jac = log ? (i == j ? 1 : 0) - Math.exp(yv[r * len + i])
                            : yv[r * len + j] * ((i == j ? 1 : 0) - yv[r * len + i]);
                    acc += g[r * len + j] * jac;
                }
                out[r * len + i] = (float) acc;
            }
        }
        return Tensor.of(out, shape);
    }

    @Override
    public Tensor matmul(Tensor a, Tensor b, boolean transA, boolean transB) {
        Tensor at = transA ? a.transpose(-1, -2) : a;
        Tensor bt = transB ? b.transpose(-1, -2) : b;
        int[] as = at.shapeRef(), bs = bt.shapeRef();
        int m = as[as.length - 2], k = as[as.length - 1], n = bs[bs.length - 1];
        if (bs[bs.length - 2] != k) throw new IllegalArgumentException("matmul: inner sizes differ: " + Shape.str(as) + " · " + Shape.str(bs));
        int[] batch = Shape.broadcast(Arrays.copyOf(as, as.length - 2), Arrays.copyOf(bs, bs.length - 2), "matmul");
        int[] outShape = Arrays.copyOf(batch, batch.length + 2);
        outShape[batch.length] = m;
        outShape[batch.length + 1] = n;
        int[] fa = Arrays.copyOf(batch, batch.length + 2), fb = Arrays.copyOf(batch, batch.length + 2);
        fa[batch.length] = m;
        fa[batch.length + 1] = k;
        fb[batch.length] = k;
        fb[batch.length + 1] = n;
        Tensor ae = at.expand(fa), bexp = bt.expand(fb);
        Tensor out = Tensor.zeros(outShape);
        if (out.numel() == 0) return out;
        int[] idx = new int[outShape.length];
        int r = outShape.length;
        do {
            int[] ia = idx.clone(), ib = idx.clone();
            double acc = 0;
            for (int p = 0; p < k; p++) {
                ia[r - 1] = p;
                ib[r - 2] = p;
                acc += (double) ae.get(ia) * bexp.get(ib);
            }
            out.set((float) acc, idx);
        } while (next(idx, outShape));
        return out;
    }

    @Override
    public Tensor indexSelect(Tensor x, int axis, int[] index) {
        int a = Shape.axis(axis, x.rank(), "indexSelect");
        int[] shape = x.shape();
        shape[a] = index.length;
        Tensor out = Tensor.zeros(shape);
        if (out.numel() == 0) return out;
        int[] idx = new int[shape.length];
        do {
            int[] src = idx.clone();
            src[a] = index[idx[a]];
            out.set(x.get(src), idx);
        } while (next(idx, shape));
        return out;
    }

    @Override
    public Tensor indexAdd(Tensor src, int axis, int[] index, int axisSize) {
        int a = Shape.axis(axis, src.rank(), "indexAdd");
        int[] shape = src.shape();
        int[] outShape = shape.clone();
        outShape[a] = axisSize;
        Tensor out = Tensor.zeros(outShape);
        if (src.numel() == 0) return out;
        int[] idx = new int[shape.length];
        do {
            int[] dst = idx.clone();
            dst[a] = index[idx[a]];
            out.set(out.get(dst) + src.get(idx), dst);
        } while (next(idx, shape));
        return out;
    }

    @Override
    public Tensor copy(Tensor x) {
        return Tensor.of(x.toArray(), x.shapeRef());
    }

    @Override
    public Tensor concat(Tensor[] parts, int axis) {
        int[][] shapes = new int[parts.length][];
        for (int i = 0; i < parts.length; i++) shapes[i] = parts[i].shapeRef();
        int[] shape = Shape.concat(shapes, axis);
        int a = Shape.axis(axis, shape.length, "concat");
        Tensor out = Tensor.zeros(shape);
        int at = 0;
        for (Tensor p : parts) {
            if (p.numel() > 0) {
                int[] idx = new int[shape.length];
                do {
                    int[] dst = idx.clone();
                    dst[a] += at;
                    out.set(p.get(idx), dst);
                } while (next(idx, p.shapeRef()));
            }
            at += p.size(a);
        }
        return out;
    }

    @Override
    public Tensor conv2d(Tensor x, Tensor w, Tensor bias, int sh, int sw, int ph, int pw) {
        int n = x.size(0), c = x.size(1), h = x.size(2), wd = x.size(3);
        int o = w.size(0), kh = w.size(2), kw = w.size(3);
        if (w.size(1) != c) throw new IllegalArgumentException("conv2d: input " + Shape.str(x.shapeRef()) + " and weight " + Shape.str(w.shapeRef()) + " do not match");
        int oh = (h + 2 * ph - kh) / sh + 1, ow = (wd + 2 * pw - kw) / sw + 1;
        Tensor out = Tensor.zeros(n, o, oh, ow);
        for (int b = 0; b < n; b++)
            for (int oc = 0; oc < o; oc++)
                for (int y = 0; y < oh; y++)
                    for (int xx = 0; xx < ow; xx++) {
                        double acc = bias == null ? 0 : bias.get(oc);
                        for (int ic = 0; ic < c; ic++)
                            for (int i = 0; i < kh; i++)
                                for (int j = 0; j < kw; j++) {
                                    int iy = y * sh - ph + i, ix = xx * sw - pw + j;
                                    if (iy >= 0 && iy < h && ix >= 0 && ix < wd) acc += (double) x.get(b, ic, iy, ix) * w.get(oc, ic, i, j);
                                }
                        out.set((float) acc, b, oc, y, xx);
                    }
        return out;
    }

    @Override
    public Tensor conv2dBackwardInput(Tensor g, Tensor w, int h, int wd, int sh, int sw, int ph, int pw) {
        int n = g.size(0), o = w.size(0), c = w.size(1), kh = w.size(2), kw = w.size(3), oh = g.size(2), ow = g.size(3);
        double[] acc = new double[n * c * h * wd];
        for (int b = 0; b < n; b++)
            for (int oc = 0; oc < o; oc++)
                for (int y = 0; y < oh; y++)
                    for (int xx = 0; xx < ow; xx++)
                        for (int ic = 0; ic < c; ic++)
                            for (int i = 0; i < kh; i++)
                                for (int j = 0; j < kw; j++) {
                                    int iy = y * sh - ph + i, ix = xx * sw - pw + j;
                                    if (iy >= 0 && iy < h && ix >= 0 && ix < wd) {
                                        acc[((b * c + ic) * h + iy) * wd + ix] += (double) g.get(b, oc, y, xx) * w.get(oc, ic, i, j);
                                    }
                                }
        return Tensor.of(toFloat(acc), n, c, h, wd);
    }

    @Override
    public Tensor unfold(Tensor x, int kh, int kw, int sh, int sw, int ph, int pw) {
        int n = x.size(0), c = x.size(1), h = x.size(2), wd = x.size(3);
        int oh = (h + 2 * ph - kh) / sh + 1, ow = (wd + 2 * pw - kw) / sw + 1;
        Tensor out = Tensor.zeros(n, c * kh * kw, oh * ow);
        for (int b = 0; b < n; b++)
            for (int ic = 0; ic < c; ic++)
                for (int i = 0; i < kh; i++)
                    for (int j = 0; j < kw; j++)
                        for (int y = 0; y < oh; y++)
                            for (int xx = 0; xx < ow; xx++) {
                                int iy = y * sh - ph + i, ix = xx * sw - pw + j;
                                float v = iy >= 0 && iy < h && ix >= 0 && ix < wd ? x.get(b, ic, iy, ix) : 0f;
                                out.set(v, b, (ic * kh + i) * kw + j, y * ow + xx);
                            }
        return out;
    }

    @Override
    public Tensor conv2dBackwardWeight(Tensor x, Tensor g, int kh, int kw, int sh, int sw, int ph, int pw) {
        int n = x.size(0), c = x.size(1), h = x.size(2), wd = x.size(3), o = g.size(1), oh = g.size(2), ow = g.size(3);
        double[] acc = new double[o * c * kh * kw];
        for (int b = 0; b < n; b++)
            for (int oc = 0; oc < o; oc++)
                for (int y = 0; y < oh; y++)
                    for (int xx = 0; xx < ow; xx++)
                        for (int ic = 0; ic < c; ic++)
                            for (int i = 0; i < kh; i++)
                                for (int j = 0; j < kw; j++) {
                                    int iy = y * sh - ph + i, ix = xx * sw - pw + j;
                                    if (iy >= 0 && iy < h && ix >= 0 && ix < wd) {
                                        acc[((oc * c + ic) * kh + i) * kw + j] += (double) g.get(b, oc, y, xx) * x.get(b, ic, iy, ix);
                                    }
                                }
        return Tensor.of(toFloat(acc), o, c, kh, kw);
    }

    private static float[] toFloat(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) f[i] = (float) d[i];
        return f;
    }
}
