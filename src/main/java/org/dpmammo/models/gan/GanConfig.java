package org.dpmammo.models.gan;

import java.util.Locale;

/**
 * The shape of the conditional DCGAN (docs/STUDY.md §2.2–2.4) and the two places where dpmammo may deviate from the study.
 *
 * @param imageSize     64 or 128: the number of stride-2 stages is log₂(size) − 2, so 128 is the study's six-layer
 *                      network and 64 drops one stage from each network
 * @param latentSize    z's length (study: 100)
 * @param ngf           generator width: its last hidden layer has ngf channels, each earlier one twice as many (64)
 * @param ndf           discriminator width: its first layer has ndf channels, each later one twice as many (64)
 * @param embeddingSize the condition embedding's length (50)
 * @param generatorNorm     the normalisation after each hidden transposed convolution of G
 * @param discriminatorNorm the normalisation after each hidden convolution of D but the first; DP training needs
 *                          INSTANCE or NONE here (BatchNorm mixes the examples of a batch), while G's may be any, since
 *                          G never reads a record
 * @param realRange     the range real images are fed to D in; see {@link RealRange}
 * @param upsampling    how G's stride-2 stages upsample; see {@link Upsampling}
 */
public record GanConfig(int imageSize, int latentSize, int ngf, int ndf, int embeddingSize, Norm generatorNorm, Norm discriminatorNorm,
                        RealRange realRange, Upsampling upsampling) {
    /**
     * How each stride-2 stage of G doubles the resolution. TRANSPOSED is the study's ConvTranspose2d k4 s2 p1.
     * RESIZE is dpmammo's option: nearest-neighbour ×2 then Conv2d k3 s1 p1 (Odena et al. 2016): every output pixel
     * then sees the same number of kernel taps, so the transposed convolution's pixel-scale checkerboard cannot
     * arise; it costs 9/4 of the transposed convolution's multiply-adds per stage. The first layer (1×1 → 4×4) stays
     * a transposed convolution either way.
     */
    public enum Upsampling {
        TRANSPOSED, RESIZE;

        public static Upsampling parse(String s) {
            return switch (s.toLowerCase(Locale.ROOT)) {
                case "transposed" -> TRANSPOSED;
                case "resize" -> RESIZE;
                default -> throw new IllegalArgumentException("upsampling must be transposed or resize, got '" + s + "'");
            };
        }
    }

    /**
     * The study's code builds InstanceNorm2d without affine parameters by default (docs/STUDY.md §8.3); BatchNorm is its
     * option. NONE is dpmammo's: in D, both norms rescale each channel per image (instance) or per batch of only-real
     * or only-fake images (batch), which hides from D how much fine texture an image carries as a whole; without a
     * norm that stays visible (docs/GAN.md). NONE keeps an Identity in the norm's place, so state-dict names do not move.
     */
    public enum Norm {
        INSTANCE, BATCH, NONE;

        public static Norm parse(String s) {
            return switch (s.toLowerCase(Locale.ROOT)) {
                case "instance" -> INSTANCE;
                case "batch" -> BATCH;
                case "none" -> NONE;
                default -> throw new IllegalArgumentException("norm must be instance, batch or none, got '" + s + "'");
            };
        }

        /**
         * Whether the norm couples the examples of a batch (BatchNorm's batch statistics). A network without such a
         * norm computes each example on its own: it has per-example gradients (DP-SGD) and gives the same outputs
         * whichever examples share its batch.
         */
        public boolean mixesExamples() {
            return this == BATCH;
        }
    }

    /**
     * The study loads real patches in [0, 1] (its Normalize is commented out) while the generator ends in tanh, whose
     * range is [−1, 1]: D can tell real from fake by any negative pixel, and samples are read by clamping to [0, 1]
     * (docs/STUDY.md §2.5). {@code UNIT} reproduces that; {@code SIGNED} scales real images to [−1, 1] to match tanh, and
     * samples are read as (x + 1)/2.
     */
    public enum RealRange {
        UNIT, SIGNED;

        public static RealRange parse(String s) {
            return switch (s.toLowerCase(Locale.ROOT)) {
                case "unit" -> UNIT;
                case "signed" -> SIGNED;
                default -> throw new IllegalArgumentException("real range must be unit or signed, got '" + s + "'");
            };
        }

        /** A generator output value as a pixel level in [0, 1] (clamped later when written). */
        public float toUnit(float g) {
            return this == UNIT ? g : (g + 1) / 2;
        }
    }

    /** The LeakyReLU slope of both networks' condition paths and of D (study: 0.1). */
    public static final float LEAK = 0.1f;
    /** Std of the N(0, std²) initialisation of every (transposed) convolution weight, and BatchNorm γ around 1. */
    public static final double INIT_STD = 0.02;
    /** Two conditions: 0 = malignant, 1 = benign (the study's convention, as {@code data.Labels}). */
    public static final int CLASSES = 2;

    public GanConfig {
        if (imageSize != 64 && imageSize != 128) throw new IllegalArgumentException("image size must be 64 or 128, got " + imageSize);
        if (latentSize < 1 || ngf < 1 || ndf < 1 || embeddingSize < 1) {
            throw new IllegalArgumentException("latent size, ngf, ndf and embedding size must be positive, got " + latentSize + ", " + ngf + ", " + ndf + ", " + embeddingSize);
        }
        if (generatorNorm == null || discriminatorNorm == null || realRange == null || upsampling == null) {
            throw new IllegalArgumentException("norms, real range and upsampling must be given");
        }
    }

    /** The study's transposed-convolution generator. */
    public GanConfig(int imageSize, int latentSize, int ngf, int ndf, int embeddingSize, Norm generatorNorm, Norm discriminatorNorm, RealRange realRange) {
        this(imageSize, latentSize, ngf, ndf, embeddingSize, generatorNorm, discriminatorNorm, realRange, Upsampling.TRANSPOSED);
    }

    /** Both networks with the same normalisation, as the study's code builds them. */
    public GanConfig(int imageSize, int latentSize, int ngf, int ndf, int embeddingSize, Norm norm, RealRange realRange) {
        this(imageSize, latentSize, ngf, ndf, embeddingSize, norm, norm, realRange);
    }

    /** "instance", "batch", or "G batch / D instance" when they differ: for logs. */
    public String normDescription() {
        String g = generatorNorm.name().toLowerCase(Locale.ROOT), d = discriminatorNorm.name().toLowerCase(Locale.ROOT);
        return g.equals(d) ? g : "G " + g + " / D " + d;
    }

    /** The study's model: 128×128, z of 100, ngf = ndf = 64, embedding 50, InstanceNorm, real images in [0, 1]. */
    public static GanConfig paper() {
        return new GanConfig(128, 100, 64, 64, 50, Norm.INSTANCE, RealRange.UNIT);
    }

    /**
     * A model that trains on CPU cores within the hour: 64×64, ngf = ndf = 32 (about 1/25 of the study's multiply-adds
     * per image), real images in [−1, 1] to match tanh, BatchNorm (the study code's option) and resize-convolution
     * upsampling. On CBIS-DDSM an InstanceNorm generator collapsed to one grey texture within 20 epochs, a BatchNorm
     * one kept real-like diversity; transposed convolutions left pixel-scale checkerboard noise (twice the real
     * patches' neighbour differences), resize convolutions did not; width 16 stayed at soft blobs after 100 epochs
     * (docs/GAN.md). Trained with batch 16 and Adam 2e-4 ({@code GanTrainer.Options.preset}).
     */
    public static GanConfig cpu() {
        return new GanConfig(64, 100, 32, 32, 50, Norm.BATCH, Norm.BATCH, RealRange.SIGNED, Upsampling.RESIZE);
    }

    public static GanConfig preset(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "paper" -> paper();
            case "cpu" -> cpu();
            default -> throw new IllegalArgumentException("preset must be paper or cpu, got '" + name + "'");
        };
    }

    /** Stride-2 stages between 4×4 and the image size: 5 at 128, 4 at 64. */
    public int stages() {
        return Integer.numberOfTrailingZeros(imageSize) - 2;
    }
}
