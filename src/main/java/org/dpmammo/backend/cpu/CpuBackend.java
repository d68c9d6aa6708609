package org.dpmammo.backend.cpu;

import java.util.concurrent.atomic.AtomicBoolean;
import org.dpmammo.backend.Backend;
import org.dpmammo.backend.IndexShape;
import org.dpmammo.backend.MatmulShape;
import org.dpmammo.backend.BinaryOp;
import org.dpmammo.backend.UnaryOp;
import org.dpmammo.tensor.Shape;
import org.dpmammo.tensor.Tensor;
import org.dpmammo.util.Parallel;

/**
 * The reference backend: pure Java, multithreaded over {@link Parallel}; GEMM and convolution go through the
 * SIMD kernels in {@link Sgemm} and {@link ConvOps}. Every other device is tested against this one.
 */
public final class CpuBackend implements Backend {
    /** Elements per parallel chunk for elementwise loops: below this, forking costs more than it saves. */
    private static final int GRAIN = 1 << 15;

    @Override
    public String name() {
        return "cpu";
    }

    // ---------------------------------------------------------------- elementwise

    /**
     * Whether any element of a host tensor is NaN: autograd scans every op's output with this, so it is split over
     * the threads (on the recording thread alone it was a tenth of a Swin training step's samples, the other core
     * idle) and runs the SIMD scan where the Vector API is in use.
     */
    public static boolean hasNaN(Tensor t) {
        Tensor c = t.contiguous();
        float[] d = c.data();
        int n = c.numel(), off = c.offset();
        if (n < GRAIN) return Kernels.hasNaN(d, off, off + n);
        AtomicBoolean found = new AtomicBoolean();
        Parallel.forRange(n, GRAIN, (lo, hi) -> {
            if (!found.get() && Kernels.hasNaN(d, off + lo, off + hi)) found.set(true);
        });
        return found.get();
    }

