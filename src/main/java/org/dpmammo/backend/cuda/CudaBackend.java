package org.dpmammo.backend.cuda;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.dpmammo.backend.Backend;
import org.dpmammo.backend.IndexShape;
import org.dpmammo.backend.MatmulShape;
import org.dpmammo.backend.BinaryOp;
import org.dpmammo.backend.UnaryOp;
import org.dpmammo.tensor.Shape;
import org.dpmammo.tensor.Tensor;
import org.dpmammo.util.SnappedGaussian;

/**
 * The CUDA backend: the {@link Backend} primitives plus the DP-SGD kernels, on one GPU through the JCuda driver API.
 * Outputs are device-resident tensors ({@link Tensor#onDevice}); inputs may be host tensors (uploaded once per call)
 * or device tensors of this GPU, views included. Host code that reads a result triggers one download.
 *
 * <p>Only {@link CudaProvider} names this class, reflectively, so the JCuda natives load only when CUDA is asked for.
 */
public final class CudaBackend implements Backend {
    private final KernelDevice dev;
    private final boolean tf32;

    CudaBackend(KernelDevice dev, boolean tf32) {
        this.dev = dev;
        this.tf32 = tf32;
    }

    /** Opens a GPU with float32 GEMMs; throws {@link CudaFailure} or a {@link LinkageError} when it cannot. */
    public static CudaBackend open(int ordinal) {
        return new CudaBackend(CudaDevice.open(ordinal), false);
    }

    /** The same GPU with GEMMs on TF32 tensor cores (10-bit mantissa inputs, float32 accumulation) when on. */
    public CudaBackend withTf32(boolean on) {
        if (on && !dev.hasTf32()) throw new CudaFailure("TF32 needs compute capability 8.0 or newer; " + dev.describe() + " has not");
        return new CudaBackend(dev, on);
    }

    @Override
    public String name() {
        return tf32 ? "cuda-tf32" : "cuda";
    }

    @Override
    public String describe() {
        return dev.describe();
    }

    /** Waits for every queued kernel; for timing. */
    @Override
    public void synchronize() {
        dev.enter();
        dev.synchronize();
    }

    // ---------------------------------------------------------------- residency helpers

    /** t as a tensor on this GPU: itself (views kept) if it already lives here, else a contiguous upload. */
    private Tensor resident(Tensor t) {
        if (t.deviceBuffer() instanceof CudaBuffer b && b.device == dev) return t;
        return copyUp(t);
    }

    /** t on this GPU, contiguous: strided views are gathered with ew_strided_copy. */
    private Tensor dense(Tensor t) {
        Tensor r = resident(t);
        if (r.isContiguous()) return r;
        return gather(r);
    }

    private Tensor gather(Tensor r) {
        return buffer(r).copyOf(r);
    }

    private static CudaBuffer buffer(Tensor t) {
        return (CudaBuffer) t.deviceBuffer();
    }

    /** Device pointer to element 0 of a resident tensor. */
    private static DevPtr ptr(Tensor t) {
        return buffer(t).at(t.offset());
    }

    private Tensor fresh(int[] shape) {
        return Tensor.onDevice(new CudaBuffer(dev, Shape.size(shape)), shape);
    }

    // ---------------------------------------------------------------- elementwise

    /** Zeroed memory, plus the value through ADD_SCALAR when it is not 0: no host array crosses. */
    @Override
    public Tensor full(float value, int... shape) {
        dev.enter();
        Tensor zeros = fresh(shape);
        int n = zeros.numel();
        if (n > 0) dev.zero(ptr(zeros), n);
        if (n == 0 || value == 0f) return zeros;
        Tensor out = fresh(shape);
        dev.launch("elementwise", "ew_unary", LaunchShape.elementwise(n), KernelCodes.of(UnaryOp.ADD_SCALAR), value, (long) n, ptr(zeros), ptr(out));
        buffer(zeros).close();
        return out;
    }

    @Override
    public Tensor binary(BinaryOp op, Tensor a, Tensor b) {
        dev.enter();
        int[] shape = Shape.broadcast(a.shapeRef(), b.shapeRef(), op.name().toLowerCase());
        Tensor out = fresh(shape);
        int n = out.numel();
        if (n == 0) return out;
        Tensor ra = resident(a), rb = resident(b);
        StridedLayout l = StridedLayout.binary(shape, ra, rb);
        dev.launch("elementwise", "ew_binary", LaunchShape.elementwise(n), KernelCodes.of(op), (long) n, l.packed(),
                buffer(ra).at(0), (long) ra.offset(), buffer(rb).at(0), (long) rb.offset(), ptr(out));
        return out;
    }

