package org.dpmammo.data;

import org.dpmammo.util.BadInputException;
import org.dpmammo.util.Csv;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Opens the data layouts the project reads:
 *
 * <ul>
 *   <li>the study's layout {@code <root>/<split>/is_benign_<true|false>/*.png}, any set of split names;
 *   <li>a flat folder of files named {@code *_benign.png} / {@code *_malignant.png} (the study's synthetic patches);
 *   <li>a CSV manifest {@code path,label[,patient_id]} with paths relative to the CSV's folder;
 *   <li>the built-in phantom, by the spec {@code phantom[:size[:count[:seed]]]}.
 * </ul>
 *
 * Images are PNG or PGM; hidden files (names starting with '.', such as unfinished atomic writes) are skipped. Files
 * are listed in name order so that every index, and every seeded shuffle over indices, is reproducible.
 */
public final class Datasets {
    private static final String BENIGN_DIR = "is_benign_true";
    private static final String MALIGNANT_DIR = "is_benign_false";
    /** How many missing manifest paths an error message lists before giving only the total. */
    private static final int MISSING_SHOWN = 5;

    private Datasets() {}

    /**
     * A path, or a phantom spec, opened as one dataset; a study root gives the union of its splits. The spec wins over
     * a folder of the same name: write {@code ./phantom} to read such a folder.
     */
    public static Dataset open(String spec) throws IOException {
        if (isPhantomSpec(spec)) return PhantomDataset.fromSpec(spec);
        return open(Path.of(spec));
    }

    /**
     * Decodes every image once and fails, in one line, naming the first that cannot be decoded and how many cannot:
     * for callers that must not start (and spend privacy budget) on data that will fail part-way. The failure is a
     * {@link BadInputException} when every bad file is bad content (not, say, unreadable).
     */
    public static void verifyDecodable(Dataset d) throws IOException {
        int bad = 0;
        boolean allContent = true;
        IOException first = null;
        for (int i = 0; i < d.size(); i++) {
            try {
                d.image(i);
            } catch (IOException e) {
                if (bad++ == 0) first = e;
                allContent &= e instanceof BadInputException;
            }
        }
        if (bad == 0) return;
        String message = bad + " of " + d.size() + " images cannot be decoded, e.g. " + first.getMessage();
        throw allContent ? new BadInputException(message, first) : new IOException(message, first);
    }

    /**
     * Refuses training data that holds only one class, which no classifier or class-conditional generator can learn
     * from (training on it used to exit 0). The parts are read as one set, as several --train folders are; {@code what}
     * names the data in the message, e.g. "--train".
     */
    public static void requireBothClasses(List<? extends Dataset> parts, String what) {
        int benign = 0;
        int malignant = 0;
        for (Dataset d : parts) {
            int[] c = d.classCounts();
            benign += c[Labels.BENIGN];
            malignant += c[Labels.MALIGNANT];
        }
        if (benign == 0 || malignant == 0) {
            String names = String.join(" + ", parts.stream().map(Dataset::description).toList());
            throw new IllegalArgumentException(what + ": " + names + " holds " + benign + " benign and " + malignant
                    + " malignant images; training needs both classes");
        }
    }

    /** True for {@code phantom} and {@code phantom:...}, which name the built-in generator rather than a path. */
    public static boolean isPhantomSpec(String spec) {
        return spec.equals("phantom") || spec.startsWith("phantom:");
    }

    /** A path opened as one dataset: a manifest, a split folder, a flat folder, or a study root (all splits). */
    public static Dataset open(Path path) throws IOException {
        if (!Files.exists(path)) throw new IOException(path + ": no such file or folder");
        if (Files.isRegularFile(path)) {
            if (path.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".csv")) return manifest(path);
            throw new IOException(path + ": expected a folder or a .csv manifest");
        }
        if (isSplitFolder(path)) return split(path);
        Map<String, FileDataset> splits = splits(path);
        if (!splits.isEmpty()) {
            List<FileDataset.Entry> all = new ArrayList<>();
            splits.values().forEach(d -> all.addAll(d.entries()));
            return new FileDataset(all, path + " (splits " + String.join(", ", splits.keySet()) + ")");
        }
        return flat(path);
    }

    /** True when the folder holds {@code is_benign_true} or {@code is_benign_false}. */
    public static boolean isSplitFolder(Path dir) {
        return Files.isDirectory(dir.resolve(BENIGN_DIR)) || Files.isDirectory(dir.resolve(MALIGNANT_DIR));
    }

    /**
     * The splits of a study root: every sub-folder that is a split folder, keyed by name, with train, val and test
     * first (in that order) and any others (an external test set, say) after them alphabetically. Empty if none.
     */
    public static Map<String, FileDataset> splits(Path root) throws IOException {
        requireFolder(root);
        List<Path> dirs = list(root).filter(Files::isDirectory).filter(Datasets::isSplitFolder).sorted(Comparator
                .comparingInt((Path p) -> splitRank(p.getFileName().toString())).thenComparing(p -> p.getFileName().toString()))
                .toList();
        Map<String, FileDataset> out = new LinkedHashMap<>();
        for (Path d : dirs) out.put(d.getFileName().toString(), split(d));
        return out;
    }

    private static int splitRank(String name) {
        return switch (name) {
            case "train" -> 0;
            case "val" -> 1;
            case "test" -> 2;
            default -> 3;
        };
    }

    /** One split folder: images under {@code is_benign_true} are benign, under {@code is_benign_false} malignant. */
    public static FileDataset split(Path dir) throws IOException {
        requireFolder(dir);
        if (!isSplitFolder(dir)) throw new IOException(dir + ": no " + BENIGN_DIR + " or " + MALIGNANT_DIR + " folder");
        List<FileDataset.Entry> entries = new ArrayList<>();
        for (int label : new int[] {Labels.MALIGNANT, Labels.BENIGN}) {
            Path classDir = dir.resolve(Labels.folder(label));
            if (!Files.isDirectory(classDir)) continue;
            for (Path p : images(classDir)) {
                entries.add(new FileDataset.Entry(p, label, PatientIds.parse(p.getFileName().toString())));
            }
        }
        return new FileDataset(entries, dir.toString());
    }

    /** A flat folder whose image names end in {@code _benign} or {@code _malignant} before the extension. */
    public static FileDataset flat(Path dir) throws IOException {
        requireFolder(dir);
        List<FileDataset.Entry> entries = new ArrayList<>();
        List<String> unlabelled = new ArrayList<>();
        for (Path p : images(dir)) {
            String stem = stem(p.getFileName().toString()).toLowerCase(Locale.ROOT);
            if (stem.endsWith("_benign")) {
                entries.add(new FileDataset.Entry(p, Labels.BENIGN, PatientIds.parse(p.getFileName().toString())));
            } else if (stem.endsWith("_malignant")) {
                entries.add(new FileDataset.Entry(p, Labels.MALIGNANT, PatientIds.parse(p.getFileName().toString())));
            } else {
                unlabelled.add(p.getFileName().toString());
            }
        }
        if (entries.isEmpty()) {
            throw new IOException(dir + ": no images in a known layout (expected <split>/is_benign_<true|false>/*.png, "
                    + "is_benign_<true|false>/*.png, or *_benign.png / *_malignant.png)");
        }
        if (!unlabelled.isEmpty()) {
            throw new IOException(dir + ": " + unlabelled.size() + " image(s) without a _benign/_malignant suffix, e.g. "
                    + unlabelled.get(0));
        }
        return new FileDataset(entries, dir.toString());
    }

    /**
     * A CSV manifest {@code path,label[,patient_id]}; an optional header line starts with {@code path}. Paths are
     * relative to the CSV's folder and may not leave it (no absolute paths, no {@code ..} escapes), so a manifest
     * cannot point the tool at arbitrary files. Labels are parsed by {@link Labels#parse}.
     */
    public static FileDataset manifest(Path csv) throws IOException {
        if (!Files.isRegularFile(csv)) throw new IOException(csv + ": no such manifest");
        List<String> lines;
        try {
            lines = Files.readAllLines(csv, StandardCharsets.UTF_8);
        } catch (AccessDeniedException e) {
            throw new IOException(csv + ": permission denied");
        }
        Path base = csv.toAbsolutePath().getParent().normalize();
        List<FileDataset.Entry> entries = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        for (int ln = 0; ln < lines.size(); ln++) {
            String line = lines.get(ln).strip();
            if (line.isEmpty() || line.startsWith("#")) continue;
            String where = csv + " line " + (ln + 1);
            List<String> f;
            try {
                f = Csv.split(line);
            } catch (IllegalArgumentException e) {
                throw new IOException(where + ": " + e.getMessage());
            }
            if (ln == 0 && f.get(0).trim().equalsIgnoreCase("path")) continue;
            if (f.size() < 2 || f.size() > 3) throw new IOException(where + ": expected path,label[,patient_id], got " + f.size() + " field(s)");
            String rel = f.get(0).trim();
            Path p = resolveInside(base, rel, where);
            int label;
            try {
                label = Labels.parse(f.get(1));
            } catch (IllegalArgumentException e) {
                throw new IOException(where + ": " + e.getMessage());
            }
            String patient = f.size() == 3 && !f.get(2).isBlank() ? f.get(2).trim() : PatientIds.parse(p.getFileName().toString());
            if (!Files.isRegularFile(p)) missing.add(rel);
            entries.add(new FileDataset.Entry(p, label, patient));
        }
        if (!missing.isEmpty()) {
            throw new IOException(csv + ": " + missing.size() + " of " + entries.size() + " listed file(s) missing: "
                    + String.join(", ", missing.subList(0, Math.min(MISSING_SHOWN, missing.size())))
                    + (missing.size() > MISSING_SHOWN ? ", ..." : ""));
        }
        if (entries.isEmpty()) throw new IOException(csv + ": manifest lists no images");
        return new FileDataset(entries, csv.toString());
    }

    private static Path resolveInside(Path base, String rel, String where) throws IOException {
        if (rel.isEmpty()) throw new IOException(where + ": empty path");
        Path p;
        try {
            p = Path.of(rel);
        } catch (java.nio.file.InvalidPathException e) {
            throw new IOException(where + ": invalid path '" + rel + "'");
        }
        Path resolved = base.resolve(p).normalize();
        if (p.isAbsolute() || !resolved.startsWith(base)) {
            throw new IOException(where + ": path '" + rel + "' leaves the manifest's folder " + base);
        }
        // The names stay inside, but a symbolic link on the way can still point out: compare the real paths too.
        if (Files.exists(resolved) && !resolved.toRealPath().startsWith(base.toRealPath())) {
            throw new IOException(where + ": path '" + rel + "' leaves the manifest's folder " + base + " through a symbolic link");
        }
        return resolved;
    }

    private static void requireFolder(Path dir) throws IOException {
        if (!Files.exists(dir)) throw new IOException(dir + ": no such folder");
        if (!Files.isDirectory(dir)) throw new IOException(dir + ": not a folder");
    }

    /** Image files (PNG, PGM) directly in a folder, hidden ones skipped, sorted by name. */
    static List<Path> images(Path dir) throws IOException {
        return list(dir).filter(Files::isRegularFile).filter(Datasets::isImageName)
                .sorted(Comparator.comparing(p -> p.getFileName().toString())).toList();
    }

    static boolean isImageName(Path p) {
        String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
        return !n.startsWith(".") && (n.endsWith(".png") || n.endsWith(".pgm"));
    }

    private static Stream<Path> list(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.toList().stream();
        } catch (AccessDeniedException e) {
            throw new IOException(dir + ": permission denied");
        } catch (NoSuchFileException e) {
            throw new IOException(dir + ": no such folder");
        } catch (UncheckedIOException e) {
            throw new IOException(dir + ": cannot list (" + e.getCause().getMessage() + ")");
        }
    }

    private static String stem(String name) {
        int dot = name.lastIndexOf('.');
        return dot < 0 ? name : name.substring(0, dot);
    }
}
