package org.dpmammo.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.dpmammo.data.Datasets;
import org.dpmammo.data.FileDataset;
import org.dpmammo.data.SharedData;
import org.dpmammo.train.gan.QualityReport;
import org.dpmammo.train.gan.RadiomicsFeatures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code dpmammo gan}: end to end on the phantom, usage errors, and the features on the real patches. */
class GanCommandTest {
    @Test
    void trainSampleAndEvaluateEndToEnd(@TempDir Path tmp) throws Exception {
        Path run = tmp.resolve("run");
        MainTest.Run train = new MainTest.Run("gan", "train", "--data", "phantom:64:16:1", "--out", run.toString(), "--epochs", "1", "--width", "2");
        assertEquals(0, train.rc, train.err);
        assertTrue(train.out.contains("epoch 1/1"), train.out);
        Path ck = run.resolve("checkpoints").resolve("epoch_0001.safetensors");
        assertTrue(Files.isRegularFile(ck));
        Path samples = tmp.resolve("samples");
        MainTest.Run sample = new MainTest.Run("gan", "sample", "--checkpoint", ck.toString(), "--count", "10", "--class", "malignant", "--out", samples.toString());
        assertEquals(0, sample.rc, sample.err);
        assertEquals(10, Datasets.flat(samples).classCounts()[0], "all malignant");
        MainTest.Run eval = new MainTest.Run("gan", "evaluate", "--real", "phantom:64:24:1", "--synthetic", "phantom:64:24:2", "--size", "64", "--json");
        assertEquals(0, eval.rc, eval.err);
        assertTrue(eval.out.contains("\"real-synthetic\""), eval.out);
        // Resuming a finished run does nothing more; starting over in it is refused.
        assertEquals(1, new MainTest.Run("gan", "train", "--data", "phantom:64:16:1", "--out", run.toString(), "--epochs", "1", "--width", "2").rc);
    }

    @Test
    void badUsageIsExitTwoWithOneLine(@TempDir Path tmp) {
        String[][] bad = {
            {"gan"},
            {"gan", "frobnicate"},
            {"gan", "train", "--out", tmp.toString()},
            {"gan", "train", "--data", "phantom:64:16:1", "--out", tmp.toString(), "--preset", "huge"},
            {"gan", "train", "--data", "phantom:64:16:1", "--out", tmp.toString(), "--epochs", "0"},
            {"gan", "train", "--data", "phantom:64:16:1", "--out", tmp.toString(), "--lr", "0"},
            {"gan", "train", "--data", "phantom:64:16:1", "--out", tmp.toString(), "--lr", "fast"},
            {"gan", "train", "--data", "phantom:64:16:1", "--out", tmp.toString(), "--upsample", "bilinear"},
            {"gan", "train", "--data", "phantom:64:16:1", "--out", tmp.toString(), "--norm-d", "layer"},
            {"gan", "train", "--data", tmp.resolve("absent").toString(), "--out", tmp.toString()},
            {"gan", "sample", "--checkpoint", tmp.resolve("absent.safetensors").toString(), "--out", tmp.toString()},
            {"gan", "sample", "--checkpoint", tmp.toString(), "--out", tmp.toString(), "--class", "both"},
            {"gan", "evaluate", "--real", "phantom:64:8:1", "--synthetic", "phantom:64:8:2", "--k", "0"},
            {"gan", "train", "--data", "phantom:64:16:1", "--out", tmp.toString(), "--target-epsilon", "1"},
            {"gan", "train", "--data", "phantom:64:16:1", "--out", tmp.toString(), "--dp"},
            {"gan", "train", "--data", "phantom:64:16:1", "--out", tmp.toString(), "--dp", "--target-epsilon", "-1"},
            {"gan", "train", "--data", "phantom:64:16:1", "--out", tmp.toString(), "--dp", "--target-epsilon", "1", "--delta", "1"},
            {"gan", "train", "--data", "phantom:64:16:1", "--out", tmp.toString(), "--dp", "--target-epsilon", "1", "--accountant", "moments"},
            {"gan", "train", "--data", "phantom:64:16:1", "--out", tmp.toString(), "--dp", "--target-epsilon", "1", "--norm", "batch"},
        };
        for (String[] args : bad) {
            MainTest.Run r = new MainTest.Run(args);
            assertEquals(2, r.rc, String.join(" ", args) + ": " + r.err);
            assertTrue(r.err.strip().lines().count() <= 12, r.err);
        }
        assertTrue(!Files.exists(tmp.resolve("ledger.json")) && !Files.exists(tmp.resolve("checkpoints")), "a refused run writes nothing");
    }

    @Test
    void featuresOfRealPatchesAreFiniteAndFindAMass() throws Exception {
        Path train = SharedData.require("cbis-ddsm/train");
        FileDataset all = Datasets.split(train);
        QualityReport.Features f = QualityReport.extract(new FileDataset(all.entries().subList(0, 120), "first 120 of " + train), 128);
        for (double[] row : f.rows()) {
            for (int j = 0; j < RadiomicsFeatures.DIM; j++) assertTrue(Double.isFinite(row[j]), RadiomicsFeatures.NAMES.get(j));
            assertTrue(row[20] > 0 && row[20] < 1, "mass area fraction " + row[20]);
        }
    }
}
