package org.dpmammo.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExperimentCommandTest {
    record Run(int rc, String out, String err) {}

    static Run run(String... args) {
        ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
        int rc = Main.run(args, new PrintStream(o, true, StandardCharsets.UTF_8), new PrintStream(e, true, StandardCharsets.UTF_8));
        return new Run(rc, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
    }

    @Test
    void anUnknownConfigKeyIsAOneLineUsageErrorNamingIt(@TempDir Path dir) throws Exception {
        Path cfg = dir.resolve("c.json");
        Files.writeString(cfg, "{\"preset\": \"demo\", \"classifier\": {\"epochs\": 2, \"lr_decay\": 0.5}}");
        Run r = run("experiment", "run", "--config", cfg.toString(), "--out", dir.resolve("x").toString(), "--real-train", "phantom",
                "--val", "phantom", "--test", "phantom", "--gan-from-scratch");
        assertEquals(2, r.rc());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains("'classifier.lr_decay'"), r.err());
        assertFalse(Files.exists(dir.resolve("x")), "nothing was written");
    }

    @Test
    void aMissingDataFolderFailsAtOnce(@TempDir Path dir) {
        Run r = run("experiment", "run", "--preset", "demo", "--out", dir.resolve("x").toString(), "--real-train", dir.resolve("nope").toString(),
                "--val", "phantom", "--test", "phantom", "--gan-from-scratch");
        assertEquals(2, r.rc());
        assertTrue(r.err().contains("--real-train") && r.err().contains("does not exist"), r.err());
    }

    @Test
    void syntheticConditionsNeedASyntheticSource(@TempDir Path dir) {
        Run r = run("experiment", "run", "--preset", "demo", "--out", dir.toString(), "--real-train", "phantom", "--val", "phantom", "--test", "phantom");
        assertEquals(2, r.rc());
        assertTrue(r.err().contains("--synthetic DIR") && r.err().contains("--gan-from-scratch"), r.err());
    }

    @Test
    void helpAndBadUsage(@TempDir Path dir) {
        assertEquals(0, run("experiment", "run", "--help").rc());
        assertEquals(0, run("demo", "--help").rc());
        assertEquals(2, run("experiment", "frobnicate").rc());
        assertEquals(2, run("demo", "--data", dir.resolve("none").toString()).rc());
        Run r = run("experiment", "report", "--out", dir.toString());
        assertEquals(2, r.rc());
        assertTrue(r.err().contains("not an experiment folder"), r.err());
    }

    @Test
    void aBadAccountantIsAUsageErrorNamingTheOption(@TempDir Path dir) {
        Run r = run("experiment", "run", "--preset", "demo", "--accountant", "rdp,moments", "--out", dir.toString(), "--real-train", "phantom",
                "--val", "phantom", "--test", "phantom", "--gan-from-scratch");
        assertEquals(2, r.rc());
        assertTrue(r.err().contains("--accountant: expected rdp or prv, got \"moments\""), r.err());
        Run d = run("demo", "--accountant", "prv,prv", "--out", dir.toString());
        assertEquals(2, d.rc());
        assertTrue(d.err().contains("--accountant: \"prv\" is listed twice"), d.err());
    }
}
