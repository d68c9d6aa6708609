package org.dpmammo.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Convolution kernels against the definitions written as plain loops (in double), against finite differences of
 * the forward pass, and the transposed convolution against its scatter definition.
 */
class Conv2dKernelsTest {
    /** The geometries both models use, plus rectangular and odd ones, at small channel counts. */
    static final List<Conv2dShape> SHAPES = List.of(
            Conv2dShape.of(2, 3, 8, 8, 4, 4, 2, 1),     // GAN generator (as its conv), k4 s2 p1
            Conv2dShape.of(3, 2, 12, 12, 5, 6, 2, 2),   // GAN discriminator, k6 s2 p2
            Conv2dShape.of(2, 3, 4, 4, 6, 4, 1, 0),     // generator's first layer, k4 s1 p0
            Conv2dShape.of(1, 4, 4, 4, 1, 6, 1, 1),     // discriminator's last layer, k6 s1 p1
            Conv2dShape.of(2, 3, 16, 16, 8, 4, 4, 0),   // Swin patch embedding, k4 s4 p0
            new Conv2dShape(2, 3, 7, 10, 4, 3, 2, 2, 1, 1, 0),  // rectangular everything
            new Conv2dShape(1, 1, 5, 5, 2, 1, 1, 1, 1, 0, 0),   // 1x1
            new Conv2dShape(3, 2, 9, 6, 3, 2, 5, 3, 2, 1, 2),   // stride larger than kernel height
            // Outputs at least 12 wide take the row-copy path (strided: through column phases) instead of the
            // element-by-element one.
            Conv2dShape.of(1, 2, 26, 30, 3, 4, 2, 1),
            new Conv2dShape(1, 1, 14, 16, 2, 3, 3, 1, 1, 1, 1),
            new Conv2dShape(1, 1, 9, 40, 2, 3, 5, 1, 3, 0, 2));

