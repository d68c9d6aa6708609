package org.dpmammo.experiment;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What one finished cell measured: the four study metrics on every test set, and the privacy actually spent as the
 * ledger records it (ε by RDP, the same schedule's ε by PRV, whichever of them calibrated σ; the end-to-end ε on the
 * real training records), σ, steps, the selected epoch and the training wall time. Stored as the cell's
 * result.json; ∞ and NaN are written as the strings "inf" and "nan", which JSON numbers cannot hold.
 *
 * @param accountant what calibrated σ (rdp or prv); null for an ε = ∞ cell
 * @param ledger the cell's ledger as it stood when the result was taken (null for a cell without one): the report
 *     refuses a ledger that no longer reaches it, so a cut ledger cannot publish a smaller ε
 */
public record CellResult(Condition condition, double epsilon, String accountant, long seed, Map<String, Map<String, Double>> tests, double epsilonSpent,
                         double epsilonPrv, double epsilonEndToEnd, double sigma, long steps, int bestEpoch, double wallSeconds, String note,
                         LedgerSeen ledger) {
    public static final List<String> METRICS = List.of("accuracy", "f1", "auroc", "auprc");
    /**
     * The 95 % percentile bootstrap interval of AUROC on each test set (1000 resamples of its examples, seeded by the
     * cell's seed), a per-cell figure of results.csv; cells finished before it existed read NaN.
     */
    public static final List<String> INTERVALS = List.of("auroc_ci_low", "auroc_ci_high");
    static final int BOOTSTRAP_RESAMPLES = 1000;

    /** A ledger's head and entry count when a result was read from it, and the cell's DP randomness (secure or reproducible). */
    public record LedgerSeen(String head, long entries, String randomness) {}

    public CellResult(Condition condition, double epsilon, String accountant, long seed, Map<String, Map<String, Double>> tests, double epsilonSpent,
            double epsilonPrv, double epsilonEndToEnd, double sigma, long steps, int bestEpoch, double wallSeconds, String note) {
        this(condition, epsilon, accountant, seed, tests, epsilonSpent, epsilonPrv, epsilonEndToEnd, sigma, steps, bestEpoch, wallSeconds, note, null);
    }

    /** secure, reproducible, or empty for a cell without DP. */
    public String randomness() {
        return ledger == null ? "" : ledger.randomness();
    }

    public ObjectNode toJson() {
        ObjectNode o = ExperimentConfig.JSON.createObjectNode();
        o.put("condition", condition.key);
        put(o, "epsilon", epsilon);
        o.put("accountant", accountant);
        o.put("seed", seed);
        ObjectNode t = o.putObject("tests");
        tests.forEach((name, m) -> {
            ObjectNode n = t.putObject(name);
            m.forEach((k, v) -> put(n, k, v));
        });
        put(o, "epsilon_spent", epsilonSpent);
        put(o, "epsilon_prv", epsilonPrv);
        put(o, "epsilon_end_to_end", epsilonEndToEnd);
        put(o, "sigma", sigma);
        o.put("steps", steps);
        o.put("best_epoch", bestEpoch);
        put(o, "wall_seconds", wallSeconds);
        o.put("note", note);
        if (ledger != null) {
            ObjectNode l = o.putObject("ledger");
            l.put("head", ledger.head());
            l.put("entries", ledger.entries());
            l.put("randomness", ledger.randomness());
        }
        return o;
    }

    /** Reads result.json; one written before cells named their accountant has none (null), see {@link Results#collect}. */
    public static CellResult fromJson(JsonNode o) {
        Map<String, Map<String, Double>> tests = new LinkedHashMap<>();
        o.get("tests").fields().forEachRemaining(e -> {
            Map<String, Double> m = new LinkedHashMap<>();
            e.getValue().fields().forEachRemaining(f -> m.put(f.getKey(), get(f.getValue())));
            tests.put(e.getKey(), m);
        });
        JsonNode acct = o.get("accountant");
        return new CellResult(Condition.parse(o.get("condition").asText()), get(o.get("epsilon")), acct == null || acct.isNull() ? null : acct.asText(),
                o.get("seed").asLong(), tests,
                get(o.get("epsilon_spent")), get(o.get("epsilon_prv")), get(o.get("epsilon_end_to_end")), get(o.get("sigma")),
                o.get("steps").asLong(), o.get("best_epoch").asInt(), get(o.get("wall_seconds")), o.path("note").asText(""),
                o.hasNonNull("ledger") ? new LedgerSeen(o.get("ledger").path("head").asText(), o.get("ledger").path("entries").asLong(),
                        o.get("ledger").path("randomness").asText("secure")) : null);
    }

    CellResult withAccountant(String name) {
        return new CellResult(condition, epsilon, name, seed, tests, epsilonSpent, epsilonPrv, epsilonEndToEnd, sigma, steps, bestEpoch, wallSeconds, note, ledger);
    }

    static void put(ObjectNode o, String key, double v) {
        if (Double.isNaN(v)) o.put(key, "nan");
        else if (Double.isInfinite(v)) o.put(key, v > 0 ? "inf" : "-inf");
        else o.put(key, v);
    }

    static double get(JsonNode v) {
        if (v == null || v.isNull()) return Double.NaN;
        if (v.isNumber()) return v.asDouble();
        return switch (v.asText()) {
            case "inf" -> Double.POSITIVE_INFINITY;
            case "-inf" -> Double.NEGATIVE_INFINITY;
            default -> Double.NaN;
        };
    }
}
