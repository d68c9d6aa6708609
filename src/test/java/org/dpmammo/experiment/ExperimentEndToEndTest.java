package org.dpmammo.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.dpmammo.data.Dataset;
import org.dpmammo.data.Datasets;
import org.dpmammo.data.Labels;
import org.dpmammo.experiment.GridPlan.Cell;
import org.dpmammo.privacy.dpsgd.PrivacyPlanner;
import org.dpmammo.privacy.accounting.RdpAccountant;
import org.dpmammo.privacy.ledger.PrivacyLedger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tiny experiments on the real trainers with phantom data and a phantom stand-in for the synthetic set (so no GAN
 * trains): the demo's CNN on all four conditions with a crash after training, the restart and the report; and the
 * Swin path (tiny Swin, public backbone pretraining, shared feature cache).
 */
class ExperimentEndToEndTest {
    @Test
    void cnnGridOnPhantomDataRunsResumesAfterACrashAndReports(@TempDir Path root) throws Exception {
        ExperimentConfig config = ExperimentConfig.parse("{\"preset\": \"demo\", \"grid\": {\"real\": [8, \"inf\"], \"real_synth\": [8],"
                + " \"synth\": [\"inf\"], \"pretrain_dp\": [8, \"inf\"]}, \"classifier\": {\"epochs\": 3, \"batch_size\": 16, \"physical_batch\": 32},"
                + " \"pretrain\": {\"epochs\": 1}}");
        Map<String, String> tests = new LinkedHashMap<>();
        tests.put("phantom test", "phantom:32:48:3");
        ExperimentData data = new ExperimentData("phantom:32:64:1", "phantom:32:32:2", tests, "phantom:32:48:9", null, "phantom e2e");
        Trainers real = Trainers.forConfig(config, root.resolve("cache"));
        assertTrue(real instanceof CnnTrainers);
        Cell victim = new Cell(Condition.REAL, 8, "rdp", 42);
        // A trainer that dies after the victim cell trained, before its result was written: as a kill -9 would.
        Trainers crashing = new Trainers() {
            public void gan(long seed, Dataset d, Path run, Path samples, PrintStream log) throws IOException {
                real.gan(seed, d, run, samples, log);
            }

            public Path classifier(ClassifierJob job, PrintStream log) throws IOException {
                return real.classifier(job, log);
            }

            public double[] predict(Path checkpoint, Dataset d) throws IOException {
                if (checkpoint.startsWith(root.resolve(victim.dir()))) throw new IOException("simulated crash");
                return real.predict(checkpoint, d);
            }
        };
        PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        assertThrows(IOException.class, () -> new ExperimentRunner(config, data, root, crashing, quiet).run());
        Path ledgerFile = root.resolve(victim.dir()).resolve("ledger.json");
        long entriesBefore = PrivacyLedger.open(ledgerFile).entryCount();

        Path report = new ExperimentRunner(config, data, root, real, quiet).run();

        PrivacyLedger ledger = PrivacyLedger.open(ledgerFile);
        assertEquals(entriesBefore, ledger.entryCount(), "the restart spent nothing again");
        PrivacyPlanner.Plan plan = PrivacyPlanner.plan(64, 16, 3, 8, 1e-4, new RdpAccountant());
        assertEquals(plan.steps(), ledger.stepsRecorded(ledger.spends().get(0).phase().id()));
        List<CellResult> results = Results.collect(root, GridPlan.of(config, true));
        assertEquals(6, results.size());
        Dataset phantomTest = Datasets.open("phantom:32:48:3");
        for (CellResult r : results) {
            // The stored AUROC is that of the cell's chosen checkpoint on the test set, recomputed here by the
            // Mann–Whitney pair count (an independent formula) from fresh predictions.
            // (dbr15, pretrain_dp at ε = ∞, is the pretrained model itself.)
            boolean dbr15 = r.condition() == Condition.PRETRAIN_DP && Double.isInfinite(r.epsilon());
            Path best = dbr15 ? root.resolve("pretrain/seed-42/checkpoints/best.safetensors")
                    : root.resolve(new Cell(r.condition(), r.epsilon(), r.accountant(), r.seed()).dir()).resolve("checkpoints/best.safetensors");
            assertTrue(Files.exists(best), best.toString());
            assertEquals(mannWhitneyAuroc(phantomTest, real.predict(best, phantomTest)), r.tests().get("phantom test").get("auroc"), 1e-12, r.toString());
            if (r.epsilon() == 8) {
                assertTrue(r.epsilonSpent() <= 8 && r.epsilonSpent() > 0.75 * 8, "ε spent " + r.epsilonSpent());
                assertTrue(r.epsilonPrv() <= r.epsilonSpent(), "PRV is tighter than RDP: " + r.epsilonPrv() + " vs " + r.epsilonSpent());
                // ⌈N/B⌉ steps per epoch: 64 real examples, or 64 + 48 with the synthetic ones
                assertEquals(r.condition() == Condition.REAL_SYNTH ? 7 * 3 : plan.steps(), r.steps(), r.toString());
            }
            // only the real-only cell has a finite guarantee for the real records
            assertEquals(r.condition() == Condition.REAL && r.epsilon() == 8, Double.isFinite(r.epsilonEndToEnd()), r.toString());
        }
        assertTrue(Files.exists(root.resolve("pretrain/seed-42/done.json")));
        // DP fine-tuning from the pretrained CNN moved its last layer and nothing else
        Map<String, org.dpmammo.tensor.Tensor> pre = org.dpmammo.nn.SafeTensors.read(root.resolve("pretrain/seed-42/checkpoints/best.safetensors")).tensors();
        Map<String, org.dpmammo.tensor.Tensor> tuned = org.dpmammo.nn.SafeTensors.read(
                root.resolve(new Cell(Condition.PRETRAIN_DP, 8, "rdp", 42).dir()).resolve("checkpoints/best.safetensors")).tensors();
        for (String k : pre.keySet()) {
            boolean same = java.util.Arrays.equals(pre.get(k).toArray(), tuned.get(k).toArray());
            assertEquals(!k.startsWith("10."), same, k);
        }
        String html = Files.readString(report);
        assertTrue(html.contains("data:image/png;base64,") && html.contains(">dbr15<"), "the study's dbr15 is beside pretrain_dp at ε = ∞");
    }

