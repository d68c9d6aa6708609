package org.dpmammo.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;
import org.junit.jupiter.api.Test;

class MainTest {
    static final class Run {
        final int rc;
        final String out, err;

        Run(String... args) {
            ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
            rc = Main.run(args, new PrintStream(o, true, StandardCharsets.UTF_8), new PrintStream(e, true, StandardCharsets.UTF_8));
            out = o.toString(StandardCharsets.UTF_8);
            err = e.toString(StandardCharsets.UTF_8);
        }
    }

    @Test
    void helpListsEveryCommandAndEachHasItsOwnHelp() {
        Run help = new Run("--help");
        assertEquals(0, help.rc);
        for (Command c : Main.commands()) {
            assertTrue(help.out.contains(c.name()), c.name());
            Run own = new Run(c.name(), "--help");
            assertEquals(0, own.rc, c.name() + " --help: " + own.err);
            assertTrue(own.out.toLowerCase().contains("usage"), c.name() + " --help prints a usage line");
        }
    }

    @Test
    void unknownCommandsAndOptionsAreUsageErrors() {
        Run r = new Run("frobnicate");
        assertEquals(2, r.rc);
        assertTrue(r.err.contains("unknown command 'frobnicate'"));
        Run o = new Run("selftest", "--no-such-flag");
        assertEquals(2, o.rc);
        assertEquals(1, o.err.strip().lines().count(), "one-line error: " + o.err);
    }

    @Test
    void aRepeatedFlagIsAUsageErrorNamingIt() {
        // Commons CLI keeps the first value: this used to train at ε = 8 without a word.
        Run r = new Run("classifier", "train", "--train", "phantom:64:40", "--out", "never-created", "--dp", "--target-epsilon", "8",
                "--target-epsilon", "1");
        assertEquals(2, r.rc, r.err);
        assertEquals(1, r.err.strip().lines().count(), r.err);
        assertTrue(r.err.contains("--target-epsilon is given more than once"), r.err);
        assertFalse(Files.exists(Path.of("never-created")));
        Run p = new Run("privacy", "epsilon", "--sample-rate", "0.01", "--sample-rate", "0.02", "--noise-multiplier", "1", "--steps", "10");
        assertEquals(2, p.rc, p.err);
        assertTrue(p.err.contains("--sample-rate is given more than once"), p.err);
        // A flag declared repeatable still collects every value.
        Options o = new Options().addOption(Option.builder().longOpt("train").hasArgs().build());
        assertArrayEquals(new String[] {"a", "b"}, CliSupport.parse("t", o, new String[] {"--train", "a", "--train", "b"}).getOptionValues("train"));
    }

    @Test
    void selftestPasses() {
        Run r = new Run("selftest", "--failures-only");
        assertEquals(0, r.rc, r.out);
        assertTrue(r.out.contains("0 failed"), r.out);
    }
}
