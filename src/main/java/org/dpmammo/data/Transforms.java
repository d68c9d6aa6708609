package org.dpmammo.data;

import org.dpmammo.util.Rng;

/**
 * Image transforms on {@link FloatImage}s, and the steps an input {@link Pipeline} is built from.
 *
 * <p>Resizing is separable and chosen per axis: an axis that shrinks is area-averaged (each output sample is the mean
 * of the input interval it covers, with fractional weights at the ends, like OpenCV's INTER_AREA or a box filter);
 * an axis that grows is bilinear with half-pixel centres, i.e. {@code align_corners=false}: output sample o reads input
 * position {@code (o + 0.5) * in / out - 0.5}, clamped below at 0, exactly as PyTorch's
 * {@code F.interpolate(mode="bilinear", align_corners=False, antialias=False)}. The study upsampled 128 to 224 with
 * OpenCV's INTER_AREA, which for enlargement is close to this bilinear rule (see docs/STUDY.md §1.5).
 */
public final class Transforms {
    private Transforms() {}

    /** One step of a pipeline; random steps draw only from the given generator, so a seed fixes the result. */
    public interface Step {
        FloatImage apply(FloatImage in, Rng rng);

        /** The [C, H, W] this step produces from an input of shape [C, H, W]. */
        int[] outShape(int[] chw);
    }

    /** Resizes to height × width (see the class comment for the interpolation rule). */
    public static FloatImage resize(FloatImage in, int height, int width) {
        if (height <= 0 || width <= 0) throw new IllegalArgumentException("resize: size must be positive, got " + height + "x" + width);
        if (height == in.height() && width == in.width()) return in;
        Kernel kx = Kernel.of(in.width(), width);
        Kernel ky = Kernel.of(in.height(), height);
        int c = in.channels();
        int inH = in.height();
        int inW = in.width();
        float[] src = in.data();
        // Rows first (H × inW → H × width), then columns, so each pass is a short dot product per sample.
        float[] mid = new float[c * inH * width];
        for (int p = 0; p < c * inH; p++) {
            int so = p * inW;
            int mo = p * width;
            for (int x = 0; x < width; x++) {
                float[] w = kx.weights[x];
                int s = so + kx.start[x];
                float acc = 0;
                for (int k = 0; k < w.length; k++) acc += w[k] * src[s + k];
                mid[mo + x] = acc;
            }
        }
        float[] out = new float[c * height * width];
        for (int ch = 0; ch < c; ch++) {
            int mBase = ch * inH * width;
            int oBase = ch * height * width;
            for (int y = 0; y < height; y++) {
                float[] w = ky.weights[y];
                int row0 = mBase + ky.start[y] * width;
                int o = oBase + y * width;
                for (int k = 0; k < w.length; k++) {
                    float wk = w[k];
                    int r = row0 + k * width;
                    for (int x = 0; x < width; x++) out[o + x] += wk * mid[r + x];
                }
            }
        }
        return new FloatImage(c, height, width, out);
    }

    /** Mirror left–right. */
    public static FloatImage flipHorizontal(FloatImage in) {
        float[] s = in.data();
        float[] out = new float[s.length];
        int w = in.width();
        for (int row = 0; row < in.channels() * in.height(); row++) {
            int b = row * w;
            for (int x = 0; x < w; x++) out[b + x] = s[b + w - 1 - x];
        }
        return new FloatImage(in.channels(), in.height(), w, out);
    }

    /** Mirror top–bottom. */
    public static FloatImage flipVertical(FloatImage in) {
        float[] s = in.data();
        float[] out = new float[s.length];
        int w = in.width();
        int h = in.height();
        for (int c = 0; c < in.channels(); c++) {
            for (int y = 0; y < h; y++) System.arraycopy(s, (c * h + y) * w, out, (c * h + h - 1 - y) * w, w);
        }
        return new FloatImage(in.channels(), h, w, out);
    }

