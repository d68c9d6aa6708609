package org.dpmammo.autograd;

import java.util.Arrays;
import org.dpmammo.backend.Backend;
import org.dpmammo.backend.Backends;
import org.dpmammo.backend.BinaryOp;
import org.dpmammo.backend.UnaryOp;
import org.dpmammo.tensor.Shape;
import org.dpmammo.tensor.Tensor;

/**
 * Differentiable core ops: elementwise arithmetic with broadcasting, activations, reductions, matmul and layout.
 * Each op's forward and backward sit side by side; composite ops (norms, attention, losses) in {@link NnOps} are
 * built from these, so their gradients follow from the primitives'.
 */
public final class Ops {
    private Ops() {}

    static Backend be() {
        return Backends.current();
    }

    /** Sums a broadcast gradient back down to the shape of the input it came from. */
    public static Tensor sumTo(Tensor g, int[] shape) {
        int[] gs = g.shapeRef();
        if (Arrays.equals(gs, shape)) return g;
        int lead = gs.length - shape.length;
        int count = 0;
        int[] axes = new int[gs.length];
        for (int i = 0; i < gs.length; i++) {
            if (i < lead || (shape[i - lead] == 1 && gs[i] != 1)) axes[count++] = i;
        }
        Tensor s = be().sum(g, Arrays.copyOf(axes, count), true);
        return s.reshape(shape);
    }

    // ---------------------------------------------------------------- arithmetic

    public static Variable add(Variable a, Variable b) {
        Tensor out = be().binary(BinaryOp.ADD, a.value(), b.value());
        int[] as = a.value().shape(), bs = b.value().shape();
        return Grad.record("add", out, g -> new Tensor[] {sumTo(g, as), sumTo(g, bs)}, a, b);
    }

    public static Variable sub(Variable a, Variable b) {
        Tensor out = be().binary(BinaryOp.SUB, a.value(), b.value());
        int[] as = a.value().shape(), bs = b.value().shape();
        return Grad.record("sub", out, g -> new Tensor[] {sumTo(g, as),
                b.requiresGrad() ? sumTo(be().unary(UnaryOp.NEG, g, 0), bs) : null}, a, b);
    }

    public static Variable mul(Variable a, Variable b) {
        Tensor av = a.value(), bv = b.value();
        Tensor out = be().binary(BinaryOp.MUL, av, bv);
        return Grad.record("mul", out, g -> new Tensor[] {
                a.requiresGrad() ? sumTo(be().binary(BinaryOp.MUL, g, bv), av.shapeRef()) : null,
                b.requiresGrad() ? sumTo(be().binary(BinaryOp.MUL, g, av), bv.shapeRef()) : null}, a, b);
    }

    public static Variable div(Variable a, Variable b) {
        Tensor av = a.value(), bv = b.value();
        Tensor out = be().binary(BinaryOp.DIV, av, bv);
        return Grad.record("div", out, g -> {
            Tensor ga = a.requiresGrad() ? sumTo(be().binary(BinaryOp.DIV, g, bv), av.shapeRef()) : null;
            Tensor gb = null;
            if (b.requiresGrad()) {
                // d(a/b)/db = −(a/b)/b
                Tensor t = be().binary(BinaryOp.DIV, be().binary(BinaryOp.MUL, g, out), bv);
                gb = sumTo(be().unary(UnaryOp.NEG, t, 0), bv.shapeRef());
            }
            return new Tensor[] {ga, gb};
        }, a, b);
    }

    /** Elementwise maximum; on ties the gradient goes to a, as in a ≥ b ? a : b. */
    public static Variable maximum(Variable a, Variable b) {
        Tensor av = a.value(), bv = b.value();
        Tensor out = be().binary(BinaryOp.MAX, av, bv);
        return Grad.record("maximum", out, g -> {
            Tensor bWins = be().binary(BinaryOp.GT, bv, av);
            Tensor gb = be().binary(BinaryOp.MUL, g, bWins);
            Tensor ga = be().binary(BinaryOp.SUB, g, gb);
            return new Tensor[] {sumTo(ga, av.shapeRef()), sumTo(gb, bv.shapeRef())};
        }, a, b);
    }

    public static Variable addScalar(Variable x, float s) {
        return unary(UnaryOp.ADD_SCALAR, x, s);
    }

