package org.dpmammo.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.dpmammo.experiment.GridPlan.Cell;
import org.dpmammo.privacy.accounting.RdpAccountant;
import org.dpmammo.privacy.accounting.Segment;
import org.dpmammo.privacy.ledger.PrivacyLedger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The runner and the report on instant fake trainers: the fixture run, restarts, and a crash inside a DP cell. */
class ExperimentRunnerTest {
    static ExperimentConfig config() {
        return ExperimentConfig.parse("{\"preset\": \"demo\", \"grid\": {\"real\": [1, 8, \"inf\"], \"real_synth\": [8, \"inf\"], \"synth\": [8],"
                + " \"pretrain_dp\": [8, \"inf\"]}, \"seeds\": [42, 43], \"classifier\": {\"epochs\": 2},"
                + " \"public_pretraining\": {\"train\": \"phantom:32:20:7\", \"val\": \"phantom:32:20:8\", \"epochs\": 1, \"lr\": 0.01}}");
    }

    static ExperimentData data() {
        Map<String, String> tests = new LinkedHashMap<>();
        tests.put("phantom test", "phantom:32:40:3");
        tests.put("phantom test B", "phantom:32:40:4");
        return new ExperimentData("phantom:32:30:1", "phantom:32:20:2", tests, null, null, "phantom fixture");
    }

    static ByteArrayOutputStream progress = new ByteArrayOutputStream();

    static Path run(Path root, FakeTrainers t) throws Exception {
        progress.reset();
        return new ExperimentRunner(config(), data(), root, t, new PrintStream(progress, true, StandardCharsets.UTF_8)).run();
    }

    /** results.csv without the wall-time column, which measures this machine, not the experiment. */
    static List<String> results(Path root) throws Exception {
        return Files.readAllLines(root.resolve("results.csv")).stream().map(l -> l.substring(0, l.lastIndexOf(','))).toList();
    }

    @Test
    void fixtureRunWritesResultsSummaryAndASelfContainedReport(@TempDir Path root) throws Exception {
        FakeTrainers t = new FakeTrainers();
        Path report = run(root, t);
        // 1 backbone + 2 GANs + 2 pretrainings + 8 cells × 2 seeds; the ε = ∞ pretrain_dp cell trains nothing (it is the pretrained model)
        assertEquals(1 + 2 + 2 + 7 * 2, t.calls.size());
        Path backbone = root.resolve("backbone/checkpoints/best.safetensors");
        assertEquals(backbone, t.inits.get(root.resolve(new Cell(Condition.SYNTH, 8, "rdp", 43).dir())));
        assertEquals(backbone, t.inits.get(root.resolve("pretrain/seed-42")));
        assertEquals(root.resolve("pretrain/seed-43/checkpoints/best.safetensors"), t.inits.get(root.resolve(new Cell(Condition.PRETRAIN_DP, 8, "rdp", 43).dir())));
        assertEquals(1 + 16, Files.readAllLines(root.resolve("results.csv")).size());
        assertEquals(1 + 8, Files.readAllLines(root.resolve("summary.csv")).size());
        String html = Files.readString(report);
        assertTrue(html.contains("data:image/png;base64,"));
        assertFalse(html.matches("(?s).*src=\"(?!data:).*"), "every image is inlined");
        for (String png : List.of("privacy-utility.png", "roc-real.png", "curves-pretrain_dp.png")) assertTrue(Files.size(root.resolve("plots").resolve(png)) > 1000, png);
        // the study's numbers beside ours: real at ε = ∞ is dbr0 (CBIS AUROC 0.778 ± 0.001), real + synth at ε = 8 has none
        assertTrue(html.contains("dbr0") && html.contains("0.778±0.001"));
        assertTrue(html.contains("Privacy ledger") && html.contains("without DP"));
        assertFalse(html.contains("Accountants side by side") || html.contains(" · RDP") || html.contains("dotted"), "one accountant, no side-by-side");
        List<String> lines = Files.readAllLines(root.resolve("results.csv"));
        List<String> head = List.of(lines.get(0).split(","));
        String[] row = lines.get(1).split(",");
        assertEquals(List.of("real", "1", "rdp", "42"), List.of(row).subList(0, 4));
        // the fake's DP runs record 20 steps at σ = 20/ε: ε spent is what the accountant says for that, not the target
        double spent = Double.parseDouble(row[head.indexOf("epsilon_rdp")]);
        assertTrue(spent > 0 && spent < 1, "ε spent " + spent);
        // every cell's AUROC has its bootstrap interval around it
        int auroc = head.indexOf("phantom_test_auroc"), lo = head.indexOf("phantom_test_auroc_ci_low"), hi = head.indexOf("phantom_test_auroc_ci_high");
        for (String l : lines.subList(1, lines.size())) {
            String[] r = l.split(",");
            double a = Double.parseDouble(r[auroc]), l95 = Double.parseDouble(r[lo]), h95 = Double.parseDouble(r[hi]);
            assertTrue(l95 <= a && a <= h95 && h95 - l95 < 0.6, l);
        }
        assertTrue(progress.toString().contains("[21/21] done") && progress.toString().contains("ETA"));
    }

