package org.dpmammo.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
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
    void selftestPasses() {
        Run r = new Run("selftest", "--failures-only");
        assertEquals(0, r.rc, r.out);
        assertTrue(r.out.contains("0 failed"), r.out);
    }
}
