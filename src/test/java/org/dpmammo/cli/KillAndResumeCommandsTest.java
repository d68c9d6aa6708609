package org.dpmammo.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.dpmammo.nn.SafeTensors;
import org.dpmammo.privacy.dpsgd.PrivateTraining;
import org.dpmammo.privacy.ledger.PrivacyLedger;
import org.dpmammo.tensor.Tensor;
import org.dpmammo.testing.Killer;
import org.dpmammo.testing.PinnedRun;
import org.dpmammo.util.Rng;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The DP commands killed with SIGKILL at random moments (a child JVM per attempt, {@code --resume} each time): after
 * every kill the ledger opens and records at least every step the last checkpoint holds (it never under-counts);
 * in the end a reproducible run equals an uninterrupted one bit for bit, and a secure run has spent exactly its plan
 * (steps a kill lost stay spent) and no more.
 */
public class KillAndResumeCommandsTest {
    static final int KILLS = 4;

    static List<String> classifier(Path out, String... extra) {
        List<String> a = new ArrayList<>(List.of("classifier", "train", "--train", "phantom:32:48:1", "--val", "phantom:32:24:2", "--out", out.toString(),
                "--preset", "tiny", "--epochs", "4", "--batch-size", "12", "--lr", "1e-3", "--threads", "1", "--dp", "--target-epsilon", "8", "--resume"));
        a.addAll(List.of(extra));
        return a;
    }

    static List<String> gan(Path out, String... extra) {
        List<String> a = new ArrayList<>(List.of("gan", "train", "--data", "phantom:64:16:1", "--out", out.toString(), "--epochs", "4", "--width", "2",
                "--batch", "8", "--norm-d", "instance", "--dp", "--target-epsilon", "8", "--physical-batch", "4", "--resume"));
        a.addAll(List.of(extra));
        return a;
    }

    @Test
    void aReproducibleClassifierRunKilledAnywhereEndsAsTheUninterruptedOne(@TempDir Path tmp) throws Exception {
        Path reference = tmp.resolve("reference"), killed = tmp.resolve("killed");
        PinnedRun.pin(reference, 99);
        PinnedRun.pin(killed, 99);
        assertEquals(0, new MainTest.Run(classifier(reference, "--reproducible-dp").toArray(String[]::new)).rc);
        killRepeatedly(classifier(killed, "--reproducible-dp"), killed, "checkpoints/resume.safetensors", new Rng(11));
        assertSameTensors(reference.resolve("checkpoints/last.safetensors"), killed.resolve("checkpoints/last.safetensors"));
        assertEquals(16, onlyPhaseSteps(killed.resolve("ledger.json")), "4 epochs of 4 steps, each spent once");
    }

    @Test
    void aSecureClassifierRunKilledAnywhereNeverSpendsMoreThanItsPlanNorForgetsASpentStep(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("secure");
        killRepeatedly(classifier(dir), dir, "checkpoints/resume.safetensors", new Rng(12));
        long recorded = onlyPhaseSteps(dir.resolve("ledger.json"));
        assertTrue(recorded <= 16, "spent " + recorded + " steps of a 16-step plan");
        String metrics = Files.readString(dir.resolve("metrics.json"));
        assertTrue(metrics.contains("\"steps_recorded\" : " + recorded), metrics);
    }

    @Test
    void aReproducibleDpGanKilledAnywhereEndsAsTheUninterruptedOne(@TempDir Path tmp) throws Exception {
        Path reference = tmp.resolve("reference"), killed = tmp.resolve("killed");
        PinnedRun.pin(reference, 98);
        PinnedRun.pin(killed, 98);
        MainTest.Run ref = new MainTest.Run(gan(reference, "--reproducible-dp").toArray(String[]::new));
        assertEquals(0, ref.rc, ref.err);
        killRepeatedly(gan(killed, "--reproducible-dp"), killed, "checkpoints", new Rng(13));
        assertSameTensors(reference.resolve("checkpoints/epoch_0004.safetensors"), killed.resolve("checkpoints/epoch_0004.safetensors"));
        assertEquals(onlyPhaseSteps(reference.resolve("ledger.json")), onlyPhaseSteps(killed.resolve("ledger.json")));
    }

    static void killRepeatedly(List<String> args, Path dir, String checkpoint, Rng rng) throws Exception {
        Killer.killRepeatedly(args, KILLS, 300, 2500, rng, dir.resolveSibling(dir.getFileName() + "-child.log"),
                () -> checkLedgerCoversCheckpoint(dir, checkpoint));
    }

    /** The ledger opens (its chain intact) and records at least the steps the newest checkpoint says it ran. */
    public static void checkLedgerCoversCheckpoint(Path dir, String checkpoint) throws IOException {
        Path ledgerFile = dir.resolve("ledger.json");
        Path ck = dir.resolve(checkpoint);
        if (Files.isDirectory(ck)) ck = org.dpmammo.train.gan.GanTrainer.lastCheckpoint(ck);
        if (ck == null || !Files.exists(ck)) return;
        Map<String, String> meta = SafeTensors.read(ck).metadata();
        PrivacyLedger ledger = PrivacyLedger.open(ledgerFile);
        long seen = Long.parseLong(meta.get(PrivateTraining.LEDGER_STEPS_KEY));
        long recorded = ledger.stepsRecorded(meta.get(PrivateTraining.PHASE_KEY));
        assertTrue(recorded >= seen, "the ledger records " + recorded + " steps but the checkpoint ran " + seen);
        ledger.requireReaches(meta.get(PrivateTraining.HEAD_KEY), Long.parseLong(meta.get(PrivateTraining.ENTRIES_KEY)));
    }

    static long onlyPhaseSteps(Path ledgerFile) throws IOException {
        List<PrivacyLedger.Spend> spends = PrivacyLedger.open(ledgerFile).spends();
        assertEquals(1, spends.size(), "one run, one phase, however often it was resumed");
        return spends.get(0).steps();
    }

    static void assertSameTensors(Path a, Path b) throws IOException {
        Map<String, Tensor> x = SafeTensors.read(a).tensors(), y = SafeTensors.read(b).tensors();
        assertEquals(x.keySet(), y.keySet());
        for (String k : x.keySet()) assertArrayEquals(x.get(k).toArray(), y.get(k).toArray(), k + " differs");
    }
}
