package org.dpmammo.train.gan;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.dpmammo.autograd.Grad;
import org.dpmammo.autograd.Variable;
import org.dpmammo.data.ContactSheet;
import org.dpmammo.data.GrayImage;
import org.dpmammo.data.ImageIo;
import org.dpmammo.data.Labels;
import org.dpmammo.models.gan.GanConfig;
import org.dpmammo.models.gan.Generator;
import org.dpmammo.tensor.Tensor;
import org.dpmammo.util.Scope;
import org.dpmammo.util.Rng;

/** Draws labelled images from a generator: z ~ N(0, 1), outputs mapped to 8-bit pixels per the model's real range. */
public final class GanSampler {
    private GanSampler() {}

    /** Labels for count images: all of one class, or alternating benign/malignant for "balanced". */
    public static int[] labels(String mode, int count) {
        int[] out = new int[count];
        for (int i = 0; i < count; i++) {
            out[i] = switch (mode) {
                case "benign" -> Labels.BENIGN;
                case "malignant" -> Labels.MALIGNANT;
                case "balanced" -> i % 2 == 0 ? Labels.BENIGN : Labels.MALIGNANT;
                default -> throw new IllegalArgumentException("class must be benign, malignant or balanced, got '" + mode + "'");
            };
        }
        return out;
    }

    /** Generated images for the given labels, in the generator's mode (eval for sampling), batch by batch. */
    public static List<GrayImage> generate(Generator g, int[] labels, Rng rng, int batch) {
        GanConfig c = g.config;
        int size = c.imageSize(), nz = c.latentSize();
        List<GrayImage> out = new ArrayList<>(labels.length);
        try (Scope ignored = Grad.noGrad()) {
            for (int from = 0; from < labels.length; from += batch) {
                int b = Math.min(batch, labels.length - from);
                float[] z = new float[b * nz];
                for (int i = 0; i < z.length; i++) z[i] = (float) rng.nextGaussian();
                int[] lab = Arrays.copyOfRange(labels, from, from + b);
                float[] x = g.forward(Variable.constant(Tensor.of(z, b, nz, 1, 1)), lab).value().toArray();
                int per = size * size;
                for (int i = 0; i < b; i++) {
                    float[] px = new float[per];
                    for (int p = 0; p < per; p++) px[p] = c.realRange().toUnit(x[i * per + p]);
                    out.add(GrayImage.fromUnit(px, size, size));
                }
            }
        }
        return out;
    }

    /**
     * Writes count images as {@code sample_<i>_<benign|malignant>.png} (the flat layout the data package reads back)
     * and {@code preview/contact_sheet.png} (up to 32 per class, benign above the white band; in a sub-folder so that out
     * stays a flat labelled folder that {@code Datasets} reads back). Returns the labels written.
     */
    public static int[] write(Generator g, String mode, int count, long seed, Path out) throws IOException {
        return write(g, mode, count, seed, out, null);
    }

    /** Images per generator pass; z is drawn batch after batch from one stream, so the images do not depend on it. */
    private static final int BATCH = 32;
    /** From this many images on, progress is reported at every tenth of the count. */
    public static final int PROGRESS_FROM = 1000;

    /**
     * As {@link #write(Generator, String, int, long, Path)}, generating and writing one batch at a time (a million
     * images no longer have to fit in memory before the first file appears) and, for {@value #PROGRESS_FROM} images
     * or more, printing "sampled i of count" to {@code progress} (if not null) at every tenth.
     */
    public static int[] write(Generator g, String mode, int count, long seed, Path out, PrintStream progress) throws IOException {
        int[] labels = labels(mode, count);
        Files.createDirectories(out);
        Rng rng = new Rng(seed);
        List<GrayImage> benign = new ArrayList<>(), malignant = new ArrayList<>();
        int reported = 0;
        for (int from = 0; from < count; from += BATCH) {
            int to = Math.min(count, from + BATCH);
            List<GrayImage> images = generate(g, Arrays.copyOfRange(labels, from, to), rng, BATCH);
            for (int i = from; i < to; i++) {
                GrayImage image = images.get(i - from);
                ImageIo.writePng(out.resolve(String.format("sample_%06d_%s.png", i, Labels.name(labels[i]))), image);
                List<GrayImage> side = labels[i] == Labels.BENIGN ? benign : malignant;
                if (side.size() < 32) side.add(image);
            }
            int tenths = (int) (10L * to / count);
            if (progress != null && count >= PROGRESS_FROM && tenths > reported) {
                reported = tenths;
                progress.printf("sampled %d of %d images%n", to, count);
            }
        }
        ImageIo.writePng(out.resolve("preview").resolve("contact_sheet.png"), sheet(benign, malignant));
        return labels;
    }

    /** A labelled sheet: benign rows above the white band, malignant below; one class alone is a plain grid. */
    static GrayImage sheet(List<GrayImage> benign, List<GrayImage> malignant) {
        if (benign.isEmpty()) return ContactSheet.grid(malignant, 8, 2, 0f);
        if (malignant.isEmpty()) return ContactSheet.grid(benign, 8, 2, 0f);
        return ContactSheet.byClass(benign, malignant, 8, 2);
    }

    /**
     * Mean pairwise root-mean-square pixel distance (levels in [0, 1]) between images of one class: near 0 when the
     * generator maps different z to the same image (mode collapse).
     */
    public static double diversity(List<GrayImage> images) {
        int n = images.size();
        if (n < 2) return Double.NaN;
        List<float[]> px = new ArrayList<>();
        for (GrayImage g : images) px.add(g.toUnit().data());
        double sum = 0;
        int pairs = 0;
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) {
                float[] a = px.get(i), b = px.get(j);
                double s = 0;
                for (int p = 0; p < a.length; p++) s += (a[p] - b[p]) * (a[p] - b[p]);
                sum += Math.sqrt(s / a.length);
                pairs++;
            }
        }
        return sum / pairs;
    }
}