    @Override
    public Tensor unary(UnaryOp op, Tensor x, float param) {
        dev.enter();
        Tensor xc = dense(x);
        Tensor out = fresh(x.shapeRef());
        int n = out.numel();
        if (n > 0) dev.launch("elementwise", "ew_unary", LaunchShape.elementwise(n), KernelCodes.of(op), param, (long) n, ptr(xc), ptr(out));
        return out;
    }

    @Override
    public Tensor unaryBackward(UnaryOp op, Tensor x, Tensor y, Tensor gradOut, float param) {
        dev.enter();
        Tensor gc = dense(gradOut);
        DevPtr xp = x == null ? DevPtr.NULL : ptr(dense(x));
        DevPtr yp = y == null ? DevPtr.NULL : ptr(dense(y));
        Tensor out = fresh(gradOut.shapeRef());
        int n = out.numel();
        if (n > 0) {
            dev.launch("elementwise", "ew_unary_backward", LaunchShape.elementwise(n), KernelCodes.of(op), param, (long) n, xp, yp, ptr(gc), ptr(out));
        }
        return out;
    }

    // ---------------------------------------------------------------- reductions

    @Override
    public Tensor sum(Tensor x, int[] axes, boolean keepDims) {
        dev.enter();
        int rank = x.rank();
        boolean[] reduced = new boolean[rank];
        if (axes.length == 0) Arrays.fill(reduced, true);
        for (int a : axes) reduced[Shape.axis(a, rank, "sum")] = true;
        int[] order = new int[rank];
        int k = 0;
        for (int i = 0; i < rank; i++) if (!reduced[i]) order[k++] = i;
        int kept = k;
        for (int i = 0; i < rank; i++) if (reduced[i]) order[k++] = i;
        int[] shape = x.shapeRef();
        int outer = 1;
        for (int i = 0; i < kept; i++) outer *= shape[order[i]];
        int inner = outer == 0 ? 0 : x.numel() / outer;
        Tensor out = fresh(reducedShape(shape, reduced, keepDims));
        if (outer == 0) return out;
        Tensor p = dense(resident(x).permute(order));
        dev.launch("reduce", "reduce_sum_rows", LaunchShape.rows(outer, inner), (long) outer, inner, ptr(p), ptr(out));
        return out;
    }

    private static int[] reducedShape(int[] shape, boolean[] reduced, boolean keepDims) {
        int count = 0;
        for (int i = 0; i < shape.length; i++) if (!reduced[i] || keepDims) count++;
        int[] out = new int[count];
        for (int i = 0, j = 0; i < shape.length; i++) {
            if (!reduced[i]) out[j++] = shape[i];
            else if (keepDims) out[j++] = 1;
        }
        return out;
    }

    @Override
    public Tensor max(Tensor x, int axis, boolean keepDims) {
        return reduceAlong(x, axis, keepDims, false, "max");
    }

    @Override
    public Tensor argmax(Tensor x, int axis) {
        return reduceAlong(x, axis, true, true, "argmax");
    }

    private Tensor reduceAlong(Tensor x, int axis, boolean keepDims, boolean index, String op) {
        dev.enter();
        int a = Shape.axis(axis, x.rank(), op);
        int len = x.shapeRef()[a];
        if (len == 0) throw new IllegalArgumentException(op + ": empty axis " + axis + " in shape " + Shape.str(x.shapeRef()));
        int rank = x.rank();
        int[] order = new int[rank];
        for (int i = 0, j = 0; i < rank; i++) if (i != a) order[j++] = i;
        order[rank - 1] = a;
        boolean[] reduced = new boolean[rank];
        reduced[a] = true;
        Tensor out = fresh(reducedShape(x.shapeRef(), reduced, keepDims));
        int rows = x.numel() / len;
        if (rows == 0) return out;
        Tensor p = dense(resident(x).permute(order));
        dev.launch("reduce", "reduce_max_rows", LaunchShape.rows(rows, len), (long) rows, len, index ? 1 : 0, ptr(p), ptr(out));
        return out;
    }