    public static Variable mulScalar(Variable x, float s) {
        return unary(UnaryOp.MUL_SCALAR, x, s);
    }

    public static Variable pow(Variable x, float exponent) {
        return unary(UnaryOp.POW, x, exponent);
    }

    public static Variable neg(Variable x) {
        return unary(UnaryOp.NEG, x, 0);
    }

    public static Variable exp(Variable x) {
        return unary(UnaryOp.EXP, x, 0);
    }

    public static Variable log(Variable x) {
        return unary(UnaryOp.LOG, x, 0);
    }

    public static Variable sqrt(Variable x) {
        return unary(UnaryOp.SQRT, x, 0);
    }

    public static Variable rsqrt(Variable x) {
        return unary(UnaryOp.RSQRT, x, 0);
    }

    public static Variable square(Variable x) {
        return unary(UnaryOp.SQUARE, x, 0);
    }

    public static Variable abs(Variable x) {
        return unary(UnaryOp.ABS, x, 0);
    }

    public static Variable tanh(Variable x) {
        return unary(UnaryOp.TANH, x, 0);
    }

    public static Variable sigmoid(Variable x) {
        return unary(UnaryOp.SIGMOID, x, 0);
    }

    public static Variable relu(Variable x) {
        return unary(UnaryOp.RELU, x, 0);
    }

    public static Variable leakyRelu(Variable x, float slope) {
        return unary(UnaryOp.LEAKY_RELU, x, slope);
    }

    /** GELU with the exact error function (PyTorch's default, approximate='none'). */
    public static Variable gelu(Variable x) {
        return unary(UnaryOp.GELU, x, 0);
    }

    public static Variable erf(Variable x) {
        return unary(UnaryOp.ERF, x, 0);
    }

    private static Variable unary(UnaryOp op, Variable x, float param) {
        Tensor xv = x.value();
        Tensor out = be().unary(op, xv, param);
        return Grad.record(op.name().toLowerCase(), out, g -> new Tensor[] {be().unaryBackward(op, xv, out, g, param)}, x);
    }

    // ---------------------------------------------------------------- reductions

    /** Sum over axes (all when none given). */
    public static Variable sum(Variable x, boolean keepDims, int... axes) {
        Tensor xv = x.value();
        Tensor out = be().sum(xv, axes, keepDims);
        int[] shape = xv.shape();
        return Grad.record("sum", out, g -> new Tensor[] {be().copy(g.reshape(keptShape(shape, axes)).expand(shape))}, x);
    }

    /** The input shape with reduced axes set to 1. */
    static int[] keptShape(int[] shape, int[] axes) {
        int[] k = shape.clone();
        if (axes.length == 0) Arrays.fill(k, 1);
        for (int a : axes) k[Shape.axis(a, shape.length, "sum")] = 1;
        return k;
    }

    public static Variable mean(Variable x, boolean keepDims, int... axes) {
        int[] shape = x.value().shapeRef();
        long count = 1;
        if (axes.length == 0) count = Shape.numel(shape);
        else for (int a : axes) count *= shape[Shape.axis(a, shape.length, "mean")];
        return mulScalar(sum(x, keepDims, axes), count == 0 ? Float.NaN : 1f / count);
    }

