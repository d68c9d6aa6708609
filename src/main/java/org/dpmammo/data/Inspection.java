package org.dpmammo.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What a data folder holds: per split, counts by class, patients, image sizes, bit depths and unreadable files; across
 * splits, identical images (by content hash) and shared patients, the two ways test data leaks into training.
 *
 * <p>The result is a tree of maps and lists, ready for JSON, so the command's text and JSON views show the same facts.
 */
public final class Inspection {
    /** How many examples of a problem (duplicate, shared patient, bad file) a report lists. */
    private static final int SHOWN = 5;

    private Inspection() {}

    /** Inspects a study root (each split separately) or any other readable source (as one split named "all"). */
    public static Map<String, Object> of(String source) throws IOException {
        Map<String, Dataset> splits = new LinkedHashMap<>();
        Path p = Datasets.isPhantomSpec(source) ? null : Path.of(source);
        if (p != null && Files.isDirectory(p) && !Datasets.isSplitFolder(p) && !Datasets.splits(p).isEmpty()) {
            splits.putAll(Datasets.splits(p));
        } else {
            splits.put("all", Datasets.open(source));
        }
        return of(source, splits);
    }

    public static Map<String, Object> of(String source, Map<String, ? extends Dataset> splits) {
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("source", source);
        Map<String, Object> perSplit = new LinkedHashMap<>();
        Map<String, List<String>> byHash = new LinkedHashMap<>();
        Map<String, Set<String>> patients = new LinkedHashMap<>();
        int total = 0;
        for (var e : splits.entrySet()) {
            String name = e.getKey();
            Dataset d = e.getValue();
            total += d.size();
            int[] counts = d.classCounts();
            Map<String, Integer> sizes = new TreeMap<>();
            Map<String, Integer> depths = new TreeMap<>();
            List<String> bad = new ArrayList<>();
            int badCount = 0;
            Set<String> pts = new TreeSet<>();
            int withoutPatient = 0;
            for (int i = 0; i < d.size(); i++) {
                String pid = d.patientId(i);
                if (pid == null) withoutPatient++;
                else pts.add(pid);
                try {
                    Info info = info(d, i);
                    sizes.merge(info.width + "x" + info.height, 1, Integer::sum);
                    depths.merge(info.channels + "x" + info.bits + "-bit", 1, Integer::sum);
                    byHash.computeIfAbsent(info.hash, k -> new ArrayList<>()).add(name + "/" + d.name(i));
                } catch (IOException ex) {
                    badCount++;
                    if (bad.size() < SHOWN) bad.add(ex.getMessage());
                }
            }
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("images", d.size());
            s.put("benign", counts[Labels.BENIGN]);
            s.put("malignant", counts[Labels.MALIGNANT]);
            // Files whose names carry no patient id are counted apart; the others still show any overlap.
            s.put("patients", pts.isEmpty() ? null : pts.size());
            s.put("withoutPatientId", withoutPatient);
            s.put("sizes", sizes);
            s.put("channelsXdepth", depths);
            s.put("unreadable", badCount);
            s.put("unreadableExamples", bad);
            perSplit.put(name, s);
            if (!pts.isEmpty()) patients.put(name, pts);
        }
        report.put("images", total);
        report.put("splits", perSplit);

        List<List<String>> crossDup = new ArrayList<>();
        int crossCount = 0;
        int withinCount = 0;
        for (List<String> group : byHash.values()) {
            if (group.size() < 2) continue;
            long splitsTouched = group.stream().map(n -> n.substring(0, n.indexOf('/'))).distinct().count();
            if (splitsTouched > 1) {
                crossCount++;
                if (crossDup.size() < SHOWN) crossDup.add(group);
            } else {
                withinCount++;
            }
        }
        Map<String, Object> dup = new LinkedHashMap<>();
        dup.put("acrossSplits", crossCount);
        dup.put("acrossSplitsExamples", crossDup);
        dup.put("withinSplits", withinCount);
        report.put("duplicateGroups", dup);

        Map<String, Object> overlap = new LinkedHashMap<>();
        List<String> names = new ArrayList<>(patients.keySet());
        for (int a = 0; a < names.size(); a++) {
            for (int b = a + 1; b < names.size(); b++) {
                Set<String> shared = new TreeSet<>(patients.get(names.get(a)));
                shared.retainAll(patients.get(names.get(b)));
                Map<String, Object> o = new LinkedHashMap<>();
                o.put("shared", shared.size());
                o.put("examples", shared.stream().limit(SHOWN).toList());
                overlap.put(names.get(a) + "~" + names.get(b), o);
            }
        }
        report.put("patientOverlap", overlap);
        return report;
    }

