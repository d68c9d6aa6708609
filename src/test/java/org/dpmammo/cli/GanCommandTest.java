package org.dpmammo.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.dpmammo.data.Datasets;
import org.dpmammo.data.FileDataset;
import org.dpmammo.data.GrayImage;
import org.dpmammo.data.ImageIo;
import org.dpmammo.data.SharedData;
import org.dpmammo.models.radiomics.RadiomicsFeatures;
import org.dpmammo.train.gan.QualityReport;
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
    void sampleRefusesAFullFolderAndBadCheckpointsAndReportsProgress(@TempDir Path tmp) throws Exception {
        Path run = tmp.resolve("run");
        assertEquals(0, new MainTest.Run("gan", "train", "--data", "phantom:64:16:1", "--out", run.toString(), "--epochs", "1", "--width", "2").rc);
        String ck = run.resolve("checkpoints").resolve("epoch_0001.safetensors").toString();
        Path first = tmp.resolve("first");
        assertEquals(0, new MainTest.Run("gan", "sample", "--checkpoint", ck, "--count", "4", "--out", first.toString()).rc);
        // A second set into the same folder used to overwrite and mix the two sets' files.
        MainTest.Run again = new MainTest.Run("gan", "sample", "--checkpoint", ck, "--count", "6", "--seed", "1", "--out", first.toString());
        assertEquals(2, again.rc, again.err);
        assertEquals(1, again.err.strip().lines().count(), again.err);
        assertTrue(again.err.contains("--out " + first + ": exists and is not empty"), again.err);
        assertEquals(4, Datasets.flat(first).size());
        // A file that is not a GAN checkpoint is bad input (2), like a bad classifier checkpoint; it used to be 1.
        Path junk = Files.write(tmp.resolve("junk.safetensors"), new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9});
        MainTest.Run bad = new MainTest.Run("gan", "sample", "--checkpoint", junk.toString(), "--out", tmp.resolve("s").toString());
        assertEquals(2, bad.rc, bad.err);
        assertEquals(1, bad.err.strip().lines().count(), bad.err);
        assertTrue(bad.err.contains("--checkpoint " + junk), bad.err);
        // From 1000 images on, progress at every tenth (a million used to print nothing for 40 s).
        MainTest.Run many = new MainTest.Run("gan", "sample", "--checkpoint", ck, "--count", "1000", "--out", tmp.resolve("many").toString());
        assertEquals(0, many.rc, many.err);
        assertEquals(10, many.out.lines().filter(l -> l.matches("sampled \\d+ of 1000 images")).count(), many.out);
        assertTrue(many.out.contains("sampled 1000 of 1000 images"), many.out);
        assertEquals(1000, Datasets.flat(tmp.resolve("many")).size());
        // A damaged checkpoint met by --resume is bad input too (2), named in one line.
        Files.write(Path.of(ck), new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9});
        MainTest.Run resume = new MainTest.Run("gan", "train", "--data", "phantom:64:16:1", "--out", run.toString(), "--epochs", "2", "--width", "2", "--resume",
                "--device", "cpu");
        assertEquals(2, resume.rc, resume.err);
        assertEquals(1, resume.err.strip().lines().count(), resume.err);
        assertTrue(resume.err.contains(ck + ": header length"), resume.err);
    }

    @Test
    void aDamagedImageStopsGanTrainingBeforeAnythingIsWritten(@TempDir Path tmp) throws Exception {
        Path data = Files.createDirectories(tmp.resolve("data"));
        for (int i = 0; i < 8; i++) {
            ImageIo.writePng(data.resolve(i + (i % 2 == 0 ? "_benign.png" : "_malignant.png")), new GrayImage(64, 64, 255, new short[64 * 64]));
        }
        byte[] whole = Files.readAllBytes(data.resolve("3_malignant.png"));
        Files.write(data.resolve("3_malignant.png"), Arrays.copyOf(whole, whole.length / 2));
        Path run = tmp.resolve("run");
        MainTest.Run r = new MainTest.Run("gan", "train", "--data", data.toString(), "--out", run.toString(), "--epochs", "1", "--width", "2", "--batch", "4");
        assertEquals(2, r.rc, r.err);
        assertEquals(1, r.err.strip().lines().count(), r.err);
        assertTrue(r.err.contains("1 of 8 images cannot be decoded, e.g. ") && r.err.contains("3_malignant.png: truncated PNG"), r.err);
        // It used to fail part-way, leaving config.json, provenance.json and checkpoints/ behind.
        assertFalse(Files.exists(run), "nothing written");
    }

    @Test
    void badUsageIsExitTwoWithOneLine(@TempDir Path tmp) {
        // No subcommand: the usage text on stderr is the explanation.
        MainTest.Run bare = new MainTest.Run("gan");
        assertEquals(2, bare.rc);
        assertTrue(bare.err.startsWith("usage: dpmammo gan <subcommand>"), bare.err);
        String[][] bad = {
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
            {"gan", "train", "--data", "phantom:64:16:1", "--out", tmp.toString(), "--d-steps", "0"},
            {"gan", "train", "--data", "phantom:64:16:1", "--out", tmp.toString(), "--ema-decay", "1"},
            {"gan", "train", "--data", "phantom:64:16:1", "--out", tmp.toString(), "--beta1-d", "-0.1"},
            {"gan", "train", "--data", "phantom:64:16:1", "--out", tmp.toString(), "--model", "vae"},
            {"gan", "train", "--data", "phantom:64:16:1", "--out", tmp.toString(), "--model", "merf"},
            {"gan", "train", "--data", "phantom:64:16:1", "--out", tmp.toString(), "--model", "merf", "--dp", "--target-epsilon", "1", "--d-steps", "2"},
            {"gan", "train", "--data", "phantom:64:16:1", "--out", tmp.toString(), "--model", "merf", "--dp", "--target-epsilon", "1", "--merf-features", "999"},
            {"gan", "train", "--data", "phantom:64:16:1", "--out", tmp.toString(), "--steps", "10"},
        };
        for (String[] args : bad) {
            MainTest.Run r = new MainTest.Run(args);
            assertEquals(2, r.rc, String.join(" ", args) + ": " + r.err);
            assertEquals(1, r.err.strip().lines().count(), String.join(" ", args) + ": " + r.err);
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
