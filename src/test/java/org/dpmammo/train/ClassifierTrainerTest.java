package org.dpmammo.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.dpmammo.data.Datasets;
import org.dpmammo.models.swin.SwinTransformer;
import org.dpmammo.nn.SafeTensors;
import org.dpmammo.privacy.accounting.PrvAccountant;
import org.dpmammo.privacy.accounting.RdpAccountant;
import org.dpmammo.privacy.accounting.Segment;
import org.dpmammo.privacy.dpsgd.PrivacyPlanner;
import org.dpmammo.privacy.ledger.PrivacyLedger;
import org.dpmammo.privacy.noise.Randomness;
import org.dpmammo.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** End-to-end runs of the trainer on the built-in phantom at the tiny preset (32×32), each a few seconds. */
class ClassifierTrainerTest {
    static final String TRAIN = "phantom:32:48:1", VAL = "phantom:32:24:2";
    static final PrintStream QUIET = new PrintStream(new ByteArrayOutputStream());

    static ClassifierTrainer.Settings settings(Path out, int epochs, boolean dp, boolean freeze, boolean resume) {
        return settings(List.of(TRAIN), VAL, out, epochs, freeze, null, dp ? dp("rdp") : null, resume);
    }

    static ClassifierTrainer.Settings settings(List<String> train, String val, Path out, int epochs, boolean freeze, Path init, ClassifierTrainer.Dp dp,
            boolean resume) {
        return new ClassifierTrainer.Settings(train, val, out, "tiny", 5, epochs, 12, 1e-3, 1e-8, 0.1,
                freeze ? SwinTransformer.Head.MLP : SwinTransformer.Head.LINEAR, freeze, init, 16, 1, 1, resume, false, dp);
    }

    /** ε = 8 at δ = 1e-4, C = 1; reproducible randomness, so that runs can be compared. */
    static ClassifierTrainer.Dp dp(String accountant) {
        return new ClassifierTrainer.Dp(8, 1e-4, 1.0, accountant, Randomness.reproducible(5), null, Double.POSITIVE_INFINITY);
    }

    @Test
    void dpRunSpendsItsBudgetAndSelectsInsideTheWindow(@TempDir Path dir) throws Exception {
        ClassifierTrainer.Result r = ClassifierTrainer.run(settings(dir, 4, true, true, false), QUIET);
        List<String> rows = Files.readAllLines(dir.resolve("metrics.csv"));
        assertEquals(5, rows.size());
        double prev = 0;
        for (String row : rows.subList(1, rows.size())) {
            double eps = Double.parseDouble(row.split(",")[7]);
            assertTrue(eps > prev, row);
            prev = eps;
        }
        // σ is calibrated so that all planned steps spend the target: the last epoch ends just under it
        assertTrue(prev <= 8 && prev > 0.75 * 8, "final ε " + prev);
        assertEquals(prev, r.epsilonSpent(), 1e-5); // the CSV has 6 decimals
        assertTrue(r.bestEpoch() >= 0);
        double epsAtBest = Double.parseDouble(rows.get(1 + r.bestEpoch()).split(",")[7]);
        assertTrue(epsAtBest > 6 && epsAtBest < 8.4, "selected at ε " + epsAtBest);
        assertTrue(Files.readString(dir.resolve("ledger.json")).contains("\"spend\""));
        assertTrue(Files.exists(dir.resolve("val-roc.png")) && Files.exists(dir.resolve("provenance.json")));
        // the best checkpoint reloads and reproduces its recorded validation AUPRC
        Classifier c = Classifier.load(r.bestCheckpoint());
        var val = Datasets.open(VAL);
        double auprc = Metrics.averagePrecision(Classifier.labels(val), c.probabilities(val, 8, 1));
        assertEquals(Double.parseDouble(c.metadata().get("dpmammo.val_auprc")), auprc, 1e-6);
        assertEquals(r.bestAuprc(), auprc, 1e-6);
    }

