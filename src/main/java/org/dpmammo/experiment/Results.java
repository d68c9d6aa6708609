package org.dpmammo.experiment;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.dpmammo.util.AtomicFiles;

/**
 * results.csv (one row per finished cell) and summary.csv (one row per condition, ε and calibrating accountant: mean
 * and population standard deviation over seeds, the study's convention, docs/STUDY.md §7). The accountant column is "-"
 * for ε = ∞ cells, which no accountant calibrated. Every row carries the ε its schedule spends under both
 * accountants (epsilon_rdp, epsilon_prv), whichever calibrated it.
 */
public final class Results {
    private Results() {}

    /** The finished cells of a plan, in plan order. */
    public static List<CellResult> collect(Path root, GridPlan plan) throws IOException {
        List<CellResult> out = new ArrayList<>();
        for (GridPlan.Cell c : plan.cells()) {
            Path f = root.resolve(c.marker());
            if (!Files.exists(f)) continue;
            CellResult r = CellResult.fromJson(ExperimentConfig.JSON.readTree(f.toFile()));
            // A result.json written before cells named their accountant: its folder name says (RDP keeps the old names).
            out.add(r.accountant() == null && c.dp() ? r.withAccountant(c.accountant()) : r);
        }
        return out;
    }

    /** Column names of the per-test-set metrics, e.g. "internal_test_auroc". */
    static List<String> metricColumns(List<String> tests) {
        List<String> cols = new ArrayList<>();
        for (String t : tests) for (String m : CellResult.METRICS) cols.add(slug(t) + "_" + m);
        return cols;
    }

    /** What results.csv gives per test set and cell: the metrics, then the AUROC interval (summary.csv: the metrics). */
    private static final List<String> PER_CELL = Stream.concat(CellResult.METRICS.stream(), CellResult.INTERVALS.stream()).toList();

    /** Column names of the per-test-set AUROC intervals of results.csv, e.g. "internal_test_auroc_ci_low". */
    static List<String> intervalColumns(List<String> tests) {
        List<String> cols = new ArrayList<>();
        for (String t : tests) for (String m : CellResult.INTERVALS) cols.add(slug(t) + "_" + m);
        return cols;
    }

    static double metric(CellResult r, String column, List<String> tests) {
        for (String t : tests) {
            for (String m : PER_CELL) {
                if ((slug(t) + "_" + m).equals(column)) {
                    Map<String, Double> ms = r.tests().get(t);
                    return ms == null ? Double.NaN : ms.getOrDefault(m, Double.NaN);
                }
            }
        }
        throw new IllegalArgumentException("no metric column " + column);
    }

    static final List<String> PRIVACY_COLUMNS = List.of("epsilon_rdp", "epsilon_prv", "epsilon_end_to_end", "sigma", "steps", "best_epoch", "wall_seconds");

    static double privacy(CellResult r, String column) {
        return switch (column) {
            case "epsilon_rdp" -> r.epsilonSpent();
            case "epsilon_prv" -> r.epsilonPrv();
            case "epsilon_end_to_end" -> r.epsilonEndToEnd();
            case "sigma" -> r.sigma();
            case "steps" -> r.steps();
            case "best_epoch" -> r.bestEpoch();
            case "wall_seconds" -> r.wallSeconds();
            default -> throw new IllegalArgumentException(column);
        };
    }

    public static void write(Path root, List<CellResult> results, List<String> tests) throws IOException {
        List<String> metrics = metricColumns(tests), perCell = new ArrayList<>(metrics);
        perCell.addAll(intervalColumns(tests));
        StringBuilder sb = new StringBuilder("condition,epsilon,accountant,seed");
        for (String c : perCell) sb.append(',').append(c);
        // dp_randomness "reproducible": the cell's noise came from its seed and run id, so its ε is not a guarantee.
        // It goes before the last column (wall_seconds, the one that varies between identical runs).
        for (String c : PRIVACY_COLUMNS) sb.append(',').append(c.equals("wall_seconds") ? "dp_randomness,wall_seconds" : c);
        sb.append('\n');
        for (CellResult r : results) {
            sb.append(r.condition().key).append(',').append(GridPlan.epsilonText(r.epsilon())).append(',').append(accountant(r.accountant()))
                    .append(',').append(r.seed());
            for (String c : perCell) sb.append(',').append(num(metric(r, c, tests)));
            for (String c : PRIVACY_COLUMNS) {
                if (c.equals("wall_seconds")) sb.append(',').append(r.randomness());
                sb.append(',').append(num(privacy(r, c)));
            }
            sb.append('\n');
        }
        AtomicFiles.writeString(root.resolve("results.csv"), sb.toString());

        StringBuilder s = new StringBuilder("condition,epsilon,accountant,seeds");
        for (String c : metrics) s.append(',').append(c).append("_mean,").append(c).append("_std");
        s.append(",epsilon_rdp_mean,epsilon_rdp_std,epsilon_prv_mean,epsilon_prv_std,sigma_mean\n");
        for (Group g : groups(results)) {
            s.append(g.condition().key).append(',').append(GridPlan.epsilonText(g.epsilon())).append(',').append(accountant(g.accountant()))
                    .append(',').append(g.members().size());
            for (String c : metrics) {
                double[] v = g.members().stream().mapToDouble(r -> metric(r, c, tests)).toArray();
                s.append(',').append(num(mean(v))).append(',').append(num(populationStd(v)));
            }
            for (String c : List.of("epsilon_rdp", "epsilon_prv")) {
                double[] e = g.members().stream().mapToDouble(r -> privacy(r, c)).toArray();
                s.append(',').append(num(mean(e))).append(',').append(num(populationStd(e)));
            }
            s.append(',').append(num(mean(g.members().stream().mapToDouble(CellResult::sigma).toArray()))).append('\n');
        }
        AtomicFiles.writeString(root.resolve("summary.csv"), s.toString());
    }

