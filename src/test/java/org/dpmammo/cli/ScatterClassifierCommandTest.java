package org.dpmammo.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.dpmammo.privacy.ledger.PrivacyLedger;
import org.dpmammo.train.Classifier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The scattering model through the ordinary classifier commands, on a handful of phantom images. */
class ScatterClassifierCommandTest {
    @Test
    void trainsOnCachedScatteringFeaturesWithAndWithoutDpAndEvaluates(@TempDir Path dir) throws Exception {
        Path plain = dir.resolve("plain"), dp = dir.resolve("dp");
        MainTest.Run a = new MainTest.Run("classifier", "train", "--train", "phantom:64:12:1", "--val", "phantom:64:8:2", "--out", plain.toString(),
                "--preset", "scatter", "--epochs", "2", "--batch-size", "4", "--lr", "1e-2", "--device", "cpu");
        assertEquals(0, a.rc, a.err);
        assertTrue(a.out.contains("scattering"), a.out);
        // Frozen backbone: the features were cached once, for all four flip variants.
        try (var files = Files.list(plain.resolve("cache"))) {
            assertEquals(1, files.filter(f -> f.getFileName().toString().startsWith("features-")).count());
        }
        Classifier c = Classifier.load(plain.resolve("checkpoints/best.safetensors"));
        assertEquals("scatter", new ObjectMapper().readTree(c.spec().toJson()).get("backbone").asText());
        MainTest.Run e = new MainTest.Run("classifier", "evaluate", "--checkpoint", plain.resolve("checkpoints/best.safetensors").toString(),
                "--data", "phantom:64:8:3", "--device", "cpu");
        assertEquals(0, e.rc, e.err);

        MainTest.Run b = new MainTest.Run("classifier", "train", "--train", "phantom:64:12:1", "--val", "phantom:64:8:2", "--out", dp.toString(),
                "--preset", "scatter", "--epochs", "2", "--batch-size", "4", "--lr", "1e-2", "--dp", "--target-epsilon", "8", "--device", "cpu");
        assertEquals(0, b.rc, b.err);
        PrivacyLedger ledger = PrivacyLedger.open(dp.resolve("ledger.json"));
        assertTrue(ledger.spends().stream().mapToLong(PrivacyLedger.Spend::steps).sum() > 0, "every DP step is in the ledger");
        JsonNode m = new ObjectMapper().readTree(dp.resolve("metrics.json").toFile());
        assertTrue(m.get("dp").toString().contains("epsilon"), m.toString());
    }

    @Test
    void theFullModelTrainsTooAndAnUnknownPresetIsRefused(@TempDir Path dir) {
        MainTest.Run a = new MainTest.Run("classifier", "train", "--train", "phantom:64:8:1", "--val", "phantom:64:8:2", "--out", dir.resolve("full").toString(),
                "--preset", "scatter", "--freeze", "none", "--head", "linear", "--epochs", "1", "--batch-size", "4", "--device", "cpu");
        assertEquals(0, a.rc, a.err);
        MainTest.Run bad = new MainTest.Run("classifier", "train", "--train", "phantom:64:8:1", "--val", "phantom:64:8:2", "--out", dir.resolve("x").toString(),
                "--preset", "scattering");
        assertEquals(2, bad.rc, bad.err);
        assertEquals(1, bad.err.strip().lines().count(), bad.err);
        assertTrue(bad.err.contains("scatter"), bad.err);
    }
}
