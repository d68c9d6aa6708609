package org.dpmammo.experiment;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The study's published results (docs/STUDY.md §6.1, from its results sheet), shown beside ours: per condition and ε,
 * mean ± population std over three seeds of the four metrics on the internal (CBIS-DDSM) and external (BCDR) tests.
 */
public final class StudyNumbers {
    /** One published cell: the study's experiment id and "side_metric_mean|std" → value. */
    public record Entry(String experiment, Map<String, Double> values) {
        /** side is "internal" or "external"; NaN when not published. */
        public double mean(String side, String metric) {
            return values.getOrDefault(side + "_" + metric + "_mean", Double.NaN);
        }

        public double std(String side, String metric) {
            return values.getOrDefault(side + "_" + metric + "_std", Double.NaN);
        }
    }

    private static final Map<String, Entry> TABLE = load();

    private StudyNumbers() {}

    /** The study's cell for this condition and ε, or null when the study did not run it. */
    public static Entry get(Condition c, double epsilon) {
        return TABLE.get(c.key + "|" + GridPlan.epsilonText(epsilon));
    }

    private static Map<String, Entry> load() {
        try (InputStream in = StudyNumbers.class.getResourceAsStream("study-results.csv")) {
            if (in == null) throw new IllegalStateException("study-results.csv is missing from the jar");
            List<String> lines = new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().filter(l -> !l.startsWith("#") && !l.isBlank()).toList();
            String[] head = lines.get(0).split(",");
            Map<String, Entry> out = new HashMap<>();
            for (String line : lines.subList(1, lines.size())) {
                String[] f = line.split(",");
                Map<String, Double> v = new HashMap<>();
                for (int i = 3; i < f.length; i++) v.put(head[i], Double.parseDouble(f[i]));
                out.put(f[0] + "|" + f[1], new Entry(f[2], v));
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