    /** How the CSV files name a cell's accountant: its name, or "-" for none (ε = ∞). */
    static String accountant(String name) {
        return name == null ? "-" : name;
    }

    /** The cells of one condition at one ε calibrated by one accountant (null: ε = ∞), over seeds. */
    public record Group(Condition condition, double epsilon, String accountant, List<CellResult> members) {
        public double mean(String test, String metric) {
            return Results.mean(values(test, metric));
        }

        public double std(String test, String metric) {
            return populationStd(values(test, metric));
        }

        public double[] values(String test, String metric) {
            return members.stream().mapToDouble(r -> r.tests().getOrDefault(test, Map.of()).getOrDefault(metric, Double.NaN)).toArray();
        }
    }

    /** Groups in first-appearance order (the plan's order). */
    public static List<Group> groups(List<CellResult> results) {
        Map<String, Group> g = new LinkedHashMap<>();
        for (CellResult r : results) {
            g.computeIfAbsent(r.condition().key + "|" + r.epsilon() + "|" + r.accountant(),
                    k -> new Group(r.condition(), r.epsilon(), r.accountant(), new ArrayList<>())).members().add(r);
        }
        return new ArrayList<>(g.values());
    }

    public static double mean(double[] v) {
        if (v.length == 0) return Double.NaN;
        double s = 0;
        for (double x : v) s += x;
        return s / v.length;
    }

    /** √(Σ(x − mean)² / n): the population standard deviation the study reports (0 for a single seed). */
    public static double populationStd(double[] v) {
        if (v.length == 0) return Double.NaN;
        double m = mean(v), s = 0;
        for (double x : v) s += (x - m) * (x - m);
        return Math.sqrt(s / v.length);
    }

    static String num(double v) {
        if (Double.isNaN(v)) return "nan";
        if (Double.isInfinite(v)) return v > 0 ? "inf" : "-inf";
        if (v == Math.rint(v) && Math.abs(v) < 1e15) return Long.toString((long) v);
        return new java.math.BigDecimal(String.format(Locale.ROOT, "%.6g", v)).stripTrailingZeros().toPlainString();
    }

    /** A test set's name as a column prefix and file name part: lower case, runs of other characters as "_". */
    public static String slug(String name) {
        return name.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "_").replaceAll("^_|_$", "");
    }

    /** The selected epoch from a trainer's metrics.csv (its "best" column marks each new best), or −1. */
    static int bestEpoch(Path runDir) throws IOException {
        List<String[]> rows = csv(runDir.resolve("metrics.csv"));
        if (rows.isEmpty()) return -1;
        int col = List.of(rows.get(0)).indexOf("best");
        int best = -1;
        for (String[] r : rows.subList(1, rows.size())) if (col >= 0 && col < r.length && r[col].equals("true")) best = Integer.parseInt(r[0]);
        return best;
    }

    /** Training wall time summed from the trainer's per-epoch "seconds" column, so a resumed cell counts every session. */
    static double trainingSeconds(Path runDir) throws IOException {
        List<String[]> rows = csv(runDir.resolve("metrics.csv"));
        if (rows.isEmpty()) return 0;
        int col = List.of(rows.get(0)).indexOf("seconds");
        double s = 0;
        for (String[] r : rows.subList(1, rows.size())) if (col >= 0 && col < r.length) s += Double.parseDouble(r[col]);
        return s;
    }

    /** A small CSV (no quoting: the trainers write plain numbers and words), header first; empty if absent. */
    static List<String[]> csv(Path file) throws IOException {
        if (!Files.exists(file)) return List.of();
        List<String[]> rows = new ArrayList<>();
        for (String line : Files.readAllLines(file)) if (!line.isBlank()) rows.add(line.split(",", -1));
        return rows;
    }
}
