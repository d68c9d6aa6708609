package org.dpmammo.data;

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
 * <p>The mass stands out from the tissue (tissue blobs weaker than the mass's contrast) and spicules are about a pixel
 * wide at 64×64, bright enough to survive a downscale to 32×32: version 1 drew them at a quarter of a pixel and
 * tissue as strong as the mass, and the demo's small CNN stayed near AUROC 0.6 on it (docs/RESULTS.md, "The demo").
 * Overall brightness (tissue density, film window and gamma) varies less than in version 1: a GAN of a hundred steps
 * learnt to tell the classes apart by it, a difference the real patches do not have.
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
        public static final double DEFAULT_OVERLAP = 0.12;
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

    /**
     * Generator version: bumped whenever a change alters any pixel for a given seed, so that provenance records which
     * phantom a run saw ({@code PhantomTest} pins the pixels of the current version).
     */
    public static final int VERSION = 2;

    /** Angular resolution of the tabulated mass outline. */
    private static final int ANGLES = 720;
    private static final int GAMMA_STEPS = 4096;

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
        double density = rng.uniform(0.3, 0.5); // fatty (dark) to dense (bright)
        double blobAmp = rng.uniform(0.08, 0.2);
        double strandAmp = rng.uniform(0.05, 0.14);
        double theta = rng.uniform(0, Math.PI);
        Fbm blobs = new Fbm(rng, 4, 2, 0.55);
        Fbm patchy = new Fbm(rng, 2, 3, 0.5);
        double theta2 = theta + rng.uniform(0.3, 0.8) * (rng.nextDouble() < 0.5 ? -1 : 1);
        double cosT = Math.cos(theta);
        double sinT = Math.sin(theta);
        double cosT2 = Math.cos(theta2);
        double sinT2 = Math.sin(theta2);
        Fbm warp = new Fbm(rng, 2, 2, 0.5);
        Strands strands1 = new Strands(rng, 1, 45);
        Strands strands2 = new Strands(rng, 2, 90);
        Fbm grain = new Fbm(rng, 2, 32, 0.6);
        boolean skin = rng.nextDouble() < 0.15;
        double skinAngle = rng.uniform(0, 2 * Math.PI);
        double skinDist = rng.uniform(0.42, 0.6);
        double skinBend = rng.uniform(-0.6, 0.6);
        double skinCos = Math.cos(skinAngle);
        double skinSin = Math.sin(skinAngle);
        for (int y = 0; y < n; y++) {
            double v = (y + 0.5) / n;
            for (int x = 0; x < n; x++) {
                double u = (x + 0.5) / n;
                // Strands bend with the tissue: the direction drifts with a slow noise field.
                // The drift is under 0.2 rad, so a second-order expansion of cos and sin of theta + delta suffices.
                double delta = 0.35 * (warp.at(u, v) - 0.5);
                double c = cosT * (1 - 0.5 * delta * delta) - sinT * delta;
                double s = sinT * (1 - 0.5 * delta * delta) + cosT * delta;
                double a = u * c + v * s;
                double b = -u * s + v * c;
                double a2 = u * cosT2 + v * sinT2;
                double b2 = -u * sinT2 + v * cosT2;
                // Strands come and go in patches, crossing at an angle, rather than combing the whole patch.
                double where = Math.max(0, 2.2 * patchy.at(u, v) - 0.6);
                double val = density + blobAmp * (blobs.at(u, v) - 0.5) * 2
                        + strandAmp * where * (strands1.at(a, b) + 0.7 * strands2.at(a2, b2))
                        + 0.03 * (grain.at(u, v) - 0.5);
                if (skin) {
                    // Signed distance to a gently curved skin line; beyond it, air (nearly black).
                    double du = u - 0.5;
                    double dv = v - 0.5;
                    double along = -du * skinSin + dv * skinCos;
                    double d = du * skinCos + dv * skinSin - skinDist + skinBend * along * along;
                    double inside = 1 / (1 + Math.exp(d * n / 1.5));
                    val = val * (0.15 + 0.85 * inside) * (1 - 0.3 * Math.exp(-Math.abs(d) * 12));
                }
                img[y * n + x] = (float) val;
            }
        }
    }

    /** One mass whose outline, margin and spicules are set by the malignancy score m. */
    private static void mass(float[] img, int n, double m, Rng rng) {
        double radius = rng.uniform(0.13, 0.3) * n;
        // The study's crops are shifted towards smaller coordinates (docs/STUDY.md §1.4), so masses sit slightly down-right.
        double cx = n * (0.5 + rng.uniform(-0.04, 0.1));
        double cy = n * (0.5 + rng.uniform(-0.04, 0.1));
        // Ill-defined masses would vanish into the tissue at equal contrast; real malignant cores are dense.
        double contrast = rng.uniform(0.14, 0.26) * (0.8 + 0.6 * m);
        double elong = rng.uniform(0, 0.35);
        double phi = rng.uniform(0, Math.PI);
        // Outline: gentle low-order lobulation for every mass; irregular orders 3 to 12 growing with m cubed.
        int orders = 13;
        double[] amp = new double[orders];
        double[] phase = new double[orders];
        for (int k = 2; k < orders; k++) {
            double lob = k <= 4 ? 0.05 / k * rng.uniform(0, 1.5) : 0;
            double jag = k >= 3 ? 0.9 * m * m * m / Math.pow(k, 1.2) * rng.uniform(0.2, 1.2) : 0;
            amp[k] = lob + jag;
            phase[k] = rng.uniform(0, 2 * Math.PI);
        }
        // Margin width: circumscribed masses fall off within a pixel or two; ill-defined ones over a third of the radius.
        double width = radius * (0.03 + 0.35 * m * m) + 0.5;
        double marginVar = 0.4 * m * m; // how much the margin sharpness changes around the outline
        double[] wAmp = {rng.uniform(0, 1), rng.uniform(0, 1)};
        double[] wPh = {rng.uniform(0, 2 * Math.PI), rng.uniform(0, 2 * Math.PI)};
        boolean halo = m < 0.4 && rng.nextDouble() < 0.4; // the benign "halo sign": a thin lucent rim
        Fbm texture = new Fbm(rng, 3, 6, 0.5);
        // Outline and margin width are tabulated over angle once, instead of summing the series at every pixel.
        double[] rTable = new double[ANGLES + 1];
        double[] wTable = new double[ANGLES + 1];
        for (int j = 0; j <= ANGLES; j++) {
            double ang = -Math.PI + 2 * Math.PI * j / ANGLES;
            rTable[j] = outline(ang, radius, elong, phi, amp, phase);
            wTable[j] = Math.max(0.3, width * (1 + marginVar * 0.8 * (wAmp[0] * Math.cos(3 * ang + wPh[0]) + wAmp[1] * Math.cos(5 * ang + wPh[1]))));
        }
        float[] add = new float[n * n];
        int count = (int) Math.round(Math.max(0, (m - 0.35) * 36 * rng.uniform(0.6, 1.3)));
        for (int i = 0; i < count; i++) {
            double ang = rng.uniform(0, 2 * Math.PI);
            // Rooted on the smooth body, not the jagged outline, so strands do not converge into a bright star at the centre.
            double r0 = radius * (1 + elong * Math.cos(2 * (ang - phi))) * rng.uniform(0.75, 1.0);
            double len = radius * rng.uniform(0.8, 2.8) * (0.3 + m);
            double bend = rng.uniform(-0.25, 0.25);
            // About a pixel wide at 64×64 (they scale with the patch), so they survive the demo CNN's 32×32 input.
            double w0 = n / 64.0 * rng.uniform(0.5, 0.9);
            double a = contrast * rng.uniform(0.25, 0.5);
            spicule(add, n, cx + r0 * Math.cos(ang), cy + r0 * Math.sin(ang), ang, len, bend, w0, a);
        }
        for (int y = 0; y < n; y++) {
            for (int x = 0; x < n; x++) {
                double dx = x + 0.5 - cx;
                double dy = y + 0.5 - cy;
                double d = Math.sqrt(dx * dx + dy * dy);
                double pos = (Math.atan2(dy, dx) + Math.PI) / (2 * Math.PI) * ANGLES;
                int j = Math.min(ANGLES - 1, (int) pos);
                double f = pos - j;
                double r = rTable[j] + f * (rTable[j + 1] - rTable[j]);
                double w = wTable[j] + f * (wTable[j + 1] - wTable[j]);
                double inside = 1 / (1 + Math.exp((d - r) / w));
                double dome = 1 + 0.35 * Math.max(0, 1 - d / r);
                double tex = 1 + 0.35 * (texture.at(x / (double) n, y / (double) n) - 0.5);
                double val = contrast * inside * dome * tex;
                if (halo) {
                    double h = (d - r - 1.5 * w - 1) / (0.5 + 0.02 * radius);
                    val -= 0.02 * Math.exp(-h * h);
                }
                img[y * n + x] += (float) val + add[y * n + x];
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

    /**
     * Adds a thin bright strand from (x0, y0) outward along ang: slightly curved, tapering to nothing over len pixels.
     * Only the pixels of its bounding box are visited.
     */
    private static void spicule(float[] dst, int n, double x0, double y0, double ang, double len, double bend, double w0, double amp) {
        double c = Math.cos(ang);
        double s = Math.sin(ang);
        // The strand stays within |bend|·len of its chord, plus four widths of falloff.
        double pad = Math.abs(bend) * len + 4 * w0 + 1;
        int xa = Math.max(0, (int) Math.floor(Math.min(x0, x0 + c * len) - pad));
        int xb = Math.min(n - 1, (int) Math.ceil(Math.max(x0, x0 + c * len) + pad));
        int ya = Math.max(0, (int) Math.floor(Math.min(y0, y0 + s * len) - pad));
        int yb = Math.min(n - 1, (int) Math.ceil(Math.max(y0, y0 + s * len) + pad));
        for (int y = ya; y <= yb; y++) {
            for (int x = xa; x <= xb; x++) {
                double dx = x + 0.5 - x0;
                double dy = y + 0.5 - y0;
                double along = dx * c + dy * s;
                if (along < 0 || along > len) continue;
                double t = along / len;
                double across = -dx * s + dy * c - bend * len * t * t;
                double width = w0 * (1 - 0.8 * t);
                if (Math.abs(across) > 4 * width) continue;
                dst[y * n + x] += (float) (amp * (1 - t) * Math.exp(-across * across / (width * width)));
            }
        }
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
        double lo = rng.uniform(0, 0.1);
        double hi = rng.uniform(0.9, 1.1);
        double gamma = rng.uniform(0.9, 1.2);
        double grain = rng.uniform(0.003, 0.012);
        // The gamma curve is tabulated finely enough (4096 steps, linear in between) to be exact at 8-bit output.
        double[] curve = new double[GAMMA_STEPS + 2];
        for (int i = 0; i <= GAMMA_STEPS; i++) curve[i] = Math.pow((double) i / GAMMA_STEPS, gamma);
        curve[GAMMA_STEPS + 1] = 1;
        for (int i = 0; i < img.length; i++) {
            double v = Math.max(0, Math.min(1, (blurred[i] - lo) / (hi - lo))) * GAMMA_STEPS;
            int k = (int) v;
            img[i] = (float) (curve[k] + (v - k) * (curve[k + 1] - curve[k]) + grain * rng.nextGaussian());
        }
    }

    /**
     * Value noise with smoothstep interpolation on a lattice of at least the requested number of cells per axis. The
     * lattice side is rounded up to a power of two so that wrapping is a bit mask: an integer division per lookup
     * was the generator's largest cost. Callers request enough cells that no pattern repeats within a patch.
     */
    private static final class Lattice {
        private final int maskX;
        private final int maskY;
        private final int nx;
        private final float[] v;

        Lattice(Rng rng, int cellsX, int cellsY) {
            nx = Integer.highestOneBit(Math.max(1, cellsX) * 2 - 1);
            int ny = Integer.highestOneBit(Math.max(1, cellsY) * 2 - 1);
            maskX = nx - 1;
            maskY = ny - 1;
            v = new float[nx * ny];
            for (int i = 0; i < v.length; i++) v[i] = rng.nextFloat();
        }

        /** Value at (x, y) in lattice cells; wraps around. */
        double at(double x, double y) {
            double fx = Math.floor(x);
            double fy = Math.floor(y);
            int x0 = (int) fx & maskX;
            int y0 = (int) fy & maskY;
            int x1 = (x0 + 1) & maskX;
            int y1 = (y0 + 1) & maskY;
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
            for (int o = 0; o < count; o++) octaves[o] = new Lattice(rng, (base << o) + 1, (base << o) + 1);
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
            // Rotated coordinates span about 2.9 units (a patch diagonal each way), so 3 units of cells never repeat.
            lattice = new Lattice(rng, along * 3, across * 3);
        }

        double at(double a, double b) {
            double r = 1 - Math.abs(2 * lattice.at(a * along, b * across) - 1);
            double r2 = r * r;
            return r2 * r2 * r2 * r;
        }
    }
}
