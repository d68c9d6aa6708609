package org.dpmammo.data;

import java.util.ArrayList;
import java.util.List;
import org.dpmammo.util.Rng;

/**
 * Synthetic mammography mass patches, generated on the fly from a seed: the project's built-in dataset, so that
 * every command and test can run with no files.
 *
 * <p>Each patch is textured breast tissue (multi-octave value noise for dense and fatty regions, ridged anisotropic
 * noise for fibrous strands, fine grain for film noise, sometimes the skin line with dark background beyond) with one
 * mass near the centre. Each mass has a latent malignancy score m in [0, 1], drawn around 0.3 for benign and 0.7 for
 * malignant cases with spread {@link Config#overlap}; m drives what radiologists read: a low-m mass is round or oval
 * with a smooth, sharp (circumscribed) margin, a high-m mass has an irregular, jagged outline, an ill-defined margin
 * and spicules radiating out. Because the classes' m overlap and a fraction {@link Config#labelNoise} of labels is
 * flipped, the task is learnable but not perfectly separable.
 *
 * <p>Everything a patch contains is a function of (seed, index), so any example can be generated alone, in any
 * order, on any thread, and the same seed always gives the same pixels.
 */
public final class Phantom {
    /**
     * Generator settings.
     *
     * @param size patch side in pixels (the study's are 128; 64 for quick runs)
     * @param overlap standard deviation of the latent malignancy score within a class; larger means harder
     * @param labelNoise probability that a patch's observed label is the other class
     */
    public record Config(int size, double overlap, double labelNoise) {
        public static final double DEFAULT_OVERLAP = 0.16;
        public static final double DEFAULT_LABEL_NOISE = 0.04;

        public Config {
            if (size < 16 || size > 1024) throw new IllegalArgumentException("phantom size must be in [16, 1024], got " + size);
            if (!(overlap >= 0 && overlap <= 1)) throw new IllegalArgumentException("phantom overlap must be in [0, 1], got " + overlap);
            if (!(labelNoise >= 0 && labelNoise <= 0.5)) {
                throw new IllegalArgumentException("phantom label noise must be in [0, 0.5], got " + labelNoise);
            }
        }

        public static Config of(int size) {
            return new Config(size, DEFAULT_OVERLAP, DEFAULT_LABEL_NOISE);
        }
    }

    /** One generated patch with its observed label, its true class and its latent score. */
    public record Sample(GrayImage image, int label, int trueLabel, double malignancy) {}

    private final Config config;
    private final long seed;

    public Phantom(Config config, long seed) {
        this.config = config;
        this.seed = seed;
    }

    public Config config() {
        return config;
    }

    public long seed() {
        return seed;
    }

    /** The true class of patch i: classes alternate, so any prefix of the sequence is balanced. */
    public static int trueLabel(int index) {
        return index % 2 == 0 ? Labels.BENIGN : Labels.MALIGNANT;
    }

    /** The observed label of patch i (the true class, flipped with probability labelNoise), without drawing pixels. */
    public int label(int index) {
        Rng r = stream(index, 1);
        return r.nextDouble() < config.labelNoise() ? 1 - trueLabel(index) : trueLabel(index);
    }

    public Sample sample(int index) {
        if (index < 0) throw new IllegalArgumentException("phantom index must be non-negative, got " + index);
        int truth = trueLabel(index);
        Rng rng = stream(index, 2);
        double centre = truth == Labels.BENIGN ? 0.3 : 0.7;
        double m = Math.max(0, Math.min(1, centre + config.overlap() * rng.nextGaussian()));
        float[] px = render(config.size(), m, rng);
        return new Sample(GrayImage.fromUnit(px, config.size(), config.size()), label(index), truth, m);
    }

    private Rng stream(int index, long purpose) {
        return new Rng(seed).fork(index).fork(purpose);
    }

    // ---- rendering ----

    private static float[] render(int n, double m, Rng rng) {
        float[] img = new float[n * n];
        tissue(img, n, rng);
        mass(img, n, m, rng);
        finish(img, n, rng);
        return img;
    }

