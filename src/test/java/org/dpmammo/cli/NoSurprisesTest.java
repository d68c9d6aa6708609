package org.dpmammo.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.dpmammo.testing.NoNetwork;
import org.dpmammo.testing.RunFootprint;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * No surprises at run time: the main commands, each in a child JVM with a fresh working directory, HOME and temporary
 * folder, open no network connection (every socket the Java code could ask for is refused and fails the run; with
 * strace, no IPv4/IPv6 connect, send or bind of the whole process either) and write only under the outputs they were
 * given (with their atomic-write staging siblings, gone once the run ends) and the temporary folder. The one exception
 * is the JDK's own font cache (HOME/.java/fonts/VERSION/fcinfo-*.properties), which java.awt writes the first time
 * a command draws text in a plot. The checks are first shown to fail a run that misbehaves.
 */
class NoSurprisesTest {
    @TempDir
    static Path dir;
    static RunFootprint box;

    @BeforeAll
    static void sandbox() throws Exception {
        box = new RunFootprint(dir);
    }

    private static String describe(RunFootprint.Result r) {
        return "rc " + r.rc() + "; violations " + r.violations() + "\nstdout: " + r.stdout() + "\nstderr: " + r.stderr();
    }

    @Test
    void theChecksFailARunThatOpensASocketOrWritesElsewhere() throws Exception {
        for (String kind : List.of("socket", "server-socket", "datagram", "url", "socket-channel", "http-client")) {
            RunFootprint.Result r = box.run(NoNetwork.Probe.class.getName(), List.of(), false, kind);
            assertEquals(NoNetwork.EXIT_NETWORK, r.rc(), kind + " (swallowed by the program) still fails the run: " + describe(r));
            assertTrue(r.violations().get(0).contains("asked for a socket"), describe(r));
        }
        RunFootprint.Result quiet = box.run(NoNetwork.Probe.class.getName(), List.of(), false, "none");
        assertEquals(0, quiet.rc(), describe(quiet));
        assertEquals(List.of(), quiet.violations());

        for (String where : List.of("cwd", "home")) {
            RunFootprint.Result r = box.run(RunFootprint.StrayWriter.class.getName(), List.of(), false, where);
            assertEquals(0, r.rc(), describe(r));
            assertTrue(r.violations().stream().anyMatch(v -> v.startsWith("created " + (where.equals("cwd") ? box.cwd : box.home))), describe(r));
            deleteContents(where.equals("cwd") ? box.cwd : box.home);
        }
        if (box.traced()) {
            RunFootprint.Result r = box.run(RunFootprint.StrayWriter.class.getName(), List.of(), false, "os-tmp");
            assertTrue(r.violations().stream().anyMatch(v -> v.contains("wrote outside its outputs") && v.contains("/tmp/stray")), describe(r));
        }
    }

    @Test
    void theMainCommandsOpenNoConnectionAndWriteOnlyTheirOutputs() throws Exception {
        if (!box.traced()) System.err.println("NoSurprisesTest: strace is not available; only the in-JVM socket guard and the sandbox listing check");
        Path phantom = box.out.resolve("phantom"), clf = box.out.resolve("clf"), pred = box.out.resolve("pred.csv"), gan = box.out.resolve("gan"),
                exp = box.out.resolve("exp"), config = box.in.resolve("config.json");
        Files.writeString(config, "{\"preset\": \"demo\", \"grid\": {\"real\": [8]}, \"classifier\": {\"epochs\": 1, \"batch_size\": 16}}");
        record Case(List<Path> outputs, String... args) {}
        List<Case> cases = List.of(
                new Case(List.of(), "privacy", "epsilon", "--sample-rate", "0.01", "--noise-multiplier", "1.1", "--steps", "1000", "--delta", "1e-5"),
                new Case(List.of(phantom), "data", "phantom", "--out", phantom.toString(), "--count", "40", "--size", "64", "--seed", "1"),
                new Case(List.of(clf), "classifier", "train", "--train", "phantom:32:24:1", "--val", "phantom:32:12:2", "--out", clf.toString(),
                        "--preset", "tiny", "--epochs", "1", "--batch-size", "12", "--threads", "1", "--dp", "--target-epsilon", "8"),
                new Case(List.of(pred), "classifier", "predict", "--checkpoint", clf.resolve("checkpoints/best.safetensors").toString(), "--data",
                        phantom.resolve("test").toString(), "--out", pred.toString()),
                new Case(List.of(), "privacy", "ledger", "report", clf.resolve("ledger.json").toString()),
                new Case(List.of(gan), "gan", "train", "--data", "phantom:64:16:1", "--out", gan.toString(), "--epochs", "1", "--width", "2"),
                new Case(List.of(exp), "experiment", "run", "--config", config.toString(), "--out", exp.toString(), "--real-train", "phantom:32:32:1",
                        "--val", "phantom:32:16:2", "--test", "phantom:32:16:3"));
        for (Case c : cases) {
            // Commands that draw plots with text (training curves, reports) make java.awt write its font cache.
            RunFootprint.Result r = box.run(Main.class.getName(), c.outputs(), true, c.args());
            String what = String.join(" ", c.args()) + ": " + describe(r);
            assertEquals(0, r.rc(), what);
            assertEquals(List.of(), r.violations(), what);
            for (Path o : c.outputs()) assertTrue(Files.exists(o), what);
        }
        assertEquals(List.of(), listing(box.cwd), "nothing in the working directory");
        assertTrue(listing(box.home).stream().filter(Files::isRegularFile).allMatch(p -> p.startsWith(box.home.resolve(RunFootprint.JDK_FONT_CACHE))),
                "HOME: " + listing(box.home));
    }

    private static List<Path> listing(Path folder) throws Exception {
        try (var all = Files.walk(folder)) {
            return all.filter(p -> !p.equals(folder)).toList();
        }
    }

    private static void deleteContents(Path folder) throws Exception {
        List<Path> all = new java.util.ArrayList<>(listing(folder));
        java.util.Collections.reverse(all);
        for (Path p : all) Files.delete(p);
    }
}
