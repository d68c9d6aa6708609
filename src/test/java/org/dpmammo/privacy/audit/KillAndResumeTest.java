package org.dpmammo.privacy.audit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.dpmammo.nn.SafeTensors;
import org.dpmammo.privacy.ledger.PrivacyLedger;
import org.dpmammo.tensor.Tensor;
import org.dpmammo.testing.Killer;
import org.dpmammo.testing.PinnedRun;
import org.dpmammo.util.Rng;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Crash safety: a DP run in a child JVM is killed with SIGKILL at random moments and restarted each time. It must
 * finish with exactly the model an uninterrupted run with the same seed makes, and after every kill the ledger must
 * open (its hash chain intact) and record at least every step the child reported done (write-ahead).
 */
class KillAndResumeTest {
    static final int KILLS = 20;

    @Test
    void killedAtRandomMomentsTheRunStillEndsWithTheUninterruptedModel(@TempDir Path tmp) throws Exception {
        long t0 = System.nanoTime();
        // Both folders replay one reproducible run id: the killed run must end where the uninterrupted one does.
        PinnedRun.pin(tmp.resolve("reference"), 42);
        PinnedRun.pin(tmp.resolve("killed"), 42);
        Map<String, Tensor> reference = KillResumeChild.run(tmp.resolve("reference"), step -> {});
        Path dir = tmp.resolve("killed");
        Rng rng = new Rng(2026);
        int kills = 0, restarts = 0;
        while (!Files.exists(dir.resolve("final.safetensors"))) {
            restarts++;
            Process p = child(dir);
            AtomicLong lastDone = new AtomicLong(-1);
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            Thread reader = new Thread(() -> {
                try {
                    for (String line; (line = out.readLine()) != null;) {
                        if (line.startsWith("done ")) lastDone.set(Long.parseLong(line.substring(5)));
                    }
                } catch (IOException e) {
                    // The pipe breaks when the child is killed.
                }
            });
            reader.start();
            if (kills < KILLS) {
                // Kill while training: wait until this child has finished 1–3 more steps (counted in steps, not time, so
                // a fast machine cannot run through the whole schedule between kills), then a random moment within 3 ms.
                long target = lastDone.get() + 1 + rng.nextInt(3), startWait = System.nanoTime();
                while (lastDone.get() < target && p.isAlive() && System.nanoTime() - startWait < 30_000_000_000L) Thread.sleep(1);
                Thread.sleep(rng.nextInt(3));
                if (p.isAlive()) kills++;
                p.destroyForcibly(); // SIGKILL on Linux: no shutdown hooks, no finally blocks
            }
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "child did not end");
            reader.join();
            PrivacyLedger ledger = PrivacyLedger.open(dir.resolve("ledger.json"));
            long recorded = ledger.stepsRecorded("kill-resume");
            assertTrue(recorded >= lastDone.get() + 1, "ledger records " + recorded + " steps but step " + lastDone.get() + " was done");
            Path ckpt = dir.resolve(CrashSafeRun.CHECKPOINT);
            if (Files.exists(ckpt)) {
                long at = Long.parseLong(SafeTensors.read(ckpt).metadata().get("step"));
                assertTrue(at <= recorded, "checkpoint at step " + at + " is ahead of the ledger's " + recorded);
            }
            assertTrue(restarts < 3 * KILLS, "the run never finished");
        }
        assertEquals(KILLS, kills, "every kill landed in a running child");
        Map<String, Tensor> resumed = SafeTensors.read(dir.resolve("final.safetensors")).tensors();
        assertEquals(reference.keySet(), resumed.keySet());
        for (String k : reference.keySet()) assertArrayEquals(reference.get(k).toArray(), resumed.get(k).toArray(), k + " differs");
        assertEquals(KillResumeChild.STEPS, PrivacyLedger.open(dir.resolve("ledger.json")).stepsRecorded("kill-resume"));
        try (var files = Files.list(dir.resolve("checkpoints"))) {
            assertEquals(List.of("last.safetensors"), files.map(f -> f.getFileName().toString()).toList(), "no temp files left visible");
        }
        System.out.printf("kill-and-resume: %d kills, %d starts, %.1f s%n", kills, restarts, (System.nanoTime() - t0) / 1e9);
    }

    static Process child(Path dir) throws IOException {
        List<String> cmd = Killer.javaCommand(KillResumeChild.class.getName());
        cmd.add(dir.toString());
        return new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    }
}