    /** Breast parenchyma: density blobs, fibrous strands along a dominant direction, fine grain, maybe a skin line. */
    private static void tissue(float[] img, int n, Rng rng) {
        double density = rng.uniform(0.2, 0.6); // fatty (dark) to dense (bright)
        double blobAmp = rng.uniform(0.15, 0.35);
        double strandAmp = rng.uniform(0.06, 0.16);
        double theta = rng.uniform(0, Math.PI);
        Fbm blobs = new Fbm(rng, 3, 4, 0.55);
        Fbm warp = new Fbm(rng, 2, 2, 0.5);
        Strands strands1 = new Strands(rng, 3, 36);
        Strands strands2 = new Strands(rng, 5, 70);
        Fbm grain = new Fbm(rng, 2, 48, 0.6);
        boolean skin = rng.nextDouble() < 0.15;
        double skinAngle = rng.uniform(0, 2 * Math.PI);
        double skinDist = rng.uniform(0.42, 0.6);
        double skinBend = rng.uniform(-0.6, 0.6);
        for (int y = 0; y < n; y++) {
            double v = (y + 0.5) / n;
            for (int x = 0; x < n; x++) {
                double u = (x + 0.5) / n;
                // Strands bend with the tissue: the direction drifts with a slow noise field.
                double t = theta + 0.9 * (warp.at(u, v) - 0.5);
                double c = Math.cos(t);
                double s = Math.sin(t);
                double a = u * c + v * s;
                double b = -u * s + v * c;
                double val = density + blobAmp * (blobs.at(u, v) - 0.5) * 2
                        + strandAmp * (strands1.at(a, b) + 0.6 * strands2.at(a + 0.37, b + 0.11))
                        + 0.05 * (grain.at(u, v) - 0.5);
                if (skin) {
                    // Signed distance to a gently curved skin line; beyond it, air (nearly black).
                    double du = u - 0.5;
                    double dv = v - 0.5;
                    double along = -du * Math.sin(skinAngle) + dv * Math.cos(skinAngle);
                    double d = du * Math.cos(skinAngle) + dv * Math.sin(skinAngle) - skinDist + skinBend * along * along;
                    double inside = 1 / (1 + Math.exp(d * n / 1.5));
                    val = val * (0.15 + 0.85 * inside) * (1 - 0.3 * Math.exp(-Math.abs(d) * 12));
                }
                img[y * n + x] = (float) val;
            }
        }
    }

    /** One mass whose outline, margin and spicules are set by the malignancy score m. */
    private static void mass(float[] img, int n, double m, Rng rng) {
        double radius = rng.uniform(0.1, 0.24) * n;
        // The study's crops are shifted towards smaller coordinates (paper.md 1.4), so masses sit slightly down-right.
        double cx = n * (0.5 + rng.uniform(-0.04, 0.1));
        double cy = n * (0.5 + rng.uniform(-0.04, 0.1));
        double contrast = rng.uniform(0.18, 0.4);
        double elong = rng.uniform(0, 0.35);
        double phi = rng.uniform(0, Math.PI);
        // Outline: smooth low-order lobulation for every mass, jagged high orders growing with m.
        int orders = 24;
        double[] amp = new double[orders];
        double[] phase = new double[orders];
        for (int k = 2; k < orders; k++) {
            double lob = k <= 4 ? 0.05 / k * rng.uniform(0, 1.5) : 0;
            double jag = k >= 5 ? 0.33 * m * m * m / Math.pow(k, 0.65) * rng.uniform(0.3, 1.2) : 0;
            amp[k] = lob + jag;
            phase[k] = rng.uniform(0, 2 * Math.PI);
        }
        // Margin width: circumscribed masses fall off within a pixel or two; ill-defined ones over a third of the radius.
        double width = radius * (0.04 + 0.4 * m * m) + 0.5;
        double marginVar = m * m; // how much the margin sharpness changes around the outline
        double[] wAmp = {rng.uniform(0, 1), rng.uniform(0, 1)};
        double[] wPh = {rng.uniform(0, 2 * Math.PI), rng.uniform(0, 2 * Math.PI)};
        boolean halo = m < 0.4 && rng.nextDouble() < 0.4; // the benign "halo sign": a thin lucent rim
        Fbm texture = new Fbm(rng, 3, 6, 0.5);
        List<double[]> spicules = new ArrayList<>();
        int count = (int) Math.round(Math.max(0, (m - 0.3) * 40 * rng.uniform(0.5, 1.3)));
        for (int i = 0; i < count; i++) {
            double ang = rng.uniform(0, 2 * Math.PI);
            double r0 = outline(ang, radius, elong, phi, amp, phase) * 0.85;
            double len = radius * rng.uniform(0.5, 1.6) * (0.5 + m);
            double bend = rng.uniform(-0.25, 0.25);
            double w0 = n / 128.0 * rng.uniform(0.7, 1.6);
            double a = contrast * rng.uniform(0.35, 0.8);
            spicules.add(new double[] {cx + r0 * Math.cos(ang), cy + r0 * Math.sin(ang), ang, len, bend, w0, a});
        }
        for (int y = 0; y < n; y++) {
            for (int x = 0; x < n; x++) {
                double dx = x + 0.5 - cx;
                double dy = y + 0.5 - cy;
                double d = Math.hypot(dx, dy);
                double ang = Math.atan2(dy, dx);
                double r = outline(ang, radius, elong, phi, amp, phase);
                double w = width * (1 + marginVar * (wAmp[0] * Math.cos(3 * ang + wPh[0]) + wAmp[1] * Math.cos(5 * ang + wPh[1])) * 0.8);
                double inside = 1 / (1 + Math.exp((d - r) / Math.max(0.3, w)));
                double dome = 1 + 0.35 * Math.max(0, 1 - d / r);
                double tex = 1 + 0.35 * (texture.at(x / (double) n, y / (double) n) - 0.5);
                double val = contrast * inside * dome * tex;
                if (halo) val -= 0.06 * Math.exp(-Math.pow((d - r - 1.5 * w - 1) / (0.6 + 0.04 * radius), 2));
                for (double[] sp : spicules) val += spicule(x + 0.5, y + 0.5, sp);
                img[y * n + x] += (float) val;
            }
        }
    }

