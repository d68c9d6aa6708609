package org.dpmammo.train.gan;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.dpmammo.data.Dataset;
import org.dpmammo.data.FloatImage;
import org.dpmammo.data.Labels;
import org.dpmammo.data.Transforms;
import org.dpmammo.models.radiomics.RadiomicsFeatures;
import org.dpmammo.util.Rng;

/**
 * Generator quality in the study's form (docs/STUDY.md §2.6): Fréchet radiomics distance for real–real, real–synthetic and
 * synthetic–synthetic pairs, each as mean ± std over repeated random draws, plus per-class manifold precision and
 * recall.
 *
 * <p>Every pair compares two disjoint sets of the same size m = ⌊min(n_real, n_synthetic)/2⌋, because a Fréchet
 * distance between finite samples is biased upwards by about tr(C)/m per set: equal m keeps the three rows
 * comparable. Features are standardised with the real set's mean and standard deviation, so every feature weighs
 * alike and the numbers do not depend on the synthetic set.
 */
public final class QualityReport {
    /** Per-image feature vectors (rows) and labels of one dataset. */
    public record Features(double[][] rows, int[] labels, String description) {}

    /** One row of the distance table. */
    public record Distance(String pair, double mean, double std, double[] draws) {}

    /** Precision and recall of the synthetic set against the real set for one class (or "all"). */
    public record ClassPrecisionRecall(String label, int real, int synthetic, double precision, double recall) {}

    /**
     * {@code precisionRecall}: synthetic against real per class; {@code realBaseline}: one random half of each real
     * class against the other, the values a generator that reproduced the real distribution would reach at that size.
     */
    public record Report(String real, String synthetic, int realCount, int syntheticCount, int setSize, int repeats, int k,
            List<Distance> distances, List<ClassPrecisionRecall> precisionRecall, List<ClassPrecisionRecall> realBaseline) {}

    private QualityReport() {}

    /** Radiomics features of every image of a dataset, resized to size × size first (so sets of two resolutions compare). */
    public static Features extract(Dataset data, int size) {
        int n = data.size();
        double[][] rows = new double[n][];
        int[] labels = new int[n];
        IntStream.range(0, n).parallel().forEach(i -> {
            try {
                FloatImage img = data.image(i).toUnit();
                if (img.height() != size || img.width() != size) img = Transforms.resize(img, size, size);
                rows[i] = RadiomicsFeatures.of(img.data(), size, size);
                labels[i] = data.label(i);
            } catch (IOException e) {
                throw new UncheckedIOException(data.name(i) + ": " + e.getMessage(), e);
            }
        });
        return new Features(rows, labels, data.description());
    }

    public static Report evaluate(Features real, Features synthetic, int repeats, int k, long seed) {
        int m = Math.min(real.rows().length, synthetic.rows().length) / 2;
        if (m < 2) throw new IllegalArgumentException("quality: need at least 4 real and 4 synthetic images, got " + real.rows().length + " and " + synthetic.rows().length);
        if (repeats < 1) throw new IllegalArgumentException("quality: repeats must be at least 1, got " + repeats);
        double[][] mean = new double[1][], std = new double[1][];
        standardiser(real.rows(), mean, std);
        double[][] r = standardise(real.rows(), mean[0], std[0]);
        double[][] s = standardise(synthetic.rows(), mean[0], std[0]);
        double[] rr = new double[repeats], rs = new double[repeats], ss = new double[repeats];
        Rng rng = new Rng(seed);
        for (int t = 0; t < repeats; t++) {
            int[] pr = permutation(r.length, rng), ps = permutation(s.length, rng);
            double[][] r1 = take(r, pr, 0, m), r2 = take(r, pr, m, 2 * m);
            double[][] s1 = take(s, ps, 0, m), s2 = take(s, ps, m, 2 * m);
            rr[t] = FrechetDistance.between(r1, r2);
            rs[t] = FrechetDistance.between(r1, s1);
            ss[t] = FrechetDistance.between(s1, s2);
        }
        List<Distance> distances = List.of(summary("real-real", rr), summary("real-synthetic", rs), summary("synthetic-synthetic", ss));
        List<ClassPrecisionRecall> pr = new ArrayList<>(), baseline = new ArrayList<>();
        for (int label : new int[] {Labels.BENIGN, Labels.MALIGNANT}) {
            double[][] rc = ofClass(r, real.labels(), label), sc = ofClass(s, synthetic.labels(), label);
            pr.add(precisionRecall(Labels.name(label), rc, sc, k));
            int[] p = permutation(rc.length, rng);
            baseline.add(precisionRecall(Labels.name(label), take(rc, p, 0, rc.length / 2), take(rc, p, rc.length / 2, rc.length), k));
        }
        pr.add(precisionRecall("all", r, s, k));
        return new Report(real.description(), synthetic.description(), r.length, s.length, m, repeats, k, distances, pr, baseline);
    }

