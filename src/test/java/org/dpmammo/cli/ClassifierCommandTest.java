package org.dpmammo.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.dpmammo.data.GrayImage;
import org.dpmammo.data.ImageIo;
import org.dpmammo.models.swin.SwinTransformer;
import org.dpmammo.nn.SafeTensors;
import org.dpmammo.train.Classifier;
import org.dpmammo.train.ModelSpec;
import org.dpmammo.util.Rng;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClassifierCommandTest {
    static MainTest.Run run(String... args) {
        return new MainTest.Run(args);
    }

    @Test
    void badSettingsAreOneLineUsageErrors(@TempDir Path dir) {
        String out = dir.resolve("run").toString();
        String[][] bad = {
            {"classifier", "train", "--train", "phantom:32:8", "--val", "phantom:32:8", "--out", out, "--preset", "huge"},
            {"classifier", "train", "--train", "phantom:32:8", "--val", "phantom:32:8", "--out", out, "--dp"},
            {"classifier", "train", "--train", "phantom:32:8", "--val", "phantom:32:8", "--out", out, "--target-epsilon", "1"},
            {"classifier", "train", "--train", dir.resolve("nope").toString(), "--val", "phantom:32:8", "--out", out},
            {"classifier", "train", "--train", "phantom:32:8", "--val", "phantom:32:8", "--out", out, "--epochs", "0"},
            {"classifier", "train", "--train", "phantom:32:8", "--val", "phantom:32:8", "--out", out, "--accountant", "prv"},
            {"classifier", "train", "--train", "phantom:32:8", "--val", "phantom:32:8", "--out", out, "--dp", "--target-epsilon", "1",
                "--accountant", "moments"},
            {"classifier", "train", "--train", "phantom:32:8", "--val", "phantom:32:8", "--out", out, "--dp", "--target-epsilon", "1e300"},
            {"gan", "train", "--data", "phantom:32:8", "--out", out, "--dp", "--target-epsilon", "1e300"},
            {"classifier", "evaluate", "--checkpoint", dir.resolve("missing.safetensors").toString(), "--data", "phantom:32:8"},
            {"classifier", "frobnicate"},
        };
        for (String[] args : bad) {
            MainTest.Run r = run(args);
            assertEquals(2, r.rc, String.join(" ", args) + " → " + r.err);
            assertEquals(1, r.err.strip().lines().count(), r.err);
        }
    }

    @Test
    void aCheckpointWithANonFiniteThresholdIsRefused(@TempDir Path dir) throws Exception {
        ModelSpec spec = new ModelSpec(ModelSpec.preset("tiny"), SwinTransformer.Head.LINEAR, 2);
        for (String t : new String[] {"NaN", "Infinity", "1.5", "abc"}) {
            Path ckpt = dir.resolve("t.safetensors");
            SafeTensors.save(ckpt, spec.build(new Rng(0)), Map.of(ModelSpec.KEY, spec.toJson(), Classifier.THRESHOLD_KEY, t));
            // A NaN threshold used to call 0 of 30 malignant images malignant, with exit 0.
            MainTest.Run p = run("classifier", "predict", "--checkpoint", ckpt.toString(), "--data", "phantom:32:8", "--out", dir.resolve("p.csv").toString());
            assertEquals(2, p.rc, t + ": " + p.err);
            assertEquals(1, p.err.strip().lines().count(), p.err);
            assertTrue(p.err.contains("decision threshold '" + t + "'") && p.err.contains("not a probability in [0, 1]"), p.err);
            assertFalse(Files.exists(dir.resolve("p.csv")));
            MainTest.Run e = run("classifier", "evaluate", "--checkpoint", ckpt.toString(), "--data", "phantom:32:8");
            assertEquals(2, e.rc, t + ": " + e.err);
            assertTrue(e.err.contains("decision threshold"), e.err);
        }
    }

    @Test
    void oneClassTrainingDataIsRefusedBeforeAnythingIsWritten(@TempDir Path dir) throws Exception {
        Path benignOnly = dir.resolve("benign-only");
        for (int i = 0; i < 8; i++) {
            ImageIo.writePng(benignOnly.resolve("p" + i + "_benign.png"), new GrayImage(32, 32, 255, new short[32 * 32]));
        }
        Path out = dir.resolve("run");
        MainTest.Run c = run("classifier", "train", "--train", benignOnly.toString(), "--val", "phantom:32:8", "--out", out.toString(),
                "--preset", "tiny", "--epochs", "1");
        assertEquals(2, c.rc, c.err);
        assertEquals(1, c.err.strip().lines().count(), c.err);
        assertTrue(c.err.contains("holds 8 benign and 0 malignant images; training needs both classes"), c.err);
        assertFalse(Files.exists(out));
        MainTest.Run g = run("gan", "train", "--data", benignOnly.toString(), "--out", out.toString(), "--epochs", "1", "--batch", "4");
        assertEquals(2, g.rc, g.err);
        assertTrue(g.err.contains("--data: ") && g.err.contains("training needs both classes"), g.err);
        assertFalse(Files.exists(out));
    }

    /** Train, evaluate and predict on the real CBIS-DDSM validation patches (skipped without the shared data). */
    @Test
    void trainEvaluatePredictOnTheStudyLayout(@TempDir Path dir) throws Exception {
        Path val = sharedData().resolve("cbis-ddsm/val");
        String run = dir.resolve("run").toString();
        MainTest.Run t = run("classifier", "train", "--train", val.toString(), "--val", val.toString(), "--out", run,
                "--preset", "tiny", "--epochs", "1", "--batch-size", "64", "--lr", "1e-3", "--threads", "1");
        assertEquals(0, t.rc, t.err);
        assertTrue(t.out.contains("train: 192 images (90 benign)"), t.out);
        String ckpt = dir.resolve("run/checkpoints/best.safetensors").toString();
        MainTest.Run e = run("classifier", "evaluate", "--checkpoint", ckpt, "--data", val.toString(), "--json", "--bootstrap", "50");
        assertEquals(0, e.rc, e.err);
        JsonNode m = new ObjectMapper().readTree(e.out).get("sets").get(0).get("metrics");
        assertEquals(192, m.get("n").asInt());
        assertEquals(90, m.get("benign").asInt());
        // the checkpoint records the validation AUPRC it was chosen by; evaluating on the same data reproduces it
        List<String> rows = Files.readAllLines(dir.resolve("run/metrics.csv"));
        assertEquals(Double.parseDouble(rows.get(1).split(",")[6]), m.get("auprc").get("value").asDouble(), 1e-5);
        Path csv = dir.resolve("pred.csv");
        MainTest.Run p = run("classifier", "predict", "--checkpoint", ckpt, "--data", val.toString(), "--out", csv.toString());
        assertEquals(0, p.rc, p.err);
        assertEquals(193, Files.readAllLines(csv).size());
    }

    /** The ViT-style preset trained end to end with full-model DP-SGD from the command line. */
    @Test
    void vitPresetTrainsWithFullModelDp(@TempDir Path dir) throws Exception {
        MainTest.Run t = run("classifier", "train", "--train", "phantom:64:6:1", "--val", "phantom:64:4:2", "--out", dir.resolve("run").toString(),
                "--preset", "vit", "--head", "linear", "--freeze", "none", "--dp", "--target-epsilon", "8", "--epochs", "1",
                "--batch-size", "6", "--threads", "1");
        assertEquals(0, t.rc, t.err);
        assertTrue(t.out.contains("ViT-style"), t.out);
        assertTrue(Files.readString(dir.resolve("run/ledger.json")).contains("\"spend\""));
        assertTrue(Files.exists(dir.resolve("run/checkpoints/best.safetensors")));
    }

    /** ../shared/data from the project root, or {@code -Ddpmammo.shared=DIR}; the test is skipped if neither exists. */
    static Path sharedData() {
        Path p = Path.of("..", "shared", "data");
        if (!Files.isDirectory(p) && System.getProperty("dpmammo.shared") != null) p = Path.of(System.getProperty("dpmammo.shared"), "data");
        assumeTrue(Files.isDirectory(p.resolve("cbis-ddsm/val")),
                "real data not found: ../shared/data/cbis-ddsm/val is absent (set -Ddpmammo.shared=DIR to point at it)");
        return p;
    }
}