    /** Repeats a one-channel image n times (gray → RGB for an ImageNet-shaped backbone). */
    public static FloatImage repeatChannels(FloatImage in, int n) {
        if (in.channels() == n) return in;
        if (in.channels() != 1) throw new IllegalArgumentException("repeatChannels: need 1 channel, got " + in.channels());
        int plane = in.height() * in.width();
        float[] out = new float[n * plane];
        for (int c = 0; c < n; c++) System.arraycopy(in.data(), 0, out, c * plane, plane);
        return new FloatImage(n, in.height(), in.width(), out);
    }

    /** Maps [0, 1] to [-1, 1] (x·2 − 1), the study's Normalize(mean 0.5, std 0.5). */
    public static FloatImage toSigned(FloatImage in) {
        float[] s = in.data();
        float[] out = new float[s.length];
        for (int i = 0; i < s.length; i++) out[i] = s[i] * 2f - 1f;
        return new FloatImage(in.channels(), in.height(), in.width(), out);
    }

    /** The sub-image of height h and width w whose top-left corner is (top, left). */
    public static FloatImage crop(FloatImage in, int top, int left, int h, int w) {
        if (top < 0 || left < 0 || h <= 0 || w <= 0 || top + h > in.height() || left + w > in.width()) {
            throw new IllegalArgumentException("crop: box " + h + "x" + w + " at (" + top + ", " + left + ") outside "
                    + in.height() + "x" + in.width());
        }
        float[] out = new float[in.channels() * h * w];
        for (int c = 0; c < in.channels(); c++) {
            for (int y = 0; y < h; y++) {
                System.arraycopy(in.data(), (c * in.height() + top + y) * in.width() + left, out, (c * h + y) * w, w);
            }
        }
        return new FloatImage(in.channels(), h, w, out);
    }

    /**
     * Random resized crop: picks a box covering a fraction of the area drawn from [scaleLo, scaleHi] with aspect ratio
     * (width / height) log-uniform in [ratioLo, ratioHi], and resizes it to height × width. Ten tries, then a centre
     * crop with the ratio clamped into range: the sampling rule of torchvision's RandomResizedCrop, which the study's
     * GAN used with scale (0.95, 1) and ratio (0.95, 1.1).
     */
    public static FloatImage randomResizedCrop(FloatImage in, Rng rng, int height, int width,
            double scaleLo, double scaleHi, double ratioLo, double ratioHi) {
        int H = in.height();
        int W = in.width();
        double area = (double) H * W;
        for (int attempt = 0; attempt < 10; attempt++) {
            double target = area * rng.uniform(scaleLo, scaleHi);
            double aspect = Math.exp(rng.uniform(Math.log(ratioLo), Math.log(ratioHi)));
            int w = (int) Math.round(Math.sqrt(target * aspect));
            int h = (int) Math.round(Math.sqrt(target / aspect));
            if (w > 0 && h > 0 && w <= W && h <= H) {
                int top = rng.nextInt(H - h + 1);
                int left = rng.nextInt(W - w + 1);
                return resize(crop(in, top, left, h, w), height, width);
            }
        }
        double r = (double) W / H;
        int w = W;
        int h = H;
        if (r < ratioLo) {
            h = (int) Math.round(w / ratioLo);
        } else if (r > ratioHi) {
            w = (int) Math.round(h * ratioHi);
        }
        return resize(crop(in, (H - h) / 2, (W - w) / 2, h, w), height, width);
    }

    // ---- pipeline steps ----

    public static Step resizeStep(int height, int width) {
        return new Step() {
            public FloatImage apply(FloatImage in, Rng rng) {
                return resize(in, height, width);
            }

            public int[] outShape(int[] chw) {
                return new int[] {chw[0], height, width};
            }
        };
    }