    /** NaN when either set has no more than k points (no k-th neighbour). */
    private static ClassPrecisionRecall precisionRecall(String label, double[][] real, double[][] synthetic, int k) {
        if (real.length <= k || synthetic.length <= k) return new ClassPrecisionRecall(label, real.length, synthetic.length, Double.NaN, Double.NaN);
        ManifoldPrecisionRecall.Result res = ManifoldPrecisionRecall.of(real, synthetic, k);
        return new ClassPrecisionRecall(label, real.length, synthetic.length, res.precision(), res.recall());
    }

    private static void standardiser(double[][] x, double[][] meanOut, double[][] stdOut) {
        int d = x[0].length;
        double[] mean = FrechetDistance.mean(x);
        double[] std = new double[d];
        for (double[] row : x) for (int j = 0; j < d; j++) std[j] += (row[j] - mean[j]) * (row[j] - mean[j]);
        for (int j = 0; j < d; j++) {
            std[j] = Math.sqrt(std[j] / Math.max(1, x.length - 1));
            // A feature constant over the real set would divide by zero; leave it unscaled.
            if (std[j] < 1e-12) std[j] = 1;
        }
        meanOut[0] = mean;
        stdOut[0] = std;
    }

    static double[][] standardise(double[][] x, double[] mean, double[] std) {
        double[][] out = new double[x.length][];
        for (int i = 0; i < x.length; i++) {
            out[i] = new double[mean.length];
            for (int j = 0; j < mean.length; j++) out[i][j] = (x[i][j] - mean[j]) / std[j];
        }
        return out;
    }

    private static int[] permutation(int n, Rng rng) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        rng.shuffle(p);
        return p;
    }

    private static double[][] take(double[][] x, int[] order, int from, int to) {
        double[][] out = new double[to - from][];
        for (int i = from; i < to; i++) out[i - from] = x[order[i]];
        return out;
    }

    private static double[][] ofClass(double[][] x, int[] labels, int label) {
        List<double[]> out = new ArrayList<>();
        for (int i = 0; i < x.length; i++) if (labels[i] == label) out.add(x[i]);
        return out.toArray(new double[0][]);
    }

    /** Mean and population std over the draws (the study's ± is over three sets). */
    private static Distance summary(String pair, double[] v) {
        double mean = 0;
        for (double x : v) mean += x / v.length;
        double var = 0;
        for (double x : v) var += (x - mean) * (x - mean) / v.length;
        return new Distance(pair, mean, Math.sqrt(var), v.clone());
    }

    /** The report as aligned text. */
    public static String text(Report r) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("real:      %s (%d images)%n", r.real(), r.realCount()));
        sb.append(String.format("synthetic: %s (%d images)%n", r.synthetic(), r.syntheticCount()));
        sb.append(String.format("Fréchet radiomics distance (%d features, standardised on the real set), sets of %d, %d draws:%n",
                RadiomicsFeatures.DIM, r.setSize(), r.repeats()));
        for (Distance d : r.distances()) sb.append(String.format("  %-20s %9.3f ± %.3f%n", d.pair(), d.mean(), d.std()));
        sb.append(String.format("manifold precision / recall (k = %d):%n", r.k()));
        for (ClassPrecisionRecall c : r.precisionRecall()) {
            sb.append(String.format("  %-10s real %5d  synthetic %5d  precision %.3f  recall %.3f%n", c.label(), c.real(), c.synthetic(), c.precision(), c.recall()));
        }
        sb.append("real-real baseline (one half of each real class against the other):\n");
        for (ClassPrecisionRecall c : r.realBaseline()) {
            sb.append(String.format("  %-10s half %5d  half      %5d  precision %.3f  recall %.3f%n", c.label(), c.real(), c.synthetic(), c.precision(), c.recall()));
        }
        return sb.toString();
    }
}
