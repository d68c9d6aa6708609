package org.dpmammo.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.dpmammo.util.Rng;

/**
 * Runs a dpmammo command line in a child JVM and kills it with SIGKILL (no shutdown hooks, no finally blocks) at
 * random moments, checking an invariant after each kill, until a last attempt is let finish.
 */
public final class Killer {
    /** What must hold after every kill (and at the end). */
    @FunctionalInterface
    public interface Check {
        void run() throws Exception;
    }

    private Killer() {}

    /**
     * {@code kills} attempts are each killed after a random wait in [minMs, maxMs); then the command runs to the end
     * and must exit 0. {@code log} receives the children's output.
     */
    public static int killRepeatedly(List<String> args, int kills, int minMs, int maxMs, Rng rng, Path log, Check afterEach) throws Exception {
        int landed = 0;
        for (int attempt = 0; attempt < kills + 20; attempt++) {
            Process p = child(args, log);
            boolean finished = p.waitFor(landed < kills ? minMs + rng.nextInt(maxMs - minMs) : 300_000, TimeUnit.MILLISECONDS);
            if (!finished) {
                p.destroyForcibly();
                assertTrue(p.waitFor(60, TimeUnit.SECONDS), "a killed child did not end");
                landed++;
                afterEach.run();
                continue;
            }
            assertEquals(0, p.exitValue(), "the command failed after " + landed + " kills: " + Files.readString(log));
            afterEach.run();
            assertTrue(landed >= 1, "no kill landed in a running child");
            return landed;
        }
        throw new AssertionError("the run never finished");
    }

    static Process child(List<String> args, Path log) throws IOException {
        List<String> cmd = javaCommand("org.dpmammo.cli.Main");
        cmd.addAll(args);
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    }

    /** A child JVM on this test's class path with the Vector API module, running mainClass. */
    public static List<String> javaCommand(String mainClass) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("--add-modules=jdk.incubator.vector");
        cmd.add("-Xmx512m");
        // Starts faster; Java's floating point is the same in every compiler tier, so results do not change.
        cmd.add("-XX:TieredStopAtLevel=1");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(mainClass);
        return cmd;
    }
}
