package org.dpmammo.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Random;
import java.util.stream.Stream;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.dpmammo.data.GrayImage;
import org.dpmammo.data.ImageIo;
import org.dpmammo.data.PngBytes;

/**
 * The command line itself, not only its parsers, under the inputs of issue 20: each answers within a time limit with
 * exit 2 and exactly one line on stderr naming what was wrong, and writes nothing. Mutated images go through
 * {@code data sheet}, which must either accept the file or refuse it that way.
 */
class BadInputContractProperties {
    private static final Duration LIMIT = Duration.ofSeconds(60);

    private static MainTest.Run run(String... args) {
        return assertTimeoutPreemptively(LIMIT, () -> new MainTest.Run(args), () -> String.join(" ", args) + " did not answer");
    }

    private static void refused(Path out, String expected, String... args) {
        MainTest.Run r = run(args);
        assertEquals(2, r.rc, String.join(" ", args) + ": " + r.err);
        assertEquals(1, r.err.strip().lines().count(), "one line: " + r.err);
        assertTrue(r.err.contains(expected), r.err);
        if (out != null) assertFalse(Files.exists(out), out + " was written");
    }

    @Property(tries = 1)
    void everyInputOfTheIssueIsRefusedInOneLineWithExitTwo() throws IOException {
        Path dir = Files.createTempDirectory("contract");
        try {
            Path out = dir.resolve("out");
            refused(null, "--target-epsilon is given more than once", "privacy", "sigma", "--target-epsilon", "8", "--target-epsilon", "1",
                    "--sample-rate", "0.01", "--steps", "100");
            Path dup = Files.writeString(dir.resolve("dup.json"), "{\"preset\": \"demo\", \"delta\": 1e-5, \"delta\": 1e-3}");
            refused(out, "Duplicate field 'delta'", "experiment", "run", "--config", dup.toString(), "--out", out.toString(),
                    "--real-train", "phantom:32:8", "--val", "phantom:32:8", "--test", "phantom:32:8");
            Path huge = Files.writeString(dir.resolve("huge.json"), "{\"preset\": \"demo\", \"grid\": {\"real\": [1e300]}}");
            refused(out, "is above 700", "experiment", "run", "--config", huge.toString(), "--out", out.toString(),
                    "--real-train", "phantom:32:8", "--val", "phantom:32:8", "--test", "phantom:32:8");
            Path oneClass = Files.createDirectories(dir.resolve("benign-only"));
            for (int i = 0; i < 4; i++) ImageIo.writePng(oneClass.resolve(i + "_benign.png"), new GrayImage(32, 32, 255, new short[32 * 32]));
            refused(out, "training needs both classes", "classifier", "train", "--train", oneClass.toString(), "--val", "phantom:32:8",
                    "--out", out.toString(), "--preset", "tiny");
            refused(out, "training needs both classes", "gan", "train", "--data", oneClass.toString(), "--out", out.toString());
            Path file = Files.writeString(dir.resolve("afile"), "x");
            refused(null, "exists and is a file, not a folder", "data", "phantom", "--out", file.toString(), "--count", "4", "--size", "64");
            Path bomb = Files.createDirectories(dir.resolve("bomb"));
            Files.write(bomb.resolve("a_benign.png"), PngBytes.build(8000, 8000, 16, 6));
            refused(dir.resolve("s.png"), "decodes to 488 MB", "data", "sheet", bomb.toString(), "--out", dir.resolve("s.png").toString());
        } finally {
            deleteTree(dir);
        }
    }

    /** One flipped byte or a cut anywhere in a valid PNG: accepted, or refused as bad input in one line; never a hang. */
    @Property(tries = 40)
    void aDamagedPngIsAcceptedOrRefusedAsBadInput(@ForAll @IntRange(min = 0, max = 1 << 20) int seed) throws IOException {
        Path dir = Files.createTempDirectory("contract");
        try {
            Random r = new Random(seed);
            short[] px = new short[32 * 32];
            for (int i = 0; i < px.length; i++) px[i] = (short) r.nextInt(256);
            Path folder = Files.createDirectories(dir.resolve("d"));
            Path png = folder.resolve("a_benign.png");
            ImageIo.writePng(png, new GrayImage(32, 32, 255, px));
            byte[] b = Files.readAllBytes(png);
            byte[] damaged = r.nextBoolean() ? Arrays.copyOf(b, r.nextInt(b.length)) : b.clone();
            if (damaged.length == b.length) damaged[r.nextInt(b.length)] ^= (byte) (1 + r.nextInt(255));
            Files.write(png, damaged);
            Path sheet = dir.resolve("s.png");
            MainTest.Run run = run("data", "sheet", folder.toString(), "--out", sheet.toString());
            if (run.rc == 0) return;
            assertEquals(2, run.rc, run.err);
            assertEquals(1, run.err.strip().lines().count(), run.err);
            assertTrue(run.err.contains("a_benign.png"), run.err);
            assertFalse(Files.exists(sheet));
        } finally {
            deleteTree(dir);
        }
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
