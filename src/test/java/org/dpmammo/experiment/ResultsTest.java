package org.dpmammo.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ResultsTest {
    @Test
    void populationStdByHand() {
        assertEquals(0.6, Results.mean(new double[] {0.5, 0.6, 0.7}), 1e-12);
        // √((0.01 + 0 + 0.01) / 3), not the sample std √(0.02 / 2) = 0.1
        assertEquals(Math.sqrt(0.02 / 3), Results.populationStd(new double[] {0.5, 0.6, 0.7}), 1e-12);
        assertEquals(0, Results.populationStd(new double[] {0.42}), 0);
        assertEquals(1.0, Results.populationStd(new double[] {1, 3}), 1e-12);
    }

    @Test
    void reproducesTheStudysReportedSpreadFromItsPerSeedValues() {
        // dbr1 (real, ε = 6) CBIS AUROC per seed, docs/STUDY.md §6.2; §6.1 reports 0.572 ± 0.031
        double[] v = {0.5654, 0.5385, 0.6134};
        assertEquals(0.572, Results.mean(v), 5e-4);
        assertEquals(0.031, Results.populationStd(v), 5e-4);
    }

    static CellResult cell(Condition c, double eps, long seed, double auroc) {
        return cell(c, eps, Double.isInfinite(eps) ? null : "rdp", seed, auroc, 1.5);
    }

    static CellResult cell(Condition c, double eps, String accountant, long seed, double auroc, double sigma) {
        return new CellResult(c, eps, accountant, seed, Map.of("internal test", Map.of("accuracy", 0.5, "f1", 0.6, "auroc", auroc, "auprc", 0.7)),
                Double.isInfinite(eps) ? Double.POSITIVE_INFINITY : eps * 0.99, 0, Double.POSITIVE_INFINITY, sigma, 100, 3, 12.5, "");
    }

    @Test
    void summaryHasOneRowPerConditionAndEpsilonWithMeanAndPopulationStd(@TempDir Path root) throws Exception {
        List<CellResult> rs = List.of(cell(Condition.REAL, 1, 42, 0.5), cell(Condition.REAL, 1, 43, 0.6), cell(Condition.REAL, 1, 44, 0.7),
                cell(Condition.REAL, Double.POSITIVE_INFINITY, 42, 0.8));
        Results.write(root, rs, List.of("internal test"));
        List<String> results = Files.readAllLines(root.resolve("results.csv"));
        assertEquals("condition,epsilon,accountant,seed,internal_test_accuracy,internal_test_f1,internal_test_auroc,internal_test_auprc,"
                + "internal_test_auroc_ci_low,internal_test_auroc_ci_high,"
                + "epsilon_rdp,epsilon_prv,epsilon_end_to_end,sigma,steps,best_epoch,dp_randomness,wall_seconds", results.get(0));
        // these cells carry no interval (as cells finished before intervals existed): the columns say so
        assertEquals("real,inf,-,42,0.5,0.6,0.8,0.7,nan,nan,inf,0,inf,1.5,100,3,,12.5", results.get(4));
        List<String> summary = Files.readAllLines(root.resolve("summary.csv"));
        assertEquals(3, summary.size());
        String[] head = summary.get(0).split(","), row = summary.get(1).split(",");
        int m = List.of(head).indexOf("internal_test_auroc_mean"), s = List.of(head).indexOf("internal_test_auroc_std");
        assertEquals(List.of("real", "1", "rdp", "3"), List.of(row).subList(0, 4));
        assertEquals(0.6, Double.parseDouble(row[m]), 1e-6);
        assertEquals(0.0816497, Double.parseDouble(row[s]), 1e-6);
        assertEquals("0.99", row[List.of(head).indexOf("epsilon_rdp_mean")]);
        assertEquals("real,inf,-,1", String.join(",", List.of(summary.get(2).split(",")).subList(0, 4)));
    }

    @Test
    void cellsOfTheSameConditionAndEpsilonUnderTwoAccountantsAreTwoGroups(@TempDir Path root) throws Exception {
        List<CellResult> rs = List.of(cell(Condition.REAL, 1, "rdp", 42, 0.5, 4.0), cell(Condition.REAL, 1, "prv", 42, 0.6, 3.5),
                cell(Condition.REAL, 1, "rdp", 43, 0.7, 4.0), cell(Condition.REAL, 1, "prv", 43, 0.8, 3.5),
                cell(Condition.REAL, Double.POSITIVE_INFINITY, null, 42, 0.9, 0));
        List<Results.Group> groups = Results.groups(rs);
        assertEquals(3, groups.size());
        assertEquals(List.of("rdp", "prv"), groups.subList(0, 2).stream().map(Results.Group::accountant).toList());
        assertEquals(0.6, groups.get(0).mean("internal test", "auroc"), 1e-12);
        assertEquals(0.7, groups.get(1).mean("internal test", "auroc"), 1e-12);
        assertEquals(null, groups.get(2).accountant());
        Results.write(root, rs, List.of("internal test"));
        List<String> summary = Files.readAllLines(root.resolve("summary.csv"));
        List<String> head = List.of(summary.get(0).split(","));
        int auroc = head.indexOf("internal_test_auroc_mean"), sigma = head.indexOf("sigma_mean");
        assertEquals(List.of("real,1,rdp,2", "real,1,prv,2", "real,inf,-,1"),
                summary.subList(1, 4).stream().map(l -> String.join(",", List.of(l.split(",")).subList(0, 4))).toList());
        assertEquals("0.7", summary.get(2).split(",")[auroc]);
        assertEquals("3.5", summary.get(2).split(",")[sigma]);
        assertEquals("real,1,prv,43", String.join(",", List.of(Files.readAllLines(root.resolve("results.csv")).get(4).split(",")).subList(0, 4)));
    }

    @Test
    void aResultWrittenBeforeCellsNamedTheirAccountantTakesItFromItsFolder(@TempDir Path root) throws Exception {
        GridPlan plan = GridPlan.of(ExperimentConfig.parse("{\"preset\": \"demo\", \"grid\": {\"real\": [1, \"inf\"]}}"), true);
        for (GridPlan.Cell c : plan.cells()) {
            com.fasterxml.jackson.databind.node.ObjectNode o = cell(c.condition(), c.epsilon(), 42, 0.5).toJson();
            o.remove("accountant");
            Files.createDirectories(root.resolve(c.dir()));
            Files.writeString(root.resolve(c.marker()), o.toString());
        }
        assertEquals(java.util.Arrays.asList("rdp", null), Results.collect(root, plan).stream().map(CellResult::accountant).toList());
    }

    @Test
    void cellResultSurvivesItsJsonRoundTripWithInfinityAndNaN() {
        CellResult r = new CellResult(Condition.SYNTH, Double.POSITIVE_INFINITY, null, 42, Map.of("t", Map.of("auroc", Double.NaN)), 0, 0,
                Double.POSITIVE_INFINITY, 0, 0, -1, 1.25, "none eligible");
        assertEquals(r, CellResult.fromJson(r.toJson()));
        CellResult prv = cell(Condition.REAL, 6, "prv", 43, 0.6, 1.1);
        assertEquals(prv, CellResult.fromJson(prv.toJson()));
    }
}
