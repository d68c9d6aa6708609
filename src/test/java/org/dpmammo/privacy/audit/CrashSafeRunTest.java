package org.dpmammo.privacy.audit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.dpmammo.nn.Linear;
import org.dpmammo.nn.ReLU;
import org.dpmammo.nn.Sequential;
import org.dpmammo.privacy.ledger.PrivacyLedger;
import org.dpmammo.tensor.Tensor;
import org.dpmammo.util.Rng;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Resume checks of {@link CrashSafeRun} that need no child process. */
class CrashSafeRunTest {
    @Test
    void aCheckpointOfAnotherArchitectureOrAReplacedLedgerIsRefusedBeforeAnythingIsWritten(@TempDir Path dir) throws IOException {
        Tensor x = KillResumeChild.inputs();
        int[] y = KillResumeChild.labels(x);
        Path ledger = dir.resolve("ledger.json");
        CrashSafeRun.Settings s = KillResumeChild.settings("arch");
        new CrashSafeRun(KillResumeChild.model(), x, y, s, dir, ledger).run();
        byte[] ledgerBytes = Files.readAllBytes(ledger), ckpt = Files.readAllBytes(dir.resolve(CrashSafeRun.CHECKPOINT));

        Sequential wider = new Sequential(new Linear(KillResumeChild.FEATURES, 12, new Rng(3)), new ReLU(), new Linear(12, 2, new Rng(4)));
        CrashSafeRun.BadCheckpointException e = assertThrows(CrashSafeRun.BadCheckpointException.class,
                () -> new CrashSafeRun(wider, x, y, s, dir, ledger).run());
        assertTrue(e.getMessage().contains("does not fit this model"), e.getMessage());
        assertArrayEquals(ledgerBytes, Files.readAllBytes(ledger), "the ledger is untouched");
        assertArrayEquals(ckpt, Files.readAllBytes(dir.resolve(CrashSafeRun.CHECKPOINT)), "the checkpoint is untouched");

        // A fresh ledger in place of the one the checkpoint saw: the spend it recorded would be lost.
        Files.delete(ledger);
        e = assertThrows(CrashSafeRun.BadCheckpointException.class, () -> new CrashSafeRun(KillResumeChild.model(), x, y, s, dir, ledger).run());
        assertTrue(e.getMessage().contains("truncated or replaced"), e.getMessage());
        assertTrue(!Files.exists(ledger) || PrivacyLedger.open(ledger).entryCount() == 0);
    }

    @Test
    void aFinishedRunResumesToNothingAndReportsTheSameSpend(@TempDir Path dir) throws IOException {
        Tensor x = KillResumeChild.inputs();
        int[] y = KillResumeChild.labels(x);
        CrashSafeRun.Settings s = KillResumeChild.settings("again");
        CrashSafeRun.Outcome first = new CrashSafeRun(KillResumeChild.model(), x, y, s, dir, dir.resolve("ledger.json")).run();
        CrashSafeRun.Outcome again = new CrashSafeRun(KillResumeChild.model(), x, y, s, dir, dir.resolve("ledger.json")).run();
        assertEquals(KillResumeChild.STEPS, first.stepsRun());
        assertEquals(0, again.stepsRun());
        assertEquals(first.epsilonSpent(), again.epsilonSpent());
    }
}
