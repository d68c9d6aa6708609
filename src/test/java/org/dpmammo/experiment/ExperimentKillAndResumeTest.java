package org.dpmammo.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.dpmammo.cli.KillAndResumeCommandsTest;
import org.dpmammo.cli.Main;
import org.dpmammo.privacy.ledger.PrivacyLedger;
import org.dpmammo.testing.Killer;
import org.dpmammo.testing.PinnedRun;
import org.dpmammo.util.Rng;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code experiment run} killed with SIGKILL at random moments and restarted: after every kill each DP cell's ledger
 * opens and covers its last checkpoint; in the end (reproducible randomness, each cell's run id replayed) results.csv
 * and every cell ledger equal those of an uninterrupted run.
 */
class ExperimentKillAndResumeTest {
    static final String CONFIG = "{\"preset\": \"demo\", \"grid\": {\"real\": [8, \"inf\"], \"real_synth\": [8], \"synth\": [\"inf\"], "
            + "\"pretrain_dp\": [8]}, \"classifier\": {\"epochs\": 3, \"batch_size\": 16, \"physical_batch\": 32}, \"pretrain\": {\"epochs\": 1}, "
            + "\"reproducible_dp\": true}";
    static final List<GridPlan.Cell> DP_CELLS = List.of(new GridPlan.Cell(Condition.REAL, 8, "rdp", 42), new GridPlan.Cell(Condition.REAL_SYNTH, 8, "rdp", 42),
            new GridPlan.Cell(Condition.PRETRAIN_DP, 8, "rdp", 42));

    static List<String> args(Path config, Path out) {
        return List.of("experiment", "run", "--config", config.toString(), "--out", out.toString(), "--real-train", "phantom:32:64:1", "--val",
                "phantom:32:32:2", "--test", "phantom:32:48:3", "--synthetic", "phantom:32:48:9");
    }

    @Test
    void anExperimentKilledAnywhereEndsAsTheUninterruptedOne(@TempDir Path tmp) throws Exception {
        Path config = tmp.resolve("config.json");
        Files.writeString(config, CONFIG);
        Path reference = tmp.resolve("reference"), killed = tmp.resolve("killed");
        for (Path root : List.of(reference, killed)) {
            for (int i = 0; i < DP_CELLS.size(); i++) PinnedRun.pin(root.resolve(DP_CELLS.get(i).dir()), 500 + i);
        }
        PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        assertEquals(0, Main.run(args(config, reference).toArray(String[]::new), quiet, quiet));
        Killer.killRepeatedly(args(config, killed), 4, 1000, 9000, new Rng(21), tmp.resolve("child.log"), () -> {
            for (GridPlan.Cell c : DP_CELLS) {
                Path dir = killed.resolve(c.dir());
                if (Files.exists(dir.resolve("ledger.json"))) KillAndResumeCommandsTest.checkLedgerCoversCheckpoint(dir, "checkpoints/resume.safetensors");
            }
        });
        assertEquals(withoutWallTime(reference.resolve("results.csv")), withoutWallTime(killed.resolve("results.csv")));
        for (GridPlan.Cell c : DP_CELLS) {
            PrivacyLedger a = PrivacyLedger.open(reference.resolve(c.dir()).resolve("ledger.json")), b = PrivacyLedger.open(killed.resolve(c.dir()).resolve("ledger.json"));
            assertEquals(a.spends().get(0).steps(), b.spends().get(0).steps(), c.dir() + ": steps spent once each");
            assertEquals(1, b.spends().size(), c.dir().toString());
        }
    }

    static List<String> withoutWallTime(Path csv) throws Exception {
        List<String> out = new ArrayList<>();
        for (String l : Files.readAllLines(csv)) out.add(l.substring(0, l.lastIndexOf(',')));
        return out;
    }
}