    @Test
    void aRestartRedoesOnlyUnfinishedCellsAndGivesTheSameResults(@TempDir Path root) throws Exception {
        FakeTrainers t = new FakeTrainers();
        run(root, t);
        List<String> first = results(root);
        Cell lost = new Cell(Condition.REAL_SYNTH, 8, "rdp", 43);
        Files.delete(root.resolve(lost.marker()));
        FakeTrainers again = new FakeTrainers();
        run(root, again);
        assertEquals(Map.of(root.resolve(lost.dir()), 1), again.calls);
        assertEquals(first, results(root));
        assertTrue(progress.toString().contains("resuming: 20 of 21 jobs already finished"));
    }

    @Test
    void aCrashInsideADpCellIsResumedWithoutSpendingTwice(@TempDir Path root) throws Exception {
        FakeTrainers t = new FakeTrainers();
        Cell victim = new Cell(Condition.REAL, 1, "rdp", 42);
        t.crashOnce = root.resolve(victim.dir());
        assertThrows(IllegalStateException.class, () -> run(root, t));
        assertFalse(Files.exists(root.resolve(victim.marker())));
        run(root, t);
        PrivacyLedger ledger = PrivacyLedger.open(root.resolve(victim.dir()).resolve("ledger.json"));
        assertEquals(20, ledger.stepsRecorded("classifier"));
        // one phase, then one spend entry per step: the 5 steps reserved before the crash were not recorded again
        assertEquals(1 + 20, ledger.entryCount());
        Path clean = root.resolveSibling(root.getFileName() + "-clean");
        run(clean, new FakeTrainers());
        assertEquals(results(clean), results(root));
    }