    /** Unreadable files over all splits of a report from {@link #of}. */
    @SuppressWarnings("unchecked")
    public static int unreadable(Map<String, Object> report) {
        int n = 0;
        for (Object s : ((Map<String, Object>) report.get("splits")).values()) n += (Integer) ((Map<String, Object>) s).get("unreadable");
        return n;
    }

    /** The first unreadable file's message, or null. */
    @SuppressWarnings("unchecked")
    public static String firstUnreadable(Map<String, Object> report) {
        for (Object s : ((Map<String, Object>) report.get("splits")).values()) {
            List<String> ex = (List<String>) ((Map<String, Object>) s).get("unreadableExamples");
            if (!ex.isEmpty()) return ex.get(0);
        }
        return null;
    }

    private record Info(int width, int height, int channels, int bits, String hash) {}

    /**
     * Header facts and content hash (of the file's bytes for file data, of the pixels otherwise). File data is also
     * decoded in full, as training would, so that a truncated or damaged file is reported here rather than there.
     */
    private static Info info(Dataset d, int i) throws IOException {
        if (d instanceof FileDataset f) {
            byte[] bytes = ImageIo.readBytes(f.path(i));
            ImageIo.Info h = ImageIo.probe(bytes, f.path(i).toString());
            ImageIo.decode(bytes, f.path(i).toString(), f.maxPixels());
            String hash = HexFormat.of().formatHex(Dataset.sha256().digest(bytes));
            return new Info(h.width(), h.height(), h.channels(), h.bitDepth(), hash);
        }
        GrayImage g = d.image(i);
        return new Info(g.width(), g.height(), 1, g.bitDepth(), HexFormat.of().formatHex(d.contentHash(i)));
    }

    /** A human-readable rendering of a report from {@link #of}. */
    @SuppressWarnings("unchecked")
    public static String text(Map<String, Object> r) {
        StringBuilder sb = new StringBuilder();
        sb.append(r.get("source")).append(": ").append(r.get("images")).append(" images\n\n");
        sb.append(String.format("%-12s %7s %7s %9s %9s  %s%n", "split", "images", "benign", "malignant", "patients", "sizes / channels x depth"));
        Map<String, Object> splits = (Map<String, Object>) r.get("splits");
        for (var e : splits.entrySet()) {
            Map<String, Object> s = (Map<String, Object>) e.getValue();
            Object p = s.get("patients");
            sb.append(String.format("%-12s %7d %7d %9d %9s  %s %s%n", e.getKey(), s.get("images"), s.get("benign"), s.get("malignant"),
                    p == null ? "n/a" : p.toString(), s.get("sizes"), s.get("channelsXdepth")));
            int bad = (Integer) s.get("unreadable");
            if (bad > 0) sb.append("  ").append(bad).append(" unreadable, e.g. ").append(((List<String>) s.get("unreadableExamples")).get(0)).append('\n');
            int unnamed = (Integer) s.get("withoutPatientId");
            if (unnamed > 0) sb.append("  ").append(unnamed).append(" file(s) without a patient id in the name, left out of the patient counts\n");
        }
        Map<String, Object> dup = (Map<String, Object>) r.get("duplicateGroups");
        sb.append("\nidentical images: ").append(dup.get("acrossSplits")).append(" group(s) across splits, ")
                .append(dup.get("withinSplits")).append(" within a split\n");
        for (Object g : (List<Object>) dup.get("acrossSplitsExamples")) sb.append("  ").append(g).append('\n');
        Map<String, Object> overlap = (Map<String, Object>) r.get("patientOverlap");
        if (overlap.isEmpty()) {
            sb.append("patient overlap: not applicable (fewer than two splits with patient ids)\n");
        }
        for (var e : overlap.entrySet()) {
            Map<String, Object> o = (Map<String, Object>) e.getValue();
            sb.append("patients shared by ").append(e.getKey().replace("~", " and ")).append(": ").append(o.get("shared"));
            List<String> ex = (List<String>) o.get("examples");
            if (!ex.isEmpty()) sb.append(" (e.g. ").append(String.join(", ", ex)).append(')');
            sb.append('\n');
        }
        return sb.toString();
    }
}