    /** Flips left–right with probability p; always draws one number, so p does not shift later draws. */
    public static Step randomFlipHorizontal(double p) {
        return sameShape((in, rng) -> rng.nextDouble() < p ? flipHorizontal(in) : in);
    }

    /** Flips top–bottom with probability p; always draws one number. */
    public static Step randomFlipVertical(double p) {
        return sameShape((in, rng) -> rng.nextDouble() < p ? flipVertical(in) : in);
    }

    public static Step signedStep() {
        return sameShape((in, rng) -> toSigned(in));
    }

    public static Step channelsStep(int n) {
        return new Step() {
            public FloatImage apply(FloatImage in, Rng rng) {
                return repeatChannels(in, n);
            }

            public int[] outShape(int[] chw) {
                return new int[] {n, chw[1], chw[2]};
            }
        };
    }

    public static Step randomResizedCropStep(int height, int width, double scaleLo, double scaleHi, double ratioLo, double ratioHi) {
        if (!(0 < scaleLo && scaleLo <= scaleHi && scaleHi <= 1) || !(0 < ratioLo && ratioLo <= ratioHi)) {
            throw new IllegalArgumentException("randomResizedCrop: need 0 < scaleLo <= scaleHi <= 1 and 0 < ratioLo <= ratioHi");
        }
        return new Step() {
            public FloatImage apply(FloatImage in, Rng rng) {
                return randomResizedCrop(in, rng, height, width, scaleLo, scaleHi, ratioLo, ratioHi);
            }

            public int[] outShape(int[] chw) {
                return new int[] {chw[0], height, width};
            }
        };
    }

    private interface ShapeKeeping {
        FloatImage apply(FloatImage in, Rng rng);
    }

    private static Step sameShape(ShapeKeeping f) {
        return new Step() {
            public FloatImage apply(FloatImage in, Rng rng) {
                return f.apply(in, rng);
            }

            public int[] outShape(int[] chw) {
                return chw.clone();
            }
        };
    }

    /** Per output sample along one axis: the first input index it reads and the weights of consecutive inputs. */
    static final class Kernel {
        final int[] start;
        final float[][] weights;

        private Kernel(int n) {
            start = new int[n];
            weights = new float[n][];
        }

        static Kernel of(int in, int out) {
            return out < in ? area(in, out) : out > in ? bilinear(in, out) : identity(in);
        }

        private static Kernel identity(int n) {
            Kernel k = new Kernel(n);
            for (int i = 0; i < n; i++) {
                k.start[i] = i;
                k.weights[i] = new float[] {1f};
            }
            return k;
        }

        /** Output o averages the input interval [o·s, (o+1)·s) with s = in/out, weighting partial pixels by overlap. */
        private static Kernel area(int in, int out) {
            Kernel k = new Kernel(out);
            double s = (double) in / out;
            for (int o = 0; o < out; o++) {
                double lo = o * s;
                double hi = Math.min(in, (o + 1) * s);
                int first = (int) Math.floor(lo);
                int last = Math.min(in - 1, (int) Math.ceil(hi) - 1);
                float[] w = new float[last - first + 1];
                for (int i = first; i <= last; i++) {
                    double overlap = Math.min(hi, i + 1) - Math.max(lo, i);
                    w[i - first] = (float) (overlap / s);
                }
                k.start[o] = first;
                k.weights[o] = w;
            }
            return k;
        }

        /** Half-pixel-centre linear interpolation (align_corners=false), source clamped at 0 and at the last pixel. */
        private static Kernel bilinear(int in, int out) {
            Kernel k = new Kernel(out);
            double s = (double) in / out;
            for (int o = 0; o < out; o++) {
                double src = Math.max(0, (o + 0.5) * s - 0.5);
                int i0 = Math.min((int) src, in - 1);
                float lambda = (float) (src - i0);
                k.start[o] = i0;
                k.weights[o] = i0 < in - 1 ? new float[] {1f - lambda, lambda} : new float[] {1f};
            }
            return k;
        }
    }
}