    private static float[] rand(SplittableRandom r, long n) {
        float[] x = new float[(int) n];
        for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextDouble() * 2 - 1);
        return x;
    }

    private static double[] refForward(Conv2dShape s, float[] x, float[] w, float[] bias) {
        int oh = s.outH(), ow = s.outW();
        double[] y = new double[(int) s.outputSize()];
        for (int n = 0; n < s.batch(); n++)
            for (int o = 0; o < s.outC(); o++)
                for (int r = 0; r < oh; r++)
                    for (int q = 0; q < ow; q++) {
                        double sum = bias == null ? 0 : bias[o];
                        for (int c = 0; c < s.inC(); c++)
                            for (int i = 0; i < s.kH(); i++)
                                for (int j = 0; j < s.kW(); j++) {
                                    int ih = r * s.strideH() - s.padH() + i, iw = q * s.strideW() - s.padW() + j;
                                    if (ih < 0 || ih >= s.inH() || iw < 0 || iw >= s.inW()) continue;
                                    sum += (double) x[((n * s.inC() + c) * s.inH() + ih) * s.inW() + iw]
                                            * w[((o * s.inC() + c) * s.kH() + i) * s.kW() + j];
                                }
                        y[((n * s.outC() + o) * oh + r) * ow + q] = sum;
                    }
        return y;
    }

    /** The transposed convolution as its definition: every input pixel scatters w-weighted copies to the output. */
    private static double[] refTranspose(ConvTranspose2dShape t, float[] x, float[] w, float[] bias) {
        int oh = t.outH(), ow = t.outW();
        double[] y = new double[(int) t.outputSize()];
        for (int n = 0; n < t.batch(); n++) {
            for (int co = 0; co < t.outC(); co++)
                for (int p = 0; p < oh * ow; p++) y[(n * t.outC() + co) * oh * ow + p] = bias == null ? 0 : bias[co];
            for (int ci = 0; ci < t.inC(); ci++)
                for (int ih = 0; ih < t.inH(); ih++)
                    for (int iw = 0; iw < t.inW(); iw++) {
                        double v = x[((n * t.inC() + ci) * t.inH() + ih) * t.inW() + iw];
                        for (int co = 0; co < t.outC(); co++)
                            for (int i = 0; i < t.kH(); i++)
                                for (int j = 0; j < t.kW(); j++) {
                                    int yh = ih * t.strideH() - t.padH() + i, yw = iw * t.strideW() - t.padW() + j;
                                    if (yh < 0 || yh >= oh || yw < 0 || yw >= ow) continue;
                                    y[((n * t.outC() + co) * oh + yh) * ow + yw] += v * w[((ci * t.outC() + co) * t.kH() + i) * t.kW() + j];
                                }
                    }
        }
        return y;
    }

    private static void assertClose(double[] expect, float[] got, double tol, String what) {
        for (int i = 0; i < expect.length; i++)
            if (!(Math.abs(expect[i] - got[i]) <= tol * (1 + Math.abs(expect[i]))))
                fail(what + " at " + i + ": " + got[i] + " vs " + expect[i]);
    }

    private static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += (double) a[i] * b[i];
        return s;
    }

    @Test
    void forwardMatchesDirectLoops() {
        SplittableRandom r = new SplittableRandom(1);
        for (Conv2dShape s : SHAPES) {
            float[] x = rand(r, s.inputSize()), w = rand(r, s.weightSize()), b = rand(r, s.outC());
            float[] y = new float[(int) s.outputSize()];
            java.util.Arrays.fill(y, Float.NaN);
            Conv2dKernels.forward(s, x, w, b, y);
            assertClose(refForward(s, x, w, b), y, 1e-5, "forward " + s);
            Conv2dKernels.forward(s, x, w, null, y);
            assertClose(refForward(s, x, w, null), y, 1e-5, "forward without bias " + s);
        }
    }

    @Test
    void backwardMatchesTheAdjointLoopsAndFiniteDifferences() {
        SplittableRandom r = new SplittableRandom(2);
        for (Conv2dShape s : SHAPES) {
            float[] x = rand(r, s.inputSize()), w = rand(r, s.weightSize()), dy = rand(r, s.outputSize());
            float[] dx = rand(r, s.inputSize()), dw = rand(r, s.weightSize()), db = rand(r, s.outC());
            Conv2dKernels.backwardData(s, dy, w, dx);
            Conv2dKernels.backwardWeight(s, x, dy, dw, db);
            // The adjoint of the forward's 7 loops: every product x·w that made y gets dy back on both factors.
            double[] dxRef = new double[dx.length], dwRef = new double[dw.length];
            for (int n = 0; n < s.batch(); n++)
                for (int o = 0; o < s.outC(); o++)
                    for (int oh = 0; oh < s.outH(); oh++)
                        for (int q = 0; q < s.outW(); q++) {
                            double g = dy[((n * s.outC() + o) * s.outH() + oh) * s.outW() + q];
                            for (int c = 0; c < s.inC(); c++)
                                for (int i = 0; i < s.kH(); i++)
                                    for (int j = 0; j < s.kW(); j++) {
                                        int ih = oh * s.strideH() - s.padH() + i, iw = q * s.strideW() - s.padW() + j;
                                        if (ih < 0 || ih >= s.inH() || iw < 0 || iw >= s.inW()) continue;
                                        int xi = ((n * s.inC() + c) * s.inH() + ih) * s.inW() + iw;
                                        int wi = ((o * s.inC() + c) * s.kH() + i) * s.kW() + j;
                                        dxRef[xi] += g * w[wi];
                                        dwRef[wi] += g * x[xi];
                                    }
                        }
            assertClose(dxRef, dx, 1e-5, "backwardData " + s);
            assertClose(dwRef, dw, 1e-5, "backwardWeight " + s);
            for (int o = 0; o < s.outC(); o++) {
                double sum = 0;
                for (int n = 0; n < s.batch(); n++)
                    for (int p = 0; p < s.colCols(); p++) sum += dy[(n * s.outC() + o) * s.colCols() + p];
                assertEquals(sum, db[o], 1e-5 * (1 + Math.abs(sum)), "db " + s);
            }
            // Central differences of our own float forward at a few coordinates (L is linear, so h may be large).
            float[] y = new float[(int) s.outputSize()];
            for (int t = 0; t < 6; t++) {
                int i = r.nextInt(x.length);
                assertEquals(dx[i], centralDiff(s, x, w, dy, y, x, i), 2e-3 * (1 + Math.abs(dx[i])), "fd dx " + s);
                int j = r.nextInt(w.length);
                assertEquals(dw[j], centralDiff(s, x, w, dy, y, w, j), 2e-3 * (1 + Math.abs(dw[j])), "fd dw " + s);
            }
        }
    }

    private static double dotD(double[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }

    private static double centralDiff(Conv2dShape s, float[] x, float[] w, float[] dy, float[] y, float[] which, int i) {
        float h = 0.5f, keep = which[i];
        which[i] = keep + h;
        Conv2dKernels.forward(s, x, w, null, y);
        double plus = dot(y, dy);
        which[i] = keep - h;
        Conv2dKernels.forward(s, x, w, null, y);
        double minus = dot(y, dy);
        which[i] = keep;
        return (plus - minus) / (2 * h);
    }

    @Test
    void imageGroupsAndThreadedGemmAgreeWithLoops() {
        // Wide enough that the GEMMs go to the thread pool; an im2col budget of two images splits the batch of 3
        // into groups of 2 and 1, so both the widened and the single-image paths run.
        SplittableRandom r = new SplittableRandom(3);
        Conv2dShape s = Conv2dShape.of(3, 16, 24, 24, 32, 6, 2, 2);
        long budget = 2L * s.colRows() * s.colCols();
        float[] x = rand(r, s.inputSize()), w = rand(r, s.weightSize()), dy = rand(r, s.outputSize());
        float[] y = new float[(int) s.outputSize()], y2 = y.clone();
        Conv2dKernels.forward(s, x, w, null, y, budget);
        assertClose(refForward(s, x, w, null), y, 1e-4, "forward " + s);
        float[] dx = new float[x.length], dx2 = dx.clone(), dw = new float[w.length], dw2 = dw.clone();
        Conv2dKernels.backwardData(s, dy, w, dx, budget);
        Conv2dKernels.backwardData(s, dy, w, dx2, 1);
        Conv2dKernels.backwardWeight(s, x, dy, dw, null, budget);
        Conv2dKernels.backwardWeight(s, x, dy, dw2, null, Long.MAX_VALUE);
        Conv2dKernels.forward(s, x, w, null, y2, Long.MAX_VALUE);
        assertClose(toDouble(y2), y, 1e-5, "forward, one group vs two");
        assertClose(toDouble(dx2), dx, 1e-5, "backwardData, per image vs groups");
        assertClose(toDouble(dw2), dw, 1e-4, "backwardWeight, one group vs two");
    }

    private static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) d[i] = a[i];
        return d;
    }

    @Test
    void transposedConvolutionMatchesItsScatterDefinition() {
        SplittableRandom r = new SplittableRandom(4);
        List<ConvTranspose2dShape> shapes = List.of(
                ConvTranspose2dShape.of(2, 5, 1, 1, 3, 4, 1, 0),   // generator layer 1: 1x1 -> 4x4
                ConvTranspose2dShape.of(2, 4, 4, 4, 3, 4, 2, 1),   // generator layers 2-6: doubles the size
                ConvTranspose2dShape.of(1, 3, 3, 5, 2, 6, 2, 2),
                ConvTranspose2dShape.of(1, 2, 7, 7, 2, 4, 2, 1),   // 14x14 output: the row-copy paths
                new ConvTranspose2dShape(2, 2, 3, 4, 3, 3, 2, 2, 3, 1, 0));
        for (ConvTranspose2dShape t : shapes) {
            float[] x = rand(r, t.inputSize()), w = rand(r, t.weightSize()), b = rand(r, t.outC());
            float[] y = new float[(int) t.outputSize()];
            Conv2dKernels.transposeForward(t, x, w, b, y);
            assertClose(refTranspose(t, x, w, b), y, 1e-5, "transposeForward " + t);
            // Gradients of L = Σ y·dy, differentiated from the scatter definition one coordinate at a time.
            float[] dy = rand(r, t.outputSize()), dx = new float[x.length], dw = new float[w.length], db = new float[t.outC()];
            Conv2dKernels.transposeBackwardData(t, dy, w, dx);
            Conv2dKernels.transposeBackwardWeight(t, x, dy, dw, db);
            for (int i = 0; i < x.length; i++) {
                float[] e = new float[x.length];
                e[i] = 1f;
                double ref = dotD(refTranspose(t, e, w, null), dy);
                assertEquals(ref, dx[i], 1e-5 * (1 + Math.abs(ref)), "transposeBackwardData " + t + " at " + i);
            }
            for (int i = 0; i < w.length; i++) {
                float[] e = new float[w.length];
                e[i] = 1f;
                double ref = dotD(refTranspose(t, x, e, null), dy);
                assertEquals(ref, dw[i], 1e-5 * (1 + Math.abs(ref)), "transposeBackwardWeight " + t + " at " + i);
            }
            for (int co = 0; co < t.outC(); co++) {
                double sum = 0;
                int hw = t.outH() * t.outW();
                for (int n = 0; n < t.batch(); n++) for (int p = 0; p < hw; p++) sum += dy[(n * t.outC() + co) * hw + p];
                assertEquals(sum, db[co], 1e-5 * (1 + Math.abs(sum)), "transpose db " + t);
            }
        }
    }

    @Test
    void im2colMatchesItsDefinitionWithStridedDestination() {
        SplittableRandom r = new SplittableRandom(5);
        for (Conv2dShape s : SHAPES) {
            float[] x = rand(r, s.inputSize());
            int rows = s.colRows(), cols = s.colCols(), ld = cols + 3, off = 2;
            float[] col = new float[off + rows * ld];
            java.util.Arrays.fill(col, Float.NaN);
            int img = s.batch() - 1, xOff = img * s.inC() * s.inH() * s.inW();
            Conv2dKernels.im2col(s, x, xOff, col, off, ld);
            for (int c = 0; c < s.inC(); c++)
                for (int i = 0; i < s.kH(); i++)
                    for (int j = 0; j < s.kW(); j++)
                        for (int q = 0; q < cols; q++) {
                            int ih = q / s.outW() * s.strideH() - s.padH() + i, iw = q % s.outW() * s.strideW() - s.padW() + j;
                            float expect = ih < 0 || ih >= s.inH() || iw < 0 || iw >= s.inW() ? 0f
                                    : x[xOff + (c * s.inH() + ih) * s.inW() + iw];
                            assertEquals(expect, col[off + ((c * s.kH() + i) * s.kW() + j) * ld + q], 0f, "im2col " + s);
                        }
        }
    }

    @Test
    void emptyBatchAndBadSizes() {
        Conv2dShape s = Conv2dShape.of(0, 2, 5, 5, 3, 3, 1, 1);
        float[] dw = new float[(int) s.weightSize()], db = {1, 2, 3};
        java.util.Arrays.fill(dw, 7f);
        Conv2dKernels.backwardWeight(s, new float[0], new float[0], dw, db);
        for (float v : dw) assertEquals(0f, v);
        for (float v : db) assertEquals(0f, v);
        assertThrows(IllegalArgumentException.class, () -> Conv2dShape.of(1, 1, 2, 2, 1, 5, 1, 0));
        Conv2dShape t = Conv2dShape.of(1, 1, 4, 4, 1, 3, 1, 0);
        assertThrows(IllegalArgumentException.class, () -> Conv2dKernels.forward(t, new float[3], new float[9], null, new float[4]));
    }
}