    @Override
    public Tensor softmax(Tensor x, boolean log) {
        dev.enter();
        int[] shape = x.shapeRef();
        if (shape.length == 0) throw new IllegalArgumentException("softmax: needs at least one axis");
        int len = shape[shape.length - 1];
        Tensor out = fresh(shape);
        int rows = len == 0 ? 0 : out.numel() / len;
        if (rows == 0) return out;
        Tensor xc = dense(x);
        dev.launch("softmax", "softmax_rows", LaunchShape.rows(rows, len), (long) rows, len, log ? 1 : 0, ptr(xc), ptr(out));
        return out;
    }

    @Override
    public Tensor softmaxBackward(Tensor y, Tensor gradOut, boolean log) {
        dev.enter();
        int[] shape = y.shapeRef();
        int len = shape[shape.length - 1];
        Tensor out = fresh(shape);
        int rows = len == 0 ? 0 : out.numel() / len;
        if (rows == 0) return out;
        Tensor yc = dense(y), gc = dense(gradOut);
        dev.launch("softmax", "softmax_backward_rows", LaunchShape.rows(rows, len), (long) rows, len, log ? 1 : 0, ptr(yc), ptr(gc), ptr(out));
        return out;
    }

    // ---------------------------------------------------------------- matmul

    /** C[batch] = alpha·op(A)·op(B) + beta·C over `batch` entries with the given element strides (0 = shared). */
    private void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha, DevPtr a, int lda, long strideA,
            DevPtr b, int ldb, long strideB, float beta, DevPtr c, int ldc, long strideC, int batch) {
        if (m == 0 || n == 0 || batch == 0) return;
        LaunchShape shape = tf32 ? LaunchShape.sgemmTf32(m, n, batch) : LaunchShape.sgemm(m, n, batch);
        dev.launch(tf32 ? "sgemm_tf32" : "sgemm", tf32 ? "sgemm_tf32" : "sgemm_f32", shape, m, n, k, transA ? 1 : 0, transB ? 1 : 0, alpha,
                a, lda, strideA, b, ldb, strideB, beta, c, ldc, strideC, batch);
    }

    @Override
    public Tensor matmul(Tensor a, Tensor b, boolean transA, boolean transB) {
        dev.enter();
        MatmulShape sh = MatmulShape.of(a.shapeRef(), b.shapeRef(), transA, transB);
        int m = sh.m(), n = sh.n(), k = sh.k(), nb = sh.batchCount();
        int[] batch = sh.batch(), outShape = sh.outShape();
        Tensor out = fresh(outShape);
        if (out.numel() == 0) return out;
        if (k == 0) {
            dev.zero(ptr(out), out.numel());
            return out;
        }
        int lda = transA ? m : k, ldb = transB ? k : n;
        Tensor ac = expandBatch(a, batch), bc = expandBatch(b, batch);
        if (!transA && sh.bShared() && Shape.numel(sh.batchA()) == nb) {
            // A weight shared by a plain stack of inputs: one tall GEMM.
            gemm(false, transB, nb * m, n, k, 1f, ptr(ac), k, 0, ptr(bc), ldb, 0, 0f, ptr(out), n, 0, 1);
            return out;
        }
        long sa = sh.aShared() ? 0 : (long) m * k, sb = sh.bShared() ? 0 : (long) k * n;
        gemm(transA, transB, m, n, k, 1f, ptr(ac), lda, sa, ptr(bc), ldb, sb, 0f, ptr(out), n, (long) m * n, nb);
        return out;
    }

    /** The operand contiguous on the device as [batch..., rows, cols]; a batch-free operand stays unexpanded. */
    private Tensor expandBatch(Tensor t, int[] batch) {
        int[] s = t.shapeRef();
        if (s.length == 2 || Shape.numel(Arrays.copyOf(s, s.length - 2)) == 1) return dense(t);
        int[] target = Arrays.copyOf(batch, batch.length + 2);
        target[batch.length] = s[s.length - 2];
        target[batch.length + 1] = s[s.length - 1];
        return dense(resident(t).expand(target));
    }

    // ---------------------------------------------------------------- indexing and layout

    @Override
    public Tensor indexSelect(Tensor x, int axis, int[] index) {
        dev.enter();
        IndexShape sh = IndexShape.select(x.shapeRef(), axis, index);
        int len = sh.len(), outer = sh.outer(), inner = sh.inner();
        Tensor out = fresh(sh.outShape());
        if (out.numel() == 0) return out;
        Tensor xc = dense(x);
        dev.launch("index", "index_select", LaunchShape.elementwise(out.numel()), (long) outer, len, index.length, inner, indexOnDevice(index).at(0), ptr(xc), ptr(out));
        return out;
    }

    @Override
    public Tensor indexAdd(Tensor src, int axis, int[] index, int axisSize) {
        dev.enter();
        IndexShape sh = IndexShape.add(src.shapeRef(), axis, index, axisSize);
        int outer = sh.outer(), inner = sh.inner();
        Tensor out = fresh(sh.outShape());
        dev.zero(ptr(out), out.numel());
        if (src.numel() == 0) return out;
        Tensor sc = dense(src);
        dev.launch("index", "index_add", LaunchShape.elementwise(sc.numel()), (long) outer, axisSize, index.length, inner, indexOnDevice(index).at(0), ptr(sc), ptr(out));
        return out;
    }

    @Override
    public Tensor copy(Tensor x) {
        dev.enter();
        Tensor r = resident(x);
        return r != x ? r : buffer(r).copyOf(r); // an upload is already a fresh copy
    }

    @Override
    public Tensor concat(Tensor[] parts, int axis) {
        dev.enter();
        int[][] shapes = new int[parts.length][];
        for (int i = 0; i < parts.length; i++) shapes[i] = parts[i].shapeRef();
        int[] outShape = Shape.concat(shapes, axis);
        int rank = outShape.length;
        int a = Shape.axis(axis, rank, "concat");
        int outer = 1, inner = 1;
        for (int i = 0; i < a; i++) outer *= outShape[i];
        for (int i = a + 1; i < rank; i++) inner *= outShape[i];
        Tensor out = fresh(outShape);
        int rowOut = outShape[a] * inner, at = 0;
        for (Tensor p : parts) {
            int row = p.shapeRef()[a] * inner;
            if (p.numel() > 0) {
                Tensor pc = dense(p);
                dev.launch("index", "concat_part", LaunchShape.elementwise(pc.numel()), (long) outer, row, rowOut, at, ptr(pc), ptr(out));
            }
            at += row;
        }
        return out;
    }

    // ---------------------------------------------------------------- convolution (im2col + SGEMM)

    private static int outSize(int in, int k, int stride, int pad) {
        return (in + 2 * pad - k) / stride + 1;
    }

    private Tensor im2col(Tensor x, int kH, int kW, int strideH, int strideW, int padH, int padW, int oh, int ow) {
        int[] xs = x.shapeRef();
        int n = xs[0], c = xs[1];
        Tensor cols = fresh(new int[] {n, c * kH * kW, oh * ow});
        if (cols.numel() > 0) {
            dev.launch("conv", "conv_im2col", LaunchShape.elementwise(cols.numel()), n, c, xs[2], xs[3], kH, kW, strideH, strideW, padH, padW,
                    oh, ow, ptr(x), ptr(cols));
        }
        return cols;
    }

    @Override
    public Tensor unfold(Tensor x, int kH, int kW, int strideH, int strideW, int padH, int padW) {
        int[] xs = x.shapeRef();
        if (xs.length != 4) throw new IllegalArgumentException("unfold: input " + Shape.str(xs) + " is not [N, C, H, W]");
        return im2col(dense(x), kH, kW, strideH, strideW, padH, padW, outSize(xs[2], kH, strideH, padH), outSize(xs[3], kW, strideW, padW));
    }

    @Override
    public Tensor conv2d(Tensor x, Tensor w, Tensor bias, int strideH, int strideW, int padH, int padW) {
        dev.enter();
        int[] xs = x.shapeRef(), ws = w.shapeRef();
        if (xs.length != 4 || ws.length != 4 || xs[1] != ws[1]) {
            throw new IllegalArgumentException("conv2d: input " + Shape.str(xs) + " and weight " + Shape.str(ws)
                    + " do not match (expected [N, C, H, W] and [O, C, kH, kW])");
        }
        if (strideH <= 0 || strideW <= 0 || padH < 0 || padW < 0) throw new IllegalArgumentException("conv2d: stride must be positive and padding non-negative");
        if (xs[2] + 2 * padH < ws[2] || xs[3] + 2 * padW < ws[3]) {
            throw new IllegalArgumentException("conv2d: kernel " + ws[2] + "x" + ws[3] + " larger than padded input " + Shape.str(xs));
        }
        int n = xs[0], o = ws[0], kH = ws[2], kW = ws[3];
        int oh = outSize(xs[2], kH, strideH, padH), ow = outSize(xs[3], kW, strideW, padW);
        int ckk = xs[1] * kH * kW, plane = oh * ow;
        if (bias != null && bias.numel() != o) throw new IllegalArgumentException("conv2d: bias of " + bias.numel() + " for " + o + " output channels");
        Tensor out = fresh(new int[] {n, o, oh, ow});
        if (out.numel() == 0) return out;
        Tensor cols = im2col(dense(x), kH, kW, strideH, strideW, padH, padW, oh, ow);
        gemm(false, false, o, plane, ckk, 1f, ptr(dense(w)), ckk, 0, ptr(cols), plane, (long) ckk * plane, 0f, ptr(out), plane, (long) o * plane, n);
        buffer(cols).close();
        if (bias != null) {
            dev.launch("conv", "conv_add_bias", LaunchShape.elementwise(out.numel()), (long) out.numel(), o, plane, ptr(dense(bias)), ptr(out));
        }
        return out;
    }

    @Override
    public Tensor conv2dBackwardInput(Tensor gradOut, Tensor w, int inH, int inW, int strideH, int strideW, int padH, int padW) {
        dev.enter();
        int[] gs = gradOut.shapeRef(), ws = w.shapeRef();
        int n = gs[0], o = ws[0], c = ws[1], kH = ws[2], kW = ws[3], oh = gs[2], ow = gs[3];
        if (gs[1] != o || oh != outSize(inH, kH, strideH, padH) || ow != outSize(inW, kW, strideW, padW)) {
            throw new IllegalArgumentException("conv2d backward: gradient " + Shape.str(gs) + " does not fit weight " + Shape.str(ws) + " and input " + inH + "x" + inW);
        }
        int ckk = c * kH * kW, plane = oh * ow;
        Tensor dx = fresh(new int[] {n, c, inH, inW});
        if (dx.numel() == 0) return dx;
        Tensor cols = fresh(new int[] {n, ckk, plane});
        // cols[n] = Wᵀ · g[n]: W is [O, CKK], read transposed.
        if (o == 0) dev.zero(ptr(cols), cols.numel());
        else gemm(true, false, ckk, plane, o, 1f, ptr(dense(w)), ckk, 0, ptr(dense(gradOut)), plane, (long) o * plane, 0f, ptr(cols), plane, (long) ckk * plane, n);
        dev.launch("conv", "conv_col2im", LaunchShape.elementwise(dx.numel()), n, c, inH, inW, kH, kW, strideH, strideW, padH, padW, oh, ow,
                ptr(cols), ptr(dx));
        buffer(cols).close();
        return dx;
    }

    @Override
    public Tensor conv2dBackwardWeight(Tensor x, Tensor gradOut, int kH, int kW, int strideH, int strideW, int padH, int padW) {
        dev.enter();
        int[] xs = x.shapeRef(), gs = gradOut.shapeRef();
        int n = xs[0], c = xs[1], o = gs[1], oh = gs[2], ow = gs[3];
        if (gs[0] != n || oh != outSize(xs[2], kH, strideH, padH) || ow != outSize(xs[3], kW, strideW, padW)) {
            throw new IllegalArgumentException("conv2d weight gradient: gradient " + Shape.str(gs) + " does not fit input " + Shape.str(xs));
        }
        int ckk = c * kH * kW, plane = oh * ow;
        Tensor dw = fresh(new int[] {o, c, kH, kW});
        if (dw.numel() == 0) return dw;
        if (n == 0 || plane == 0) {
            dev.zero(ptr(dw), dw.numel());
            return dw;
        }
        Tensor cols = im2col(dense(x), kH, kW, strideH, strideW, padH, padW, oh, ow);
        Tensor g = dense(gradOut);
        DevPtr gp = ptr(g), cp = ptr(cols);
        // dW = Σ_n g[n]·cols[n]ᵀ, accumulated in place (beta = 1 after the first image).
        for (int i = 0; i < n; i++) {
            gemm(false, true, o, ckk, plane, 1f, gp.plus(4L * i * o * plane), plane, 0, cp.plus(4L * i * ckk * plane), plane, 0,
                    i == 0 ? 0f : 1f, ptr(dw), ckk, 0, 1);
        }
        buffer(cols).close();
        return dw;
    }

    // ---------------------------------------------------------------- losses

    @Override
    public Tensor binaryCrossEntropy(Tensor p, Tensor t) {
        dev.enter();
        if (!p.sameShape(t)) throw new IllegalArgumentException("binaryCrossEntropy: shapes " + Shape.str(p.shapeRef()) + " and " + Shape.str(t.shapeRef()) + " differ");
        Tensor out = fresh(p.shapeRef());
        long n = out.numel();
        if (n > 0) dev.launch("loss", "loss_bce", LaunchShape.elementwise(n), n, ptr(dense(p)), ptr(dense(t)), ptr(out));
        return out;
    }

    @Override
    public Tensor binaryCrossEntropyBackward(Tensor p, Tensor t, Tensor gradOut) {
        dev.enter();
        if (!p.sameShape(t) || !p.sameShape(gradOut)) {
            throw new IllegalArgumentException("binaryCrossEntropy backward: shapes " + Shape.str(p.shapeRef()) + ", " + Shape.str(t.shapeRef()) + " and " + Shape.str(gradOut.shapeRef()) + " differ");
        }
        Tensor out = fresh(p.shapeRef());
        long n = out.numel();
        if (n > 0) dev.launch("loss", "loss_bce_backward", LaunchShape.elementwise(n), n, ptr(dense(p)), ptr(dense(t)), ptr(dense(gradOut)), ptr(out));
        return out;
    }

    // ---------------------------------------------------------------- DP-SGD kernels

    /** ‖g_i‖² of materialised per-example gradients g [B, ...] as a [B] tensor. */
    public Tensor perExampleSqNorms(Tensor g) {
        dev.enter();
        int b = g.shapeRef()[0];
        long d = b == 0 ? 0 : g.numel() / b;
        Tensor out = fresh(new int[] {b});
        if (b > 0) dev.launch("dp", "dp_sq_norms", LaunchShape.perExample(b), b, d, ptr(dense(g)), ptr(out));
        return out;
    }

    /** ‖Σ_t a_t g_tᵀ‖² per example from a linear layer's input a [B, T, Din] and output gradient g [B, T, Dout]. */
    public Tensor ghostNorms(Tensor a, Tensor g) {
        dev.enter();
        int[] as = a.shapeRef(), gs = g.shapeRef();
        if (as.length != 3 || gs.length != 3 || as[0] != gs[0] || as[1] != gs[1]) {
            throw new IllegalArgumentException("ghostNorms: activations " + Shape.str(as) + " and gradients " + Shape.str(gs) + " must be [B, T, Din] and [B, T, Dout]");
        }
        Tensor out = fresh(new int[] {as[0]});
        if (as[0] > 0) dev.launch("dp", "dp_ghost_norms", LaunchShape.perExample(as[0]), as[0], as[1], as[2], gs[2], ptr(dense(a)), ptr(dense(g)), ptr(out));
        return out;
    }

    /** Σ_j a_ij·b_ij per example in double (dp_row_dot; dp_sq_norms when a and b are one tensor). */
    @Override
    public Tensor rowDot(Tensor a, Tensor b) {
        dev.enter();
        if (!a.sameShape(b) || a.rank() == 0) throw new IllegalArgumentException("rowDot: shapes " + Shape.str(a.shapeRef()) + " and " + Shape.str(b.shapeRef()) + " differ or have no example axis");
        if (a == b) return perExampleSqNorms(a);
        int n = a.size(0);
        long d = n == 0 ? 0 : a.numel() / n;
        Tensor out = fresh(new int[] {n});
        if (n > 0) dev.launch("dp", "dp_row_dot", LaunchShape.perExample(n), n, d, ptr(dense(a)), ptr(dense(b)), ptr(out));
        return out;
    }

    /**
     * c_i = min(1, C / (‖g_i‖ + 1e-6)) from squared norms [L, B]: the layers' rows summed (in float, where the CPU
     * sums in double: a difference of rounding only), then dp_clip_factors.
     */
    @Override
    public Tensor clipFactors(Tensor sqNorms, double clip) {
        dev.enter();
        if (sqNorms.rank() != 2) throw new IllegalArgumentException("clipFactors: squared norms " + Shape.str(sqNorms.shapeRef()) + " are not [layers, examples]");
        int b = sqNorms.size(1);
        Tensor total = sqNorms.size(0) == 1 ? sqNorms.reshape(b) : sum(sqNorms, new int[] {0}, false);
        Tensor out = fresh(new int[] {b});
        if (b > 0) dev.launch("dp", "dp_clip_factors", LaunchShape.elementwise(b), b, ptr(dense(total)), (float) clip, ptr(out));
        return out;
    }

    @Override
    public Tensor rowClipFactors(Tensor x, double clip) {
        Tensor sq = perExampleSqNorms(x);
        return clipFactors(sq.reshape(1, sq.numel()), clip);
    }

    /** The clipped per-example sum Aᵀ·diag(c)·G [Din, Dout] of a linear layer, for a [B, T, Din], g [B, T, Dout], c [B]. */
    public Tensor clippedSum(Tensor a, Tensor g, Tensor c) {
        dev.enter();
        int[] as = a.shapeRef(), gs = g.shapeRef();
        int b = as[0], rows = as[0] * as[1], din = as[2], dout = gs[2];
        if (c.numel() != b || gs[0] != b || gs[1] != as[1]) {
            throw new IllegalArgumentException("clippedSum: shapes " + Shape.str(as) + ", " + Shape.str(gs) + " and " + c.numel() + " factors disagree");
        }
        Tensor out = fresh(new int[] {din, dout});
        if (rows == 0) {
            dev.zero(ptr(out), out.numel());
            return out;
        }
        Tensor gc = dense(g);
        Tensor scaled = fresh(gs);
        dev.launch("dp", "dp_scale_examples", LaunchShape.elementwise(gc.numel()), b, (long) as[1] * dout, ptr(dense(c)), ptr(gc), ptr(scaled));
        gemm(true, false, din, dout, rows, 1f, ptr(dense(a)), din, 0, ptr(scaled), dout, 0, 0f, ptr(out), dout, 0, 1);
        buffer(scaled).close();
        return out;
    }

    /** Coordinates per noise substream: SnappedGaussian's chunk, which dp.cu's NOISE_CHUNK repeats. */
    public static final int NOISE_CHUNK = SnappedGaussian.CHUNK;

    /**
     * x + N(0, σ²) elementwise (a fresh tensor), snapped to {@code resolution}: the noise GaussianNoise.addTo draws on
     * the CPU for the same stream, coordinate for coordinate. The stream is (key, training step, substreams first,
     * first + 1, …, one per {@link #NOISE_CHUNK} coordinates), which the caller reserves from its RandomSource
     * exactly as the CPU path would. σ = 0 returns a copy, as the CPU path leaves values alone.
     */
    @Override
    public Tensor addGaussianNoise(Tensor x, int[] key, long step, long firstSubstream, double sigma, double resolution) {
        dev.enter();
        Tensor out = copy(x);
        if (sigma != 0) noise(out, key, step, firstSubstream, sigma, resolution, 1);
        return out;
    }

    /** The snapped noise alone (what {@link #addGaussianNoise} adds to zeros), as a fresh tensor of a shape. */
    public Tensor gaussianNoise(int[] key, long step, long firstSubstream, double sigma, double resolution, int... shape) {
        dev.enter();
        Tensor out = fresh(shape);
        if (sigma == 0) dev.zero(ptr(out), out.numel());
        else noise(out, key, step, firstSubstream, sigma, resolution, 0);
        return out;
    }

    private void noise(Tensor out, int[] key, long step, long firstSubstream, double sigma, double resolution, int accumulate) {
        if (key.length != 8) throw new IllegalArgumentException("noise: key must be 8 words");
        if (!(sigma > 0) || Double.isInfinite(sigma)) throw new IllegalArgumentException("noise standard deviation must be finite and ≥ 0, got " + sigma);
        if (!(resolution > 0) || resolution != Math.scalb(1.0, Math.getExponent(resolution))) {
            throw new IllegalArgumentException("noise resolution must be a positive power of two, got " + resolution);
        }
        long n = out.numel();
        long chunks = (n + NOISE_CHUNK - 1) / NOISE_CHUNK;
        if (step < 0 || firstSubstream < 1 || firstSubstream + chunks > 0xFFFFFFFFL) {
            throw new IllegalArgumentException("noise: step " + step + " and substreams " + firstSubstream + " + " + chunks + " leave the stream's 32-bit substream space");
        }
        if (n > 0) {
            dev.launch("dp", "dp_gaussian_noise", LaunchShape.elementwise((n + 1) / 2), n, key.clone(), (int) step, (int) (step >>> 32), firstSubstream,
                    sigma, resolution, accumulate, ptr(out));
            buffer(out).invalidateHost();
        }
    }

    /**
     * One fused AdamW step (dp_adamw), in place on contiguous tensors p, m, v of this GPU with gradient g; step counts
     * from 1. False, with nothing done, where p, m or v is not such a tensor of p's shape (a first step, whose state is
     * still on the host): the optimizer then composes the step from primitives.
     */
    @Override
    public boolean fusedAdamW(Tensor p, Tensor g, Tensor m, Tensor v, double lr, double beta1, double beta2, double eps, double weightDecay, long step) {
        dev.enter();
        for (Tensor t : new Tensor[] {p, m, v}) {
            if (!(t.deviceBuffer() instanceof CudaBuffer b) || b.device != dev || !t.isContiguous() || !t.sameShape(p)) return false;
        }
        int n = p.numel();
        if (n == 0) return true;
        float bc1 = (float) (1 - Math.pow(beta1, step)), bc2 = (float) (1 - Math.pow(beta2, step));
        dev.launch("dp", "dp_adamw", LaunchShape.elementwise(n), (long) n, ptr(p), ptr(dense(g.reshape(p.shapeRef()))), ptr(m), ptr(v), (float) lr,
                (float) beta1, (float) beta2, (float) eps, (float) weightDecay, bc1, bc2);
        for (Tensor t : new Tensor[] {p, m, v}) buffer(t).invalidateHost();
        return true;
    }

    /**
     * A tensor on this GPU: a host tensor uploaded once (constants several ops read, state kept on the device), a
     * tensor already here returned as it is.
     */
    @Override
    public Tensor upload(Tensor t) {
        dev.enter();
        return resident(t);
    }

    private Tensor copyUp(Tensor t) {
        Tensor c = t.compact();
        CudaBuffer b = new CudaBuffer(dev, c.numel());
        dev.upload(b.at(0), c.data(), 0, c.numel());
        return Tensor.onDevice(b, t.shapeRef());
    }

    /** Index arrays kept on the device, compared by contents. */
    private static final int INDEX_CACHE = 256;

    /** An int[] compared and hashed by its contents, as a cache key. */
    private record IndexKey(int[] values, int hash) {
        IndexKey(int[] values) {
            this(values, Arrays.hashCode(values));
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof IndexKey k && k.hash == hash && Arrays.equals(k.values, values);
        }

        @Override
        public int hashCode() {
            return hash;
        }
    }

    /**
     * The last {@link #INDEX_CACHE} distinct index arrays on the device, least recently used evicted: the indices a
     * step reads every time (Swin's relative-position index, a slice's positions, a batch's labels) cross once. An
     * evicted buffer goes back to the allocator at once, which is safe because all work runs in one stream order.
     */
    private final Map<IndexKey, CudaBuffer> indices = new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<IndexKey, CudaBuffer> eldest) {
            if (size() <= INDEX_CACHE) return false;
            eldest.getValue().close();
            return true;
        }
    };

    private synchronized CudaBuffer indexOnDevice(int[] values) {
        IndexKey key = new IndexKey(values.clone());
        CudaBuffer b = indices.get(key);
        if (b != null) return b;
        b = new CudaBuffer(dev, values.length);
        dev.uploadInts(b.at(0), values);
        indices.put(key, b);
        return b;
    }

    /** Bytes held by live tensors and by the allocator's cache, and driver allocations versus reuses. */
    public String memoryReport() {
        CachingAllocator<?> a = dev.allocator();
        return String.format("live %.1f MiB, cached %.1f MiB, %d cuMemAlloc, %d reuses", a.liveBytes() / 1048576.0,
                a.cachedBytes() / 1048576.0, a.driverAllocations(), a.reuses());
    }
}
