package org.dpmammo.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Fixes the run id of a reproducible DP run before it starts (by writing the run folder's dp-run.json), so that a test
 * can replay the same randomness in two folders: an uninterrupted reference and a killed-and-resumed run, or a
 * seeded audit whose outcome must not depend on a fresh id. Commands never reuse an id; only tests do this.
 */
public final class PinnedRun {
    private PinnedRun() {}

    public static void pin(Path runDir, long id) throws IOException {
        Files.createDirectories(runDir);
        Files.writeString(runDir.resolve("dp-run.json"), String.format("{\"run_id\": \"%032x\"}%n", id));
    }
}
