package org.dpmammo.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.dpmammo.backend.Backends;
import org.dpmammo.util.BuildInfo;

/** Who made a run and on what: version, commit, JVM, OS, CPU, compute device (the run's provenance.json); callers add data and seed. */
final class Provenance {
    private Provenance() {}

    static ObjectNode base(ObjectMapper json) {
        ObjectNode o = json.createObjectNode();
        o.put("dpmammo", BuildInfo.version());
        o.put("git_commit", gitCommit());
        o.put("java", System.getProperty("java.vendor") + " " + System.getProperty("java.version"));
        o.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"));
        o.put("cpus", Runtime.getRuntime().availableProcessors());
        o.put("device", Backends.current().describe());
        o.put("created", java.time.Instant.now().toString());
        return o;
    }

    /** The checkout's commit when run from one (development), otherwise "unknown": a jar carries no git state. */
    private static String gitCommit() {
        try {
            Process p = new ProcessBuilder("git", "rev-parse", "HEAD").redirectErrorStream(true).start();
            if (!p.waitFor(5, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return "unknown";
            }
            String s = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            return p.exitValue() == 0 && s.matches("[0-9a-f]{40}") ? s : "unknown";
        } catch (IOException e) {
            return "unknown";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "unknown";
        }
    }
}