    /** Maximum over the given axes (all when none); the gradient goes to the first maximal element of each group. */
    public static Variable max(Variable x, boolean keepDims, int... axes) {
        Tensor xv = x.value();
        int[] shape = xv.shape();
        int rank = shape.length;
        boolean[] red = new boolean[rank];
        if (axes.length == 0) Arrays.fill(red, true);
        for (int a : axes) red[Shape.axis(a, rank, "max")] = true;
        int[] order = new int[rank];
        int k = 0, keptCount = 0;
        for (int i = 0; i < rank; i++) if (!red[i]) order[k++] = i;
        keptCount = k;
        for (int i = 0; i < rank; i++) if (red[i]) order[k++] = i;
        int[] keptDims = new int[keptCount + 1];
        long groups = 1;
        for (int i = 0; i < keptCount; i++) {
            keptDims[i] = shape[order[i]];
            groups *= shape[order[i]];
        }
        int groupLen = groups == 0 ? 0 : (int) (Shape.numel(shape) / groups);
        keptDims[keptCount] = groupLen;
        Tensor flat = xv.permute(order).contiguous().reshape(keptDims);
        Tensor m = be().max(flat, -1, false);
        Tensor arg = be().argmax(flat, -1);
        int[] outShape = keptShape(shape, axes.length == 0 ? new int[0] : axes);
        Tensor out = m.reshape(keepDims ? outShape : reducedShape(shape, red));
        return Grad.record("max", out, g -> {
            float[] gd = g.compact().data();
            float[] ad = arg.compact().data();
            float[] dflat = new float[flat.numel()];
            for (int i = 0; i < ad.length; i++) dflat[i * groupLen + (int) ad[i]] = gd[i];
            int[] inverse = new int[rank];
            for (int i = 0; i < rank; i++) inverse[order[i]] = i;
            int[] permShape = new int[rank];
            for (int i = 0; i < rank; i++) permShape[i] = shape[order[i]];
            return new Tensor[] {Tensor.of(dflat, permShape).permute(inverse).contiguous()};
        }, x);
    }

    private static int[] reducedShape(int[] shape, boolean[] red) {
        int c = 0;
        for (boolean r : red) if (!r) c++;
        int[] out = new int[c];
        for (int i = 0, j = 0; i < shape.length; i++) if (!red[i]) out[j++] = shape[i];
        return out;
    }

    // ---------------------------------------------------------------- matmul

    /** op(a)·op(b) over the last two axes with broadcast batch axes. */
    public static Variable matmul(Variable a, Variable b, boolean transA, boolean transB) {
        Tensor av = a.value(), bv = b.value();
        Tensor out = be().matmul(av, bv, transA, transB);
        return Grad.record("matmul", out, g -> {
            Tensor ga = null, gb = null;
            if (a.requiresGrad()) {
                // C = A·B: dA = G·Bᵀ; with transA the result is (G·Bᵀ)ᵀ = B·Gᵀ.
                ga = transA ? be().matmul(bv, g, transB, true) : be().matmul(g, bv, false, !transB);
                ga = sumTo(ga, av.shapeRef());
            }
            if (b.requiresGrad()) {
                gb = transB ? be().matmul(g, av, true, transA) : be().matmul(av, g, !transA, false);
                gb = sumTo(gb, bv.shapeRef());
            }
            return new Tensor[] {ga, gb};
        }, a, b);
    }

    public static Variable matmul(Variable a, Variable b) {
        return matmul(a, b, false, false);
    }

    // ---------------------------------------------------------------- layout

    public static Variable reshape(Variable x, int... shape) {
        int[] in = x.value().shape();
        Tensor out = x.value().reshape(shape);
        return Grad.record("reshape", out, g -> new Tensor[] {g.reshape(in)}, x);
    }

    public static Variable permute(Variable x, int... order) {
        Tensor out = x.value().permute(order);
        int rank = order.length;
        int[] inverse = new int[rank];
        for (int i = 0; i < rank; i++) inverse[Shape.axis(order[i], rank, "permute")] = i;
        return Grad.record("permute", out, g -> new Tensor[] {g.permute(inverse)}, x);
    }

    public static Variable transpose(Variable x, int a, int b) {
        Tensor out = x.value().transpose(a, b);
        return Grad.record("transpose", out, g -> new Tensor[] {g.transpose(a, b)}, x);
    }

    /** A contiguous copy; differentiable, so a strided view can be materialised mid-graph. */
    public static Variable contiguous(Variable x) {
        if (x.value().isContiguous()) return x;
        return Grad.record("contiguous", x.value().contiguous(), g -> new Tensor[] {g}, x);
    }

    public static Variable unsqueeze(Variable x, int axis) {
        return reshapeLike(x, x.value().unsqueeze(axis));
    }

    public static Variable squeeze(Variable x, int axis) {
        return reshapeLike(x, x.value().squeeze(axis));
    }

    private static Variable reshapeLike(Variable x, Tensor view) {
        int[] in = x.value().shape();
        return Grad.record("reshape", view, g -> new Tensor[] {g.reshape(in)}, x);
    }