    /** P(p_benign of a benign example > that of a malignant one), ties counting one half. */
    private static double mannWhitneyAuroc(Dataset d, double[] p) {
        double wins = 0;
        long pairs = 0;
        for (int i = 0; i < d.size(); i++) {
            if (d.label(i) != Labels.BENIGN) continue;
            for (int j = 0; j < d.size(); j++) {
                if (d.label(j) == Labels.BENIGN) continue;
                wins += p[i] > p[j] ? 1 : p[i] == p[j] ? 0.5 : 0;
                pairs++;
            }
        }
        return wins / pairs;
    }

    @Test
    void swinPathWithPublicBackboneAndSharedFeatureCache(@TempDir Path root) throws Exception {
        ExperimentConfig config = ExperimentConfig.parse("{\"preset\": \"demo\", \"grid\": {\"real\": [8, \"inf\"], \"pretrain_dp\": [8]},"
                + " \"classifier\": {\"model\": \"tiny\", \"epochs\": 2, \"batch_size\": 16, \"physical_batch\": 32}, \"pretrain\": {\"epochs\": 1},"
                + " \"public_pretraining\": {\"train\": \"phantom:32:48:900\", \"val\": \"phantom:32:24:901\", \"epochs\": 1, \"lr\": 0.001}}");
        Map<String, String> tests = new LinkedHashMap<>();
        tests.put("phantom test", "phantom:32:32:3");
        ExperimentData data = new ExperimentData("phantom:32:48:1", "phantom:32:24:2", tests, "phantom:32:32:9", null, "phantom e2e");
        Trainers swin = Trainers.forConfig(config, root.resolve("cache"));
        assertTrue(swin instanceof StudyTrainers);
        new ExperimentRunner(config, data, root, swin, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)).run();
        assertEquals(3, Results.collect(root, GridPlan.of(config, true)).size());
        // every run started from the public backbone; the two real-only cells share one cached feature file
        Cell dp = new Cell(Condition.REAL, 8, "rdp", 42), open = new Cell(Condition.REAL, Double.POSITIVE_INFINITY, null, 42);
        assertTrue(Files.readString(root.resolve(dp.dir()).resolve("init-report.json")).contains("backbone"));
        assertTrue(Files.isSymbolicLink(root.resolve(open.dir()).resolve("cache")));
        try (var files = Files.list(root.resolve("cache"))) {
            assertEquals(2, files.filter(f -> f.getFileName().toString().startsWith("features-")).count(), "one for the real cells, one for pretrain_dp");
        }
    }
}