    /** PRV calibration: less noise than RDP for the same ε, as the engine's planner computes it; ε per epoch is PRV's. */
    @Test
    void prvCalibratedRunUsesLessNoiseAndReportsPrvEpsilon(@TempDir Path dir) throws Exception {
        ClassifierTrainer.Settings s = settings(dir, 2, true, true, false);
        ClassifierTrainer.run(settings(List.of(TRAIN), VAL, dir, 2, true, null, dp("prv"), false), QUIET);
        PrivacyLedger.Phase phase = PrivacyLedger.open(dir.resolve("ledger.json")).spends().get(0).phase();
        assertEquals("prv", phase.accountant());
        // 48 examples in batches of 12: 4 steps per epoch, 8 in all
        PrivacyPlanner.Plan prv = PrivacyPlanner.plan(48, 12, 2, 8, 1e-4, new PrvAccountant()), rdp = PrivacyPlanner.plan(48, 12, 2, 8, 1e-4, new RdpAccountant());
        assertEquals(prv.sampleRate(), phase.sampleRate(), 1e-15);
        assertEquals(prv.noiseMultiplier(), phase.noiseMultiplier(), 1e-12);
        assertTrue(phase.noiseMultiplier() < rdp.noiseMultiplier(), "σ PRV " + phase.noiseMultiplier() + " vs RDP " + rdp.noiseMultiplier());
        List<String> rows = Files.readAllLines(dir.resolve("metrics.csv"));
        double last = Double.parseDouble(rows.get(rows.size() - 1).split(",")[7]);
        assertEquals(new PrvAccountant().epsilon(List.of(new Segment(prv.sampleRate(), prv.noiseMultiplier(), 8)), 1e-4).epsilon(), last, 1e-6);
        assertTrue(last <= 8 && last > 0.75 * 8, "final PRV ε " + last);
        assertTrue(Files.readString(dir.resolve("config.json")).contains("\"accountant\" : \"prv\""));
        // the accountant is part of the run: resuming it under another is refused before anything trains
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> ClassifierTrainer.run(settings(List.of(TRAIN), VAL, dir, 2, true, null,
                dp("rdp"), true), QUIET));
        assertTrue(e.getMessage().contains("other settings"), e.getMessage());
    }

    @Test
    void resumedRunEqualsUninterruptedRun(@TempDir Path dir) throws Exception {
        ClassifierTrainer.Settings first = settings(dir.resolve("b"), 3, true, true, false);
        // stop after the first epoch: same settings but 1 epoch, then resume to 3
        ClassifierTrainer.run(settings(List.of(TRAIN), VAL, first.out(), 1, true, null, dp("rdp"), false), QUIET);
        // without --resume a used run folder is refused
        assertThrows(IllegalStateException.class, () -> ClassifierTrainer.run(settings(dir.resolve("b"), 3, true, true, false), QUIET));
        // under DP, more epochs means another σ: the ledger refuses the changed phase
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> ClassifierTrainer.run(settings(dir.resolve("b"), 3, true, true, true), QUIET));
        assertTrue(e.getMessage().contains("other parameters"), e.getMessage());
        ClassifierTrainer.Settings nonDp = settings(dir.resolve("c"), 2, false, true, false);
        ClassifierTrainer.run(nonDp, QUIET);
        ClassifierTrainer.run(settings(List.of(TRAIN), VAL, dir.resolve("d"), 1, true, null, null, false), QUIET);
        ClassifierTrainer.run(settings(dir.resolve("d"), 2, false, true, true), QUIET);
        Map<String, Tensor> c = SafeTensors.read(dir.resolve("c/checkpoints/last.safetensors")).tensors();
        Map<String, Tensor> d = SafeTensors.read(dir.resolve("d/checkpoints/last.safetensors")).tensors();
        assertEquals(c.keySet(), d.keySet());
        for (String k : c.keySet()) assertArrayEquals(c.get(k).toArray(), d.get(k).toArray(), k);
        assertEquals(Files.readString(dir.resolve("c/metrics.csv")).lines().map(l -> l.substring(0, l.lastIndexOf(','))).toList(),
                Files.readString(dir.resolve("d/metrics.csv")).lines().map(l -> l.substring(0, l.lastIndexOf(','))).toList());
    }

    @Test
    void fullFineTuneMovesTheBackbone(@TempDir Path dir) throws Exception {
        ClassifierTrainer.run(settings(dir, 1, false, false, false), QUIET);
        Map<String, Tensor> after = SafeTensors.read(dir.resolve("checkpoints/last.safetensors")).tensors();
        Map<String, Tensor> init = new SwinTransformer(org.dpmammo.models.swin.SwinConfig.tiny(), SwinTransformer.Head.LINEAR, 2,
                new org.dpmammo.util.Rng(5)).stateDict();
        assertFalse(java.util.Arrays.equals(init.get("features.1.0.attn.qkv.weight").toArray(), after.get("features.1.0.attn.qkv.weight").toArray()));
        assertNotEquals(0, Files.readAllLines(dir.resolve("metrics.csv")).size());
    }

    /** torchvision weights with another head: the backbone loads, the head is reported and left fresh. */
    @Test
    void initWeightsAreLoadedAndMismatchesReported(@TempDir Path dir) throws Exception {
        Path fixture = Path.of("src/test/resources/fixtures/swin-tiny/model.safetensors");
        ClassifierTrainer.Settings s = settings(dir, 1, false, true, false);
        ClassifierTrainer.run(settings(List.of(TRAIN), VAL, dir, 1, true, fixture, null, false), QUIET);
        var report = new com.fasterxml.jackson.databind.ObjectMapper().readTree(dir.resolve("init-report.json").toFile());
        assertEquals("[\"head.0.weight\",\"head.0.bias\",\"head.2.weight\",\"head.2.bias\"]", report.get("missing").toString());
        assertEquals("[\"head.weight\",\"head.bias\"]", report.get("unexpected").toString());
        Map<String, Tensor> want = SafeTensors.read(fixture).tensors();
        Map<String, Tensor> got = SafeTensors.read(dir.resolve("checkpoints/last.safetensors")).tensors();
        // the frozen backbone is the loaded one, unchanged by training
        for (String k : List.of("features.0.0.weight", "features.1.1.attn.relative_position_bias_table", "features.3.1.mlp.3.weight", "norm.bias")) {
            assertArrayEquals(want.get(k).toArray(), got.get(k).toArray(), k);
        }
    }

    /** Full-model DP-SGD (no frozen backbone): every Swin parameter, bias tables included, moves, and the ledger records it. */
    @Test
    void fullModelDpTrainsEveryParameterAndWritesALedger(@TempDir Path dir) throws Exception {
        ClassifierTrainer.Settings s = settings(dir, 1, true, false, false);
        ClassifierTrainer.run(settings(List.of("phantom:32:24:1"), "phantom:32:8:2", dir, 1, false, null, dp("rdp"), false), QUIET);
        Map<String, Tensor> init = new SwinTransformer(org.dpmammo.models.swin.SwinConfig.tiny(), SwinTransformer.Head.LINEAR, 2,
                new org.dpmammo.util.Rng(5)).stateDict();
        Map<String, Tensor> after = SafeTensors.read(dir.resolve("checkpoints/last.safetensors")).tensors();
        for (String k : init.keySet()) {
            if (k.endsWith("relative_position_index")) continue;
            assertFalse(java.util.Arrays.equals(init.get(k).toArray(), after.get(k).toArray()), k + " did not change");
        }
        String ledger = Files.readString(dir.resolve("ledger.json"));
        assertTrue(ledger.contains("\"phase\"") && ledger.contains("\"spend\""), ledger);
        assertEquals(2, Files.readAllLines(dir.resolve("metrics.csv")).size());
    }
}
