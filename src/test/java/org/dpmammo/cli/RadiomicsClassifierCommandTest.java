package org.dpmammo.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.dpmammo.privacy.ledger.PrivacyLedger;
import org.dpmammo.train.Classifier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The radiomics models through the ordinary classifier commands, on a handful of phantom images. */
class RadiomicsClassifierCommandTest {
    @Test
    void radiomicsTrainsOnCachedFeaturesUnderDpAndItsCheckpointEvaluates(@TempDir Path dir) throws Exception {
        Path run = dir.resolve("dp");
        MainTest.Run a = new MainTest.Run("classifier", "train", "--train", "phantom:64:12:1", "--val", "phantom:64:8:2", "--out", run.toString(),
                "--preset", "radiomics", "--head", "linear", "--epochs", "2", "--batch-size", "4", "--lr", "1e-2", "--dp", "--target-epsilon", "8",
                "--device", "cpu");
        assertEquals(0, a.rc, a.err);
        assertTrue(a.out.contains("radiomics"), a.out);
        // Frozen backbone: the features were cached once, for all four flip variants.
        try (var files = Files.list(run.resolve("cache"))) {
            assertEquals(1, files.filter(f -> f.getFileName().toString().startsWith("features-")).count());
        }
        PrivacyLedger ledger = PrivacyLedger.open(run.resolve("ledger.json"));
        assertTrue(ledger.spends().stream().mapToLong(PrivacyLedger.Spend::steps).sum() > 0, "every DP step is in the ledger");
        Path best = run.resolve("checkpoints/best.safetensors");
        assertEquals("radiomics", new ObjectMapper().readTree(Classifier.load(best).spec().toJson()).get("backbone").asText());
        MainTest.Run e = new MainTest.Run("classifier", "evaluate", "--checkpoint", best.toString(), "--data", "phantom:64:8:3", "--device", "cpu");
        assertEquals(0, e.rc, e.err);
    }

    @Test
    void scatteringPlusRadiomicsTrainsEndToEndWithoutDp(@TempDir Path dir) throws Exception {
        Path run = dir.resolve("full");
        MainTest.Run a = new MainTest.Run("classifier", "train", "--train", "phantom:64:8:1", "--val", "phantom:64:8:2", "--out", run.toString(),
                "--preset", "scatter_radiomics", "--freeze", "none", "--head", "linear", "--epochs", "1", "--batch-size", "4", "--device", "cpu");
        assertEquals(0, a.rc, a.err);
        assertTrue(a.out.contains("radiomics + scattering"), a.out);
        assertEquals("scatter_radiomics",
                new ObjectMapper().readTree(Classifier.load(run.resolve("checkpoints/best.safetensors")).spec().toJson()).get("backbone").asText());
    }
}