    @Override
    public Tensor binary(BinaryOp op, Tensor a, Tensor b) {
        String name = op.name().toLowerCase();
        int[] shape = Shape.broadcast(a.shapeRef(), b.shapeRef(), name);
        int n = Shape.size(shape);
        float[] out = new float[n];
        if (n == 0) return Tensor.of(out, shape);
        if (a.isContiguous() && b.isContiguous() && a.numel() == n && b.numel() == n) {
            float[] ad = a.data(), bd = b.data();
            int ao = a.offset(), bo = b.offset();
            Parallel.forRange(n, GRAIN, (lo, hi) -> Kernels.binary(op, ad, ao + lo, 1, bd, bo + lo, 1, out, lo, hi - lo));
            return Tensor.of(out, shape);
        }
        Tensor ae = a.expand(shape), be = b.expand(shape);
        int rank = shape.length;
        int inner = rank == 0 ? 1 : shape[rank - 1];
        int rows = n / inner;
        int[] as = ae.strides(), bs = be.strides();
        int asInner = rank == 0 ? 0 : as[rank - 1], bsInner = rank == 0 ? 0 : bs[rank - 1];
        float[] ad = ae.data(), bd = be.data();
        Parallel.forRange(rows, Math.max(1, GRAIN / inner), (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int ao = ae.offset(), bo = be.offset(), rem = r;
                for (int d = rank - 2; d >= 0; d--) {
                    int i = rem % shape[d];
                    rem /= shape[d];
                    ao += i * as[d];
                    bo += i * bs[d];
                }
                Kernels.binary(op, ad, ao, asInner, bd, bo, bsInner, out, r * inner, inner);
            }
        });
        return Tensor.of(out, shape);
    }

    @Override
    public Tensor unary(UnaryOp op, Tensor x, float param) {
        Tensor c = x.contiguous();
        int n = c.numel();
        float[] out = new float[n];
        float[] xd = c.data();
        int xo = c.offset();
        Parallel.forRange(n, GRAIN, (lo, hi) -> Kernels.unary(op, param, xd, xo + lo, out, lo, hi - lo));
        return Tensor.of(out, x.shapeRef());
    }

    @Override
    public Tensor unaryBackward(UnaryOp op, Tensor x, Tensor y, Tensor gradOut, float param) {
        Tensor xc = x == null ? null : x.contiguous();
        Tensor yc = y == null ? null : y.contiguous();
        Tensor gc = gradOut.contiguous();
        int n = gc.numel();
        float[] out = new float[n];
        Parallel.forRange(n, GRAIN, (lo, hi) -> Kernels.unaryBackward(op, param,
                xc == null ? null : xc.data(), xc == null ? 0 : xc.offset() + lo,
                yc == null ? null : yc.data(), yc == null ? 0 : yc.offset() + lo,
                gc.data(), gc.offset() + lo, out, lo, hi - lo));
        return Tensor.of(out, gradOut.shapeRef());
    }

    // ---------------------------------------------------------------- reductions

    @Override
    public Tensor sum(Tensor x, int[] axes, boolean keepDims) {
        int rank = x.rank();
        boolean[] reduced = new boolean[rank];
        if (axes.length == 0) java.util.Arrays.fill(reduced, true);
        for (int a : axes) reduced[Shape.axis(a, rank, "sum")] = true;
        // Reduced axes forming one block followed by kept axes ([A, R, B] summed over R: bias and LayerNorm
        // gradients, per-example sums over tokens) are summed row by row in place; permuting R last would first
        // gather the whole input through a transposed copy.
        int r0 = 0;
        while (r0 < rank && !reduced[r0]) r0++;
        int r1 = r0;
        while (r1 < rank && reduced[r1]) r1++;
        boolean block = r0 < r1 && r1 < rank;
        for (int i = r1; i < rank; i++) block &= !reduced[i];
        if (block) return sumMiddle(x, r0, r1, reduced, keepDims);
        // Move reduced axes last, so each output element sums one contiguous run.
        int[] order = new int[rank];
        int k = 0;
        for (int i = 0; i < rank; i++) if (!reduced[i]) order[k++] = i;
        int kept = k;
        for (int i = 0; i < rank; i++) if (reduced[i]) order[k++] = i;
        Tensor p = x.permute(order).contiguous();
        int[] shape = x.shapeRef();
        int outer = 1;
        for (int i = 0; i < kept; i++) outer *= shape[order[i]];
        int inner = outer == 0 ? 0 : x.numel() / outer;
        float[] out = new float[outer];
        float[] pd = p.data();
        int po = p.offset();
        Parallel.forRange(outer, Math.max(1, GRAIN / Math.max(1, inner)), (o0, o1) -> {
            for (int o = o0; o < o1; o++) {
                double s = 0;
                for (int i = po + o * inner, e = i + inner; i < e; i++) s += pd[i];
                out[o] = (float) s;
            }
        });
        return Tensor.of(out, reducedShape(shape, reduced, keepDims));
    }

    /**
     * Sum of [A, R, B] (axes [0, r0), [r0, r1), [r1, rank)) over R: for each of the A outer indices, column sums of an
     * R×B matrix read row by row. Tasks are (outer index, column range) pairs, enough of them to occupy every
     * thread even when A is 1 (bias gradients: Σ over all rows) or small; each accumulates its columns in double.
     */
    private static Tensor sumMiddle(Tensor x, int r0, int r1, boolean[] reduced, boolean keepDims) {
        Tensor c = x.contiguous();
        int[] shape = x.shapeRef();
        int outer = 1, rows = 1, cols = 1;
        for (int i = 0; i < r0; i++) outer *= shape[i];
        for (int i = r0; i < r1; i++) rows *= shape[i];
        for (int i = r1; i < shape.length; i++) cols *= shape[i];
        float[] out = new float[outer * cols];
        if (out.length == 0) return Tensor.of(out, reducedShape(shape, reduced, keepDims));
        float[] d = c.data();
        int off = c.offset(), nRows = rows, nCols = cols;
        int splits = Math.max(1, Math.min((cols + 15) / 16, (2 * Parallel.threads() + outer - 1) / outer));
        long work = (long) rows * cols / splits;
        int tasks = outer * splits;
        Parallel.forRange(tasks, (int) Math.max(1, GRAIN / Math.max(1, work)), (t0, t1) -> {
            for (int t = t0; t < t1; t++) {
                int o = t / splits, sp = t % splits;
                int j0 = (int) ((long) nCols * sp / splits), j1 = (int) ((long) nCols * (sp + 1) / splits);
                double[] acc = new double[j1 - j0];
                for (int r = 0; r < nRows; r++) {
                    int base = off + (o * nRows + r) * nCols + j0;
                    for (int j = 0; j < acc.length; j++) acc[j] += d[base + j];
                }
                for (int j = 0; j < acc.length; j++) out[o * nCols + j0 + j] = (float) acc[j];
            }
        });
        return Tensor.of(out, reducedShape(shape, reduced, keepDims));
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

    /** x with `axis` moved last, contiguous; rows of length shape[axis]. */
    private static Tensor axisLast(Tensor x, int axis) {
        int rank = x.rank();
        int[] order = new int[rank];
        for (int i = 0, j = 0; i < rank; i++) if (i != axis) order[j++] = i;
        order[rank - 1] = axis;
        return x.permute(order).contiguous();
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
        int a = Shape.axis(axis, x.rank(), op);
        int len = x.shapeRef()[a];
        if (len == 0) throw new IllegalArgumentException(op + ": empty axis " + axis + " in shape " + Shape.str(x.shapeRef()));
        Tensor p = axisLast(x, a);
        int rows = x.numel() / len;
        float[] out = new float[rows];
        float[] pd = p.data();
        int po = p.offset();
        Parallel.forRange(rows, Math.max(1, GRAIN / len), (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int base = po + r * len;
                float best = pd[base];
                int arg = 0;
                for (int i = 1; i < len; i++) {
                    float v = pd[base + i];
                    // NaN propagates as the maximum, as in PyTorch.
                    if (v > best || (Float.isNaN(v) && !Float.isNaN(best))) {
                        best = v;
                        arg = i;
                    }
                }
                out[r] = index ? arg : best;
            }
        });
        boolean[] reduced = new boolean[x.rank()];
        reduced[a] = true;
        return Tensor.of(out, reducedShape(x.shapeRef(), reduced, keepDims));
    }

    @Override
    public Tensor softmax(Tensor x, boolean log) {
        Tensor c = x.contiguous();
        int[] shape = x.shapeRef();
        if (shape.length == 0) throw new IllegalArgumentException("softmax: needs at least one axis");
        int len = shape[shape.length - 1];
        int rows = len == 0 ? 0 : c.numel() / len;
        float[] out = new float[c.numel()];
        float[] xd = c.data();
        int xo = c.offset();
        Parallel.forRange(rows, Math.max(1, GRAIN / Math.max(1, len)), (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int base = xo + r * len, ob = r * len;
                float m = Float.NEGATIVE_INFINITY;
                for (int i = 0; i < len; i++) m = Math.max(m, xd[base + i]);
                double s = 0;
                for (int i = 0; i < len; i++) s += Math.exp(xd[base + i] - m);
                if (log) {
                    float lse = (float) (m + Math.log(s));
                    for (int i = 0; i < len; i++) out[ob + i] = xd[base + i] - lse;
                } else {
                    double inv = 1.0 / s;
                    for (int i = 0; i < len; i++) out[ob + i] = (float) (Math.exp(xd[base + i] - m) * inv);
                }
            }
        });
        return Tensor.of(out, shape);
    }

    @Override
    public Tensor softmaxBackward(Tensor y, Tensor gradOut, boolean log) {
        Tensor yc = y.contiguous(), gc = gradOut.contiguous();
        int[] shape = y.shapeRef();
        int len = shape[shape.length - 1];
        int rows = len == 0 ? 0 : yc.numel() / len;
        float[] out = new float[yc.numel()];
        float[] yd = yc.data(), gd = gc.data();
        int yo = yc.offset(), go = gc.offset();
        Parallel.forRange(rows, Math.max(1, GRAIN / Math.max(1, len)), (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int yb = yo + r * len, gb = go + r * len, ob = r * len;
                double s = 0;
                if (log) {
                    // d/dx of log-softmax: g − softmax · Σg
                    for (int i = 0; i < len; i++) s += gd[gb + i];
                    for (int i = 0; i < len; i++) out[ob + i] = (float) (gd[gb + i] - Math.exp(yd[yb + i]) * s);
                } else {
                    // d/dx of softmax: y · (g − Σ g·y)
                    for (int i = 0; i < len; i++) s += (double) gd[gb + i] * yd[yb + i];
                    for (int i = 0; i < len; i++) out[ob + i] = (float) (yd[yb + i] * (gd[gb + i] - s));
                }
            }
        });
        return Tensor.of(out, shape);
    }

    // ---------------------------------------------------------------- normalisation

    /** One pass per row for the statistics and one for x̂, rows split across threads. */
    @Override
    public Tensor[] normalizeRows(Tensor x, float eps) {
        Tensor c = x.contiguous();
        int[] shape = x.shapeRef();
        if (shape.length == 0) throw new IllegalArgumentException("normalizeRows: needs at least one axis");
        int len = shape[shape.length - 1];
        int rows = len == 0 ? 0 : c.numel() / len;
        float[] out = new float[c.numel()], rstd = new float[rows];
        float[] xd = c.data();
        int xo = c.offset();
        Parallel.forRange(rows, Math.max(1, GRAIN / Math.max(1, len)), (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int base = xo + r * len, ob = r * len;
                double s = 0, ss = 0;
                for (int i = 0; i < len; i++) {
                    double v = xd[base + i];
                    s += v;
                    ss += v * v;
                }
                double mean = s / len, var = Math.max(0, ss / len - mean * mean);
                float m = (float) mean, rs = (float) (1 / Math.sqrt(var + eps));
                for (int i = 0; i < len; i++) out[ob + i] = (xd[base + i] - m) * rs;
                rstd[r] = rs;
            }
        });
        int[] rShape = shape.clone();
        rShape[rShape.length - 1] = 1;
        return new Tensor[] {Tensor.of(out, shape), Tensor.of(rstd, rShape)};
    }

    @Override
    public Tensor normalizeRowsBackward(Tensor xhat, Tensor rstd, Tensor gradOut) {
        Tensor xc = xhat.contiguous(), rc = rstd.contiguous(), gc = gradOut.contiguous();
        int[] shape = xhat.shapeRef();
        int len = shape[shape.length - 1];
        int rows = len == 0 ? 0 : xc.numel() / len;
        float[] out = new float[xc.numel()];
        float[] xd = xc.data(), rd = rc.data(), gd = gc.data();
        int xo = xc.offset(), ro = rc.offset(), go = gc.offset();
        Parallel.forRange(rows, Math.max(1, GRAIN / Math.max(1, len)), (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int xb = xo + r * len, gb = go + r * len, ob = r * len;
                double sg = 0, sgx = 0;
                for (int i = 0; i < len; i++) {
                    double g = gd[gb + i];
                    sg += g;
                    sgx += g * xd[xb + i];
                }
                float rs = rd[ro + r], mg = (float) (sg / len), mgx = (float) (sgx / len);
                for (int i = 0; i < len; i++) out[ob + i] = rs * (gd[gb + i] - mg - xd[xb + i] * mgx);
            }
        });
        return Tensor.of(out, shape);
    }

    // ---------------------------------------------------------------- matmul

    @Override
    public Tensor matmul(Tensor a, Tensor b, boolean transA, boolean transB) {
        MatmulShape sh = MatmulShape.of(a.shapeRef(), b.shapeRef(), transA, transB);
        int m = sh.m(), n = sh.n(), k = sh.k(), nb = sh.batchCount();
        int[] batch = sh.batch(), outShape = sh.outShape();
        float[] out = new float[Shape.size(outShape)];
        if (out.length == 0) return Tensor.of(out, outShape);
        int lda = transA ? m : k, ldb = transB ? k : n;
        // A weight shared by every batch entry (b has no batch axes, a is a plain stack): one tall GEMM.
        if (!transA && sh.bShared() && Shape.numel(sh.batchA()) == nb) {
            Tensor ac = a.contiguous(), bc = b.contiguous();
            Sgemm.sgemm(false, transB, nb * m, n, k, 1f, ac.data(), ac.offset(), k, bc.data(), bc.offset(), ldb,
                    0f, out, 0, n);
            return Tensor.of(out, outShape);
        }
        Tensor ae = expandBatch(a, batch), be = expandBatch(b, batch);
        long aStride = sh.aShared() ? 0 : (long) m * k, bStride = sh.bShared() ? 0 : (long) k * n;
        Sgemm.sgemmBatched(transA, transB, m, n, k, 1f, ae.data(), ae.offset(), lda, be.data(), be.offset(), ldb,
                0f, out, 0, n, nb, aStride, bStride, (long) m * n);
        return Tensor.of(out, outShape);
    }

    /** The bias is copied into every output row first and the GEMM accumulates onto it (beta = 1): one pass fewer. */
    @Override
    public Tensor linear(Tensor x, Tensor w, Tensor bias) {
        int[] xs = x.shapeRef(), ws = w.shapeRef();
        if (bias == null || xs.length != 2 || ws.length != 2 || xs[1] != ws[1] || bias.numel() != ws[0]) {
            return Backend.super.linear(x, w, bias);
        }
        int m = xs[0], n = ws[0], k = xs[1];
        Tensor xc = x.contiguous(), wc = w.contiguous();
        float[] b = bias.contiguous().toArray();
        float[] out = new float[m * n];
        Parallel.forRange(m, Math.max(1, GRAIN / Math.max(1, n)), (r0, r1) -> {
            for (int r = r0; r < r1; r++) System.arraycopy(b, 0, out, r * n, n);
        });
        Sgemm.sgemm(false, true, m, n, k, 1f, xc.data(), xc.offset(), k, wc.data(), wc.offset(), k, 1f, out, 0, n);
        return Tensor.of(out, m, n);
    }

    /** The operand laid out contiguously as [batch..., rows, cols]; a batch-free operand stays unexpanded. */
    private static Tensor expandBatch(Tensor t, int[] batch) {
        int[] s = t.shapeRef();
        if (s.length == 2 || Shape.numel(java.util.Arrays.copyOf(s, s.length - 2)) == 1) return t.contiguous();
        int[] target = java.util.Arrays.copyOf(batch, batch.length + 2);
        target[batch.length] = s[s.length - 2];
        target[batch.length + 1] = s[s.length - 1];
        return t.expand(target).contiguous();
    }

    // ---------------------------------------------------------------- indexing and layout

    @Override
    public Tensor indexSelect(Tensor x, int axis, int[] index) {
        IndexShape sh = IndexShape.select(x.shapeRef(), axis, index);
        Tensor c = x.contiguous();
        int len = sh.len(), outer = sh.outer(), inner = sh.inner();
        int[] outShape = sh.outShape();
        float[] out = new float[outer * index.length * inner];
        float[] xd = c.data();
        int xo = c.offset();
        int in = inner;
        Parallel.forRange(outer * index.length, Math.max(1, GRAIN / Math.max(1, inner)), (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int o = r / index.length, j = r % index.length;
                System.arraycopy(xd, xo + (o * len + index[j]) * in, out, r * in, in);
            }
        });
        return Tensor.of(out, outShape);
    }

    @Override
    public Tensor indexAdd(Tensor src, int axis, int[] index, int axisSize) {
        IndexShape sh = IndexShape.add(src.shapeRef(), axis, index, axisSize);
        Tensor c = src.contiguous();
        int outer = sh.outer(), inner = sh.inner();
        int[] outShape = sh.outShape();
        float[] out = new float[outer * axisSize * inner];
        float[] sd = c.data();
        int so = c.offset();
        int in = inner;
        // Parallel over the outer axis only: indices may repeat, so rows of one outer slice are not independent.
        Parallel.forRange(outer, 1, (o0, o1) -> {
            for (int o = o0; o < o1; o++) {
                for (int j = 0; j < index.length; j++) {
                    int idx = index[j];
                    int src0 = so + (o * index.length + j) * in, dst0 = (o * axisSize + idx) * in;
                    for (int t = 0; t < in; t++) out[dst0 + t] += sd[src0 + t];
                }
            }
        });
        return Tensor.of(out, outShape);
    }

    @Override
    public Tensor copy(Tensor x) {
        return x.copy();
    }

    @Override
    public Tensor concat(Tensor[] parts, int axis) {
        int[][] shapes = new int[parts.length][];
        for (int i = 0; i < parts.length; i++) shapes[i] = parts[i].shapeRef();
        int[] outShape = Shape.concat(shapes, axis);
        int rank = outShape.length;
        int a = Shape.axis(axis, rank, "concat");
        int outer = 1, inner = 1;
        for (int i = 0; i < a; i++) outer *= outShape[i];
        for (int i = a + 1; i < rank; i++) inner *= outShape[i];
        float[] out = new float[Shape.size(outShape)];
        Tensor whole = Tensor.of(out, outShape);
        int rowOut = outShape[a] * inner;
        int at = 0, axisAt = 0;
        for (Tensor p : parts) {
            int len = p.shapeRef()[a], row = len * inner;
            if (p.isContiguous()) {
                for (int o = 0; o < outer; o++) System.arraycopy(p.data(), p.offset() + o * row, out, o * rowOut + at, row);
            } else {
                // A strided part (a roll's slices, patch merging's strided picks) goes straight into place.
                whole.slice(a, axisAt, axisAt + len).assign(p);
            }
            at += row;
            axisAt += len;
        }
        return whole;
    }

    // ---------------------------------------------------------------- convolution

    @Override
    public Tensor conv2d(Tensor x, Tensor w, Tensor bias, int strideH, int strideW, int padH, int padW) {
        return ConvOps.forward(x, w, bias, strideH, strideW, padH, padW);
    }

    @Override
    public Tensor conv2dBackwardInput(Tensor gradOut, Tensor w, int inH, int inW, int strideH, int strideW, int padH, int padW) {
        return ConvOps.backwardInput(gradOut, w, inH, inW, strideH, strideW, padH, padW);
    }

    @Override
    public Tensor unfold(Tensor x, int kH, int kW, int strideH, int strideW, int padH, int padW) {
        return ConvOps.unfold(x, kH, kW, strideH, strideW, padH, padW);
    }

    @Override
    public Tensor conv2dBackwardWeight(Tensor x, Tensor gradOut, int kH, int kW, int strideH, int strideW, int padH, int padW) {
        return ConvOps.backwardWeight(x, gradOut, kH, kW, strideH, strideW, padH, padW);
    }
}
