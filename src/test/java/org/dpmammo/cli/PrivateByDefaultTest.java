package org.dpmammo.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.dpmammo.nn.SafeTensors;
import org.dpmammo.privacy.ledger.PrivacyLedger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a user gets from the DP commands with their defaults (private by default): secure randomness, spend
 * that composes per record across runs through a shared ledger, an ε that {@code privacy ledger report} reproduces
 * from the ledger alone, no statistic of the private records in the run folder, and ledgers that cannot be cut or
 * swapped without a resume or a report noticing. Tiny Swin, 48 phantom patches, head-only DP: a few seconds a run.
 */
class PrivateByDefaultTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String TRAIN = "phantom:32:48:1", VAL = "phantom:32:24:2";

    static MainTest.Run train(Path out, String... extra) {
        return train(out, 2, extra);
    }

    static MainTest.Run train(Path out, int epochs, String... extra) {
        List<String> a = new ArrayList<>(List.of("classifier", "train", "--train", TRAIN, "--val", VAL, "--out", out.toString(), "--preset", "tiny",
                "--epochs", Integer.toString(epochs), "--batch-size", "12", "--lr", "1e-3", "--threads", "1", "--dp", "--target-epsilon", "8"));
        a.addAll(Arrays.asList(extra));
        return new MainTest.Run(a.toArray(String[]::new));
    }

    static float[] head(Path run) throws Exception {
        return SafeTensors.read(run.resolve("checkpoints/last.safetensors")).tensors().get("head.0.weight").toArray();
    }

    @Test
    void defaultsDrawSecureNoiseAndReproducibleRunsAreMarkedAndNeverShareNoise(@TempDir Path dir) throws Exception {
        MainTest.Run a = train(dir.resolve("a")), b = train(dir.resolve("b"));
        assertEquals(0, a.rc, a.err);
        assertEquals(0, b.rc, b.err);
        // Same seed, same data, default flags: the noise (and so the model) differs, because its key is secret.
        assertFalse(Arrays.equals(head(dir.resolve("a")), head(dir.resolve("b"))), "two default DP runs drew the same noise");
        PrivacyLedger.Phase phase = PrivacyLedger.open(dir.resolve("a/ledger.json")).spends().get(0).phase();
        assertTrue(phase.secureRandomness());
        assertFalse(a.out.contains("not a guarantee"), a.out);
        // Each kept its own ledger; taken together they compose on the 48 records both trained on.
        MainTest.Run both = new MainTest.Run("privacy", "ledger", "report", dir.resolve("a/ledger.json").toString(), dir.resolve("b/ledger.json").toString(),
                "--json");
        assertEquals(0, both.rc, both.err);
        JsonNode groups = JSON.readTree(both.out).get("groups");
        assertEquals(1, groups.size(), both.out);
        assertEquals(48, groups.get(0).get("records").asInt());
        assertEquals(2, groups.get(0).get("phases").size());

        MainTest.Run c = train(dir.resolve("c"), "--reproducible-dp"), d = train(dir.resolve("d"), "--reproducible-dp");
        assertEquals(0, c.rc, c.err);
        assertEquals(0, d.rc, d.err);
        // Reproducible keys include a run-unique id: two runs with one seed still draw different noise ...
        assertFalse(Arrays.equals(head(dir.resolve("c")), head(dir.resolve("d"))), "two reproducible runs shared their noise");
        assertFalse(PrivacyLedger.open(dir.resolve("c/ledger.json")).spends().get(0).phase().secureRandomness());
        // ... and every ε printed for such a run says it is not a guarantee.
        assertTrue(c.out.contains("ε spent") && c.out.contains("not a guarantee"), c.out);
        assertTrue(Files.readString(dir.resolve("c/metrics.json")).contains("\"epsilon_is_guarantee\" : false"));
    }

    @Test
    void aDpRunWritesNoStatisticOfItsPrivateRecordsUnlessAsked(@TempDir Path dir) throws Exception {
        assertEquals(0, train(dir.resolve("quiet")).rc);
        List<String> rows = Files.readAllLines(dir.resolve("quiet/metrics.csv"));
        assertEquals("train_loss", rows.get(0).split(",")[1]);
        for (String row : rows.subList(1, rows.size())) assertEquals("", row.split(",", -1)[1], "train loss released: " + row);
        assertFalse(Files.exists(dir.resolve("quiet/private-stats.csv")));

        // The GAN: D's statistics on real images (loss_D, D(x)) stay out of losses.csv and metrics.json; G's stay in.
        MainTest.Run gan = new MainTest.Run("gan", "train", "--data", "phantom:64:16:1", "--out", dir.resolve("gan").toString(), "--epochs", "1",
                "--width", "2", "--batch", "8", "--norm-d", "instance", "--dp", "--target-epsilon", "8", "--physical-batch", "4");
        assertEquals(0, gan.rc, gan.err);
        assertFalse(gan.out.contains("loss_D") || gan.out.contains("D(x)"), gan.out);
        List<String> losses = Files.readAllLines(dir.resolve("gan/losses.csv"));
        assertTrue(losses.get(0).startsWith("#"), losses.get(0));
        String[] header = losses.get(1).split(","), row = losses.get(2).split(",", -1);
        assertEquals("loss_d", header[2]);
        assertEquals("d_real", header[4]);
        assertEquals("", row[2]);
        assertEquals("", row[4]);
        assertFalse(row[3].isEmpty(), "loss_G is post-processing of the DP discriminator and stays");
        JsonNode ganMetrics = JSON.readTree(dir.resolve("gan/metrics.json").toFile());
        assertFalse(ganMetrics.has("loss_d") || ganMetrics.has("d_real"), ganMetrics.toString());
        assertTrue(ganMetrics.get("dp").get("epsilon_is_guarantee").asBoolean(), "the GAN's DP randomness is secure by default");

        MainTest.Run loud = train(dir.resolve("loud"), "--log-private-stats");
        assertEquals(0, loud.rc, loud.err);
        String stats = Files.readString(dir.resolve("loud/private-stats.csv"));
        assertTrue(stats.startsWith("# NOT DIFFERENTIALLY PRIVATE"), stats);
        assertEquals(3, stats.lines().filter(l -> !l.startsWith("#")).count(), stats);
    }

    @Test
    void badPrivateInputCostsNoBudgetAndALargeDeltaIsWarnedAbout(@TempDir Path dir) throws Exception {
        // δ = 0.05 ≥ 1/48: the guarantee would allow leaking a whole record; the classifier says so.
        MainTest.Run wide = train(dir.resolve("wide"), 1, "--delta", "0.05");
        assertEquals(0, wide.rc, wide.err);
        assertTrue(wide.out.contains("not below 1/N"), wide.out);
        // Full-model DP over a folder with one truncated PNG: refused before the first step is written to the ledger.
        Path data = dir.resolve("data");
        assertEquals(0, new MainTest.Run("data", "phantom", "--out", data.toString(), "--count", "24", "--size", "64", "--seed", "3").rc);
        Path victim;
        try (var files = Files.walk(data)) {
            victim = files.filter(f -> f.toString().endsWith(".png")).findFirst().orElseThrow();
        }
        byte[] bytes = Files.readAllBytes(victim);
        Files.write(victim, Arrays.copyOf(bytes, bytes.length / 2));
        Path run = dir.resolve("broken");
        MainTest.Run broken = new MainTest.Run("classifier", "train", "--train", data.toString(), "--val", VAL, "--out", run.toString(), "--preset", "tiny",
                "--epochs", "1", "--batch-size", "12", "--threads", "1", "--freeze", "none", "--dp", "--target-epsilon", "8");
        assertNotEquals(0, broken.rc, broken.out);
        assertTrue(broken.err.contains(victim.getFileName().toString()), broken.err);
        assertFalse(Files.exists(run.resolve("ledger.json")), "a broken image cost no budget");
    }

    @Test
    void runsSharingALedgerComposePerRecordAndTheReportReproducesTheirEpsilon(@TempDir Path dir) throws Exception {
        Path ledger = dir.resolve("shared-ledger.json");
        assertEquals(0, train(dir.resolve("real"), "--ledger", ledger.toString()).rc);
        // A second run on the same real records plus 24 others (a real + synthetic mix).
        MainTest.Run mix = new MainTest.Run("classifier", "train", "--train", TRAIN, "--train", "phantom:32:24:3", "--val", VAL, "--out",
                dir.resolve("mix").toString(), "--preset", "tiny", "--epochs", "2", "--batch-size", "12", "--lr", "1e-3", "--threads", "1", "--dp",
                "--target-epsilon", "8", "--ledger", ledger.toString());
        assertEquals(0, mix.rc, mix.err);
        MainTest.Run rep = new MainTest.Run("privacy", "ledger", "report", ledger.toString(), "--json");
        assertEquals(0, rep.rc, rep.err);
        JsonNode report = JSON.readTree(rep.out);
        JsonNode groups = report.get("groups");
        assertEquals(2, groups.size(), rep.out);
        // The 48 shared records were in both phases; the 24 others only in the second.
        JsonNode both = groups.get(0).get("records").asInt() == 48 ? groups.get(0) : groups.get(1);
        JsonNode one = both == groups.get(0) ? groups.get(1) : groups.get(0);
        assertEquals(48, both.get("records").asInt());
        assertEquals(2, both.get("phases").size());
        assertEquals(24, one.get("records").asInt());
        assertTrue(both.get("epsilon_rdp").asDouble() > 8, "two ε = 8 phases on the same records compose past 8: " + both);
        // The ε the second run reports for its records is the one the ledger alone gives for the worst group.
        double printed = JSON.readTree(dir.resolve("mix/metrics.json").toFile()).get("dp").get("epsilon").asDouble();
        assertEquals(both.get("epsilon_rdp").asDouble(), printed, 1e-9);

        // A budget the composition would break is refused before the first step, naming the phases already spent.
        long entries = PrivacyLedger.open(ledger).entryCount();
        String budget = Double.toString(both.get("epsilon_rdp").asDouble() + 0.01);
        MainTest.Run over = train(dir.resolve("over"), "--ledger", ledger.toString(), "--budget", budget, "--device", "cpu");
        assertEquals(2, over.rc, over.out + over.err);
        assertTrue(over.err.contains("--budget " + budget) && over.err.contains("classifier-dp-adamw-") && over.err.contains("nothing was run"), over.err);
        assertEquals(1, over.err.strip().lines().count(), over.err);
        assertEquals(entries, PrivacyLedger.open(ledger).entryCount(), "a refused run spent nothing");
    }

    @Test
    void aCutOrMissingLedgerStopsTheResumeAndTheDpBindingSurvivesALostConfig(@TempDir Path dir) throws Exception {
        Path run = dir.resolve("run");
        assertEquals(0, train(run, 1).rc);
        Path ledger = run.resolve("ledger.json");
        String text = Files.readString(ledger);

        // The whole ledger deleted: the checkpoint knows how many entries it saw.
        Files.delete(ledger);
        MainTest.Run gone = train(run, 1, "--resume");
        assertNotEquals(0, gone.rc, gone.out);
        assertTrue(gone.err.contains("truncated or replaced"), gone.err);

        // Its tail cut at an entry boundary: the same.
        String[] lines = text.split("\n");
        Files.writeString(ledger, String.join("\n", Arrays.copyOf(lines, lines.length - 1)) + "\n");
        MainTest.Run cut = train(run, 1, "--resume");
        assertNotEquals(0, cut.rc);
        assertTrue(cut.err.contains("truncated or replaced"), cut.err);
        MainTest.Run verify = new MainTest.Run("privacy", "ledger", "verify", ledger.toString(), "--reaches",
                SafeTensors.read(run.resolve("checkpoints/resume.safetensors")).metadata().get("dpmammo.dp.ledger_head") + ":" + lines.length);
        assertEquals(1, verify.rc, verify.out);
        assertTrue(verify.err.contains("FAILED"), verify.err);

        // A lost config.json does not let the DP run continue without DP.
        Files.writeString(ledger, text);
        Files.delete(run.resolve("config.json"));
        MainTest.Run plain = new MainTest.Run("classifier", "train", "--train", TRAIN, "--val", VAL, "--out", run.toString(), "--preset", "tiny",
                "--epochs", "2", "--batch-size", "12", "--lr", "1e-3", "--threads", "1", "--resume");
        assertEquals(2, plain.rc, plain.out);
        assertTrue(plain.err.contains("trained with DP"), plain.err);
        // The ledger itself verifies, and an edited entry is named.
        assertEquals(0, new MainTest.Run("privacy", "ledger", "verify", ledger.toString()).rc);
        Files.writeString(ledger, text.replaceFirst("\"steps\":1,", "\"steps\":0,"));
        MainTest.Run edited = new MainTest.Run("privacy", "ledger", "verify", ledger.toString());
        assertEquals(1, edited.rc);
        assertTrue(edited.err.contains("entry 2") && edited.err.contains("hash chain is broken"), edited.err);
    }
}