    /** A finished cell's ledger cut afterwards would publish a smaller ε: the report refuses it, naming the ledger. */
    @Test
    void aCellLedgerCutAfterItsResultIsRefusedByTheReport(@TempDir Path root) throws Exception {
        run(root, new FakeTrainers());
        Cell cell = new Cell(Condition.REAL, 8, "rdp", 42);
        Path ledger = root.resolve(cell.dir()).resolve("ledger.json");
        List<String> lines = Files.readAllLines(ledger);
        Files.write(ledger, lines.subList(0, lines.size() - 5));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> run(root, new FakeTrainers()));
        assertTrue(e.getMessage().contains(ledger.toString()) && e.getMessage().contains("truncated or replaced"), e.getMessage());
        Files.delete(ledger);
        e = assertThrows(IllegalStateException.class, () -> run(root, new FakeTrainers()));
        assertTrue(e.getMessage().contains("is missing"), e.getMessage());
    }

    @Test
    void anotherConfigInTheSameFolderIsRefused(@TempDir Path root) throws Exception {
        run(root, new FakeTrainers());
        ExperimentConfig other = ExperimentConfig.parse("{\"preset\": \"demo\", \"seeds\": [7]}");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new ExperimentRunner(other, data(), root, new FakeTrainers(), new PrintStream(progress, true, StandardCharsets.UTF_8)).run());
        assertTrue(e.getMessage().contains("another config"), e.getMessage());
    }

    /** A folder written before classifier.aug_multiplicity, .finetune and .activation existed resumes under their defaults. */
    @Test
    void aFolderFromBeforeTheNewerClassifierKeysResumes(@TempDir Path root) throws Exception {
        run(root, new FakeTrainers());
        Path file = root.resolve("config.json");
        com.fasterxml.jackson.databind.node.ObjectNode old = (com.fasterxml.jackson.databind.node.ObjectNode) ExperimentConfig.JSON.readTree(file.toFile());
        ((com.fasterxml.jackson.databind.node.ObjectNode) old.get("classifier")).remove(List.of("aug_multiplicity", "finetune", "activation"));
        Files.writeString(file, ExperimentConfig.JSON.writeValueAsString(old));
        FakeTrainers again = new FakeTrainers();
        run(root, again);
        assertTrue(again.calls.isEmpty(), "nothing retrained: " + again.calls.keySet());
    }

    /** classifier.finetune full makes the pretrain_dp DP cells, and only them, train the whole pretrained model. */
    @Test
    void fullFineTuningReachesOnlyThePretrainDpCells(@TempDir Path root) throws Exception {
        FakeTrainers head = new FakeTrainers();
        run(root.resolve("head"), head);
        com.fasterxml.jackson.databind.node.ObjectNode json = config().toJson();
        ((com.fasterxml.jackson.databind.node.ObjectNode) json.get("classifier")).put("finetune", "full");
        ExperimentConfig full = ExperimentConfig.fromJson(json);
        FakeTrainers t = new FakeTrainers();
        new ExperimentRunner(full, data(), root.resolve("full"), t, new PrintStream(progress, true, StandardCharsets.UTF_8)).run();
        assertEquals(head.fullModel.size(), t.fullModel.size());
        int pretrainDp = 0;
        for (Map.Entry<Path, Boolean> e : t.fullModel.entrySet()) {
            String dir = root.resolve("full").relativize(e.getKey()).toString();
            boolean dpFineTune = dir.startsWith("cells/pretrain_dp");
            // the pretrainings (synthetic and public) train their whole model in both configs
            boolean pretraining = !dir.startsWith("cells/");
            assertEquals(dpFineTune || pretraining, e.getValue(), dir);
            assertEquals(pretraining, head.fullModel.get(root.resolve("head").resolve(dir)), dir);
            if (dpFineTune) pretrainDp++;
        }
        assertEquals(2, pretrainDp); // ε = 8 for both seeds; the ε = ∞ cell evaluates the pretrained model as it is
    }

    /**
     * With a DP GAN, a cell's end-to-end ε composes everything that read the real records: the generator when the cell
     * uses its samples, the classifier's phase when it trained on real records under DP; checked against the RDP
     * accountant over those segments, assembled here from the fakes' known schedules.
     */
    @Test
    void aDpGanComposesWithTheClassifiersSpendOnTheRealRecords(@TempDir Path root) throws Exception {
        ExperimentConfig dpGan = ExperimentConfig.parse("{\"preset\": \"demo\", \"grid\": {\"real\": [8, \"inf\"], \"real_synth\": [8, \"inf\"],"
                + " \"synth\": [8, \"inf\"], \"pretrain_dp\": [8, \"inf\"]}, \"seeds\": [42], \"classifier\": {\"epochs\": 2}, \"gan\": {\"dp_epsilon\": 5}}");
        FakeTrainers t = new FakeTrainers();
        t.dpGan = true;
        Path report = new ExperimentRunner(dpGan, data(), root, t, new PrintStream(progress, true, StandardCharsets.UTF_8)).run();
        Segment gan = new Segment(0.1, FakeTrainers.GAN_SIGMA, FakeTrainers.GAN_STEPS);
        Segment classifier = new Segment(0.1, 20.0 / 8, 20); // the fake's DP cell: σ = 20/ε, 10 steps per epoch
        RdpAccountant rdp = new RdpAccountant();
        Map<Condition, double[]> want = new LinkedHashMap<>(); // {at ε = 8, at ε = ∞}
        double inf = Double.POSITIVE_INFINITY;
        want.put(Condition.REAL, new double[] {rdp.epsilon(List.of(classifier), 1e-4).epsilon(), inf});
        want.put(Condition.REAL_SYNTH, new double[] {rdp.epsilon(List.of(gan, classifier), 1e-4).epsilon(), inf});
        want.put(Condition.SYNTH, new double[] {rdp.epsilon(List.of(gan), 1e-4).epsilon(), rdp.epsilon(List.of(gan), 1e-4).epsilon()});
        want.put(Condition.PRETRAIN_DP, new double[] {rdp.epsilon(List.of(gan, classifier), 1e-4).epsilon(), rdp.epsilon(List.of(gan), 1e-4).epsilon()});
        List<CellResult> results = Results.collect(root, GridPlan.of(dpGan, false));
        assertEquals(8, results.size());
        for (CellResult r : results) {
            double expected = want.get(r.condition())[Double.isInfinite(r.epsilon()) ? 1 : 0];
            assertEquals(expected, r.epsilonEndToEnd(), 1e-12, r.condition() + " at ε " + r.epsilon());
        }
        assertTrue(want.get(Condition.REAL_SYNTH)[0] > want.get(Condition.REAL)[0], "composition adds");
        String html = Files.readString(report);
        assertTrue(html.contains("under DP") && html.contains("fake GAN"), "the report names the DP GAN and lists its ledger phase");

        // A DP GAN needs the experiment to train it: with a given synthetic set the key is refused before training.
        ExperimentData given = new ExperimentData("phantom:32:30:1", "phantom:32:20:2", data().tests(), "phantom:32:30:9", null, "given synthetic");
        FakeTrainers none = new FakeTrainers();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new ExperimentRunner(dpGan, given, root.resolve("given"), none, new PrintStream(progress, true, StandardCharsets.UTF_8)).run());
        assertTrue(e.getMessage().contains("gan.dp_epsilon"), e.getMessage());
        assertTrue(none.calls.isEmpty());
    }

    @Test
    void anUnreachableEpsilonFailsBeforeAnyTraining(@TempDir Path root) {
        ExperimentConfig tiny = ExperimentConfig.parse("{\"preset\": \"demo\", \"grid\": {\"real\": [1e-9]}}");
        FakeTrainers t = new FakeTrainers();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new ExperimentRunner(tiny, data(), root, t, new PrintStream(progress, true, StandardCharsets.UTF_8)).run());
        assertTrue(e.getMessage().contains("real ε=1.0E-9 (RDP) seed 42"), e.getMessage());
        assertTrue(t.calls.isEmpty());
    }

    @Test
    void twoAccountantsRunTheirDpCellsApartShareTheRestAndMeetInOneReport(@TempDir Path root) throws Exception {
        FakeTrainers t = new FakeTrainers();
        ExperimentConfig both = config().withAccountants(List.of("rdp", "prv"));
        Path report = new ExperimentRunner(both, data(), root, t, new PrintStream(progress, true, StandardCharsets.UTF_8)).run();
        // 1 backbone + 2 GANs + 2 pretrainings, shared; per seed 5 DP cells twice and 2 trained ε = ∞ cells once
        assertEquals(1 + 2 + 2 + (5 * 2 + 2) * 2, t.calls.size());
        // PRV added to a finished RDP grid in its folder trains the PRV cells and nothing else
        Path later = root.resolveSibling(root.getFileName() + "-later");
        run(later, new FakeTrainers());
        FakeTrainers added = new FakeTrainers();
        new ExperimentRunner(both, data(), later, added, new PrintStream(progress, true, StandardCharsets.UTF_8)).run();
        assertEquals(5 * 2, added.calls.size());
        assertTrue(added.calls.keySet().stream().allMatch(p -> p.getFileName().toString().contains("__prv__")), added.calls.toString());
        assertEquals(results(root), results(later));
        List<String> rows = Files.readAllLines(root.resolve("results.csv"));
        assertEquals(1 + (5 * 2 + 3) * 2, rows.size());
        assertTrue(rows.stream().anyMatch(r -> r.startsWith("real,8,prv,43,")) && rows.stream().anyMatch(r -> r.startsWith("real,8,rdp,43,")));
        assertEquals(2, rows.stream().filter(r -> r.startsWith("real,inf,-,")).count(), "the ε = ∞ cell once per seed");
        // summary: one row per (condition, ε, accountant): 5 DP pairs and 3 ε = ∞ rows
        assertEquals(1 + 5 * 2 + 3, Files.readAllLines(root.resolve("summary.csv")).size());
        String html = Files.readString(report);
        assertTrue(html.contains("Accountants side by side"));
        // the fake calibrates σ = 20/ε under RDP and 18/ε under PRV: at ε = 8, 2.5 and 2.25 side by side in one row
        assertTrue(html.contains("<td>real only</td><td>8</td><td>2.500</td><td>2.250</td>"), "σ RDP then PRV");
        assertTrue(html.contains("8 · PRV") && html.contains("dotted"));
        // the PRV cells' ledgers say PRV, and a lost PRV result is redone alone
        assertEquals("prv", PrivacyLedger.open(root.resolve(new Cell(Condition.REAL, 8, "prv", 42).dir()).resolve("ledger.json")).spends().get(0).phase().accountant());
        Cell lost = new Cell(Condition.PRETRAIN_DP, 8, "prv", 43);
        Files.delete(root.resolve(lost.marker()));
        FakeTrainers again = new FakeTrainers();
        new ExperimentRunner(both, data(), root, again, new PrintStream(progress, true, StandardCharsets.UTF_8)).run();
        assertEquals(Map.of(root.resolve(lost.dir()), 1), again.calls);
    }

    @Test
    void theReportRebuildsFromTheFolderAlone(@TempDir Path root) throws Exception {
        run(root, new FakeTrainers());
        Files.delete(root.resolve("report.html"));
        Path r = ExperimentRunner.report(root);
        assertTrue(Files.readString(r).contains("Privacy–utility"));
    }
}