    /** Outline radius at angle ang: an ellipse-like base times a Fourier series of lobes and jags. */
    private static double outline(double ang, double radius, double elong, double phi, double[] amp, double[] phase) {
        double r = 1 + elong * Math.cos(2 * (ang - phi));
        double f = 1;
        for (int k = 2; k < amp.length; k++) f += amp[k] * Math.cos(k * ang + phase[k]);
        return radius * r * Math.max(0.35, f);
    }

    /** A thin bright strand from the mass outward, slightly curved, tapering to nothing. */
    private static double spicule(double x, double y, double[] sp) {
        double dx = x - sp[0];
        double dy = y - sp[1];
        double c = Math.cos(sp[2]);
        double s = Math.sin(sp[2]);
        double along = dx * c + dy * s;
        if (along < 0 || along > sp[3]) return 0;
        double t = along / sp[3];
        double across = -dx * s + dy * c - sp[4] * sp[3] * t * t;
        double width = sp[5] * (1 - 0.8 * t);
        if (Math.abs(across) > 4 * width) return 0;
        return sp[6] * (1 - t) * Math.exp(-across * across / (width * width));
    }

    /** Film look: random window and gamma (patches were min-max scaled per mammogram), slight blur, grain. */
    private static void finish(float[] img, int n, Rng rng) {
        float[] blurred = new float[img.length];
        for (int y = 0; y < n; y++) {
            for (int x = 0; x < n; x++) {
                double acc = 0;
                double wsum = 0;
                for (int j = -1; j <= 1; j++) {
                    for (int i = -1; i <= 1; i++) {
                        int xx = Math.min(n - 1, Math.max(0, x + i));
                        int yy = Math.min(n - 1, Math.max(0, y + j));
                        double w = (i == 0 ? 2 : 1) * (j == 0 ? 2 : 1);
                        acc += w * img[yy * n + xx];
                        wsum += w;
                    }
                }
                blurred[y * n + x] = (float) (acc / wsum);
            }
        }
        double lo = rng.uniform(-0.05, 0.15);
        double hi = rng.uniform(0.85, 1.15);
        double gamma = rng.uniform(0.8, 1.3);
        double grain = rng.uniform(0.005, 0.02);
        for (int i = 0; i < img.length; i++) {
            double v = (blurred[i] - lo) / (hi - lo);
            v = Math.pow(Math.max(0, Math.min(1, v)), gamma) + grain * rng.nextGaussian();
            img[i] = (float) v;
        }
    }

    /** Periodic value noise on an nx × ny lattice with smoothstep interpolation. */
    private static final class Lattice {
        private final int nx;
        private final int ny;
        private final float[] v;

        Lattice(Rng rng, int nx, int ny) {
            this.nx = nx;
            this.ny = ny;
            v = new float[nx * ny];
            for (int i = 0; i < v.length; i++) v[i] = rng.nextFloat();
        }

        /** Value at (x, y) in lattice cells; wraps around. */
        double at(double x, double y) {
            double fx = Math.floor(x);
            double fy = Math.floor(y);
            int x0 = Math.floorMod((int) fx, nx);
            int y0 = Math.floorMod((int) fy, ny);
            int x1 = (x0 + 1) % nx;
            int y1 = (y0 + 1) % ny;
            double tx = smooth(x - fx);
            double ty = smooth(y - fy);
            double a = v[y0 * nx + x0] + tx * (v[y0 * nx + x1] - v[y0 * nx + x0]);
            double b = v[y1 * nx + x0] + tx * (v[y1 * nx + x1] - v[y1 * nx + x0]);
            return a + ty * (b - a);
        }

        private static double smooth(double t) {
            return t * t * (3 - 2 * t);
        }
    }

    /** Fractal sum of lattice noise: octaves doubling in frequency, each weaker by the persistence; result in [0, 1]. */
    private static final class Fbm {
        private final Lattice[] octaves;
        private final int base;
        private final double persistence;

        Fbm(Rng rng, int count, int base, double persistence) {
            this.base = base;
            this.persistence = persistence;
            octaves = new Lattice[count];
            for (int o = 0; o < count; o++) octaves[o] = new Lattice(rng, base << o, base << o);
        }

        double at(double u, double v) {
            double sum = 0;
            double norm = 0;
            double a = 1;
            for (int o = 0; o < octaves.length; o++) {
                int f = base << o;
                sum += a * octaves[o].at(u * f, v * f);
                norm += a;
                a *= persistence;
            }
            return sum / norm;
        }
    }

    /** Ridged noise stretched along one axis: thin bright lines, the look of ducts and Cooper's ligaments. */
    private static final class Strands {
        private final Lattice lattice;
        private final int along;
        private final int across;

        Strands(Rng rng, int along, int across) {
            this.along = along;
            this.across = across;
            lattice = new Lattice(rng, along * 2, across * 2);
        }

        double at(double a, double b) {
            double r = 1 - Math.abs(2 * lattice.at(a * along, b * across) - 1);
            return r * r * r;
        }
    }
}