    /** [start, end) along an axis with a positive step. */
    public static Variable slice(Variable x, int axis, int start, int end, int step) {
        Tensor xv = x.value();
        int a = Shape.axis(axis, xv.rank(), "slice");
        Tensor out = xv.slice(a, start, end, step);
        int[] shape = xv.shape();
        int n = shape[a];
        int s0 = Math.max(0, Math.min(n, start < 0 ? start + n : start));
        // The adjoint places g at the sliced positions of a zero tensor: indexAdd, so that it runs on the backend.
        return Grad.record("slice", out, g -> {
            int[] at = new int[g.shapeRef()[a]];
            for (int i = 0; i < at.length; i++) at[i] = s0 + i * step;
            return new Tensor[] {be().indexAdd(g, a, at, n)};
        }, x);
    }

    public static Variable slice(Variable x, int axis, int start, int end) {
        return slice(x, axis, start, end, 1);
    }

    public static Variable concat(int axis, Variable... parts) {
        Tensor[] vals = new Tensor[parts.length];
        for (int i = 0; i < parts.length; i++) vals[i] = parts[i].value();
        Tensor out = be().concat(vals, axis);
        int a = Shape.axis(axis, out.rank(), "concat");
        return Grad.record("concat", out, g -> {
            Tensor[] gs = new Tensor[parts.length];
            int at = 0;
            for (int i = 0; i < parts.length; i++) {
                int len = vals[i].shapeRef()[a];
                gs[i] = g.slice(a, at, at + len).contiguous();
                at += len;
            }
            return gs;
        }, parts);
    }

    /** Stacks same-shaped tensors along a new axis. */
    public static Variable stack(int axis, Variable... parts) {
        if (parts.length == 0) throw new IllegalArgumentException("stack: no tensors");
        int a = Shape.axis(axis, parts[0].rank() + 1, "stack");
        Variable[] expanded = new Variable[parts.length];
        for (int i = 0; i < parts.length; i++) {
            if (!parts[i].value().sameShape(parts[0].value())) {
                throw new IllegalArgumentException("stack: shapes " + Shape.str(parts[0].value().shapeRef()) + " and " + Shape.str(parts[i].value().shapeRef()) + " differ");
            }
            expanded[i] = unsqueeze(parts[i], a);
        }
        return concat(a, expanded);
    }

    /** Broadcasts size-1 axes to a target shape. */
    public static Variable expand(Variable x, int... shape) {
        int[] in = x.value().shape();
        Tensor out = x.value().expand(shape);
        return Grad.record("expand", out, g -> new Tensor[] {sumTo(g, in)}, x);
    }

    /** Rows picked along an axis (gather); the backward adds gradients back (scatter-add), repeats included. */
    public static Variable indexSelect(Variable x, int axis, int[] index) {
        Tensor xv = x.value();
        int a = Shape.axis(axis, xv.rank(), "indexSelect");
        int len = xv.shapeRef()[a];
        Tensor out = be().indexSelect(xv, a, index);
        return Grad.record("indexSelect", out, g -> new Tensor[] {be().indexAdd(g, a, index, len)}, x);
    }

    /** Adds src's slices into a zero tensor of {@code axisSize} along the axis at the given positions. */
    public static Variable scatterAdd(Variable src, int axis, int[] index, int axisSize) {
        int a = Shape.axis(axis, src.rank(), "scatterAdd");
        Tensor out = be().indexAdd(src.value(), a, index, axisSize);
        return Grad.record("scatterAdd", out, g -> new Tensor[] {be().indexSelect(g, a, index)}, src);
    }

    /** Cyclic shift along an axis (torch.roll): element i moves to (i + shift) mod n. */
    public static Variable roll(Variable x, int shift, int axis) {
        int a = Shape.axis(axis, x.rank(), "roll");
        int n = x.size(a);
        if (n == 0) return x;
        int s = Math.floorMod(shift, n);
        if (s == 0) return x;
        // One op rather than concat(slice, slice): its backward is the opposite roll, one copy of the gradient
        // instead of two zero-filled scatters and their sum.
        return Grad.record("roll", rolled(x.value(), s, a), g -> new Tensor[] {rolled(g, n - s, a)}, x);
    }

    private static Tensor rolled(Tensor t, int s, int axis) {
        int n = t.size(axis);
        return be().concat(new Tensor[] {t.slice(axis, n - s, n), t.slice(axis, 0, n - s)}, axis);
    }
}
