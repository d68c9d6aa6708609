package org.dpmammo.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import javax.imageio.ImageIO;
import org.dpmammo.data.GrayImage;
import org.dpmammo.data.ImageIo;
import org.dpmammo.privacy.audit.CrashSafeRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code dpmammo audit} through {@link Main#run}: a tiny audit end to end, shared-ledger composition and the budget
 * stop, and hostile or bad input, each refused with one line, exit status 2 and nothing written.
 */
class AuditCommandTest {
    private record Run(int rc, String out, String err) {}

    private static Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int rc = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(rc, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** A tiny audit: 120 phantom patches, 8×8 inputs, 20 steps. */
    private static final String TINY = "\"image_size\": 64, \"input_size\": 8, \"hidden\": 8, \"batch_size\": 12, \"epochs\": 2, "
            + "\"input_canaries\": 10, \"gradient_canaries\": 60, \"guess_fractions\": [0.25]";

    private static Path config(Path dir, String name, String json) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, json);
        return p;
    }

    /** Exit 2, one line on stderr, the out folder never created. */
    private static void refused(Path config, Path out, String expected) {
        Run r = run("audit", "--config", config.toString(), "--out", out.toString());
        assertEquals(2, r.rc(), r.err());
        assertEquals(1, r.err().strip().lines().count(), "one line: " + r.err());
        assertTrue(r.err().contains(expected), r.err());
        assertFalse(Files.exists(out), "nothing written");
    }

    @Test
    void tinyAuditReportsClaimAndBoundAndSharedLedgerComposesUntilTheBudgetStops(@TempDir Path dir) throws IOException {
        // δ = 0.01 ≥ 1/N: a warning, not a refusal.
        Path c = config(dir, "c.json", "{\"data\": \"phantom:64:120:3\", \"target_epsilon\": 4, \"delta\": 0.01, " + TINY + "}");
        Path ledger = dir.resolve("shared-ledger.json");
        Run first = run("audit", "--config", c.toString(), "--out", dir.resolve("a").toString(), "--ledger", ledger.toString(), "--json");
        assertEquals(0, first.rc(), first.err());
        assertTrue(first.err().contains("warning: δ = 0.01 is not below 1/N"), first.err());
        JsonNode report = new ObjectMapper().readTree(first.out());
        double claimed = report.get("claimedEpsilon").asDouble();
        assertTrue(claimed > 0 && claimed <= 4, first.out());
        assertTrue(report.get("epsilonLowerBound").asDouble() <= claimed, first.out());
        assertTrue(Files.exists(dir.resolve("a/report.json")) && Files.exists(dir.resolve("a/config.json")));
        // The same data again against the same ledger: the first run's spend counts, so the second stops part-way.
        Run second = run("audit", "--config", c.toString(), "--out", dir.resolve("b").toString(), "--ledger", ledger.toString());
        assertEquals(1, second.rc(), second.out());
        assertTrue(second.err().contains("dpmammo audit: privacy budget exhausted: 0 of 20 steps ran"), second.err());
        assertFalse(Files.exists(dir.resolve("b/report.json")));

        // Another audit's checkpoint (here: hidden 16 instead of 8) in the out folder: refused, nothing changes.
        Map<String, byte[]> before = snapshot(dir.resolve("a"));
        Path wider = config(dir, "w.json", "{\"data\": \"phantom:64:120:3\", \"target_epsilon\": 4, \"delta\": 0.01, " + TINY.replace("\"hidden\": 8", "\"hidden\": 16") + "}");
        Run r = run("audit", "--config", wider.toString(), "--out", dir.resolve("a").toString(), "--ledger", ledger.toString());
        assertEquals(2, r.rc(), r.err());
        assertTrue(r.err().contains("checkpoint of a run with other settings"), r.err());
        assertSnapshotEquals(before, snapshot(dir.resolve("a")));

        // A checkpoint whose safetensors header lies about its offsets: refused the same way.
        Path ckpt = dir.resolve("a").resolve(CrashSafeRun.CHECKPOINT);
        byte[] bytes = Files.readAllBytes(ckpt);
        String text = new String(bytes, StandardCharsets.ISO_8859_1).replaceFirst("\"data_offsets\":\\[0,", "\"data_offsets\":[4,");
        Files.write(ckpt, text.getBytes(StandardCharsets.ISO_8859_1));
        assertCheckpointRefused(c, dir, ledger, "spans 2044 bytes");
        // A header that claims more bytes than the file has, and one that lies about a dtype.
        Files.write(ckpt, java.util.Arrays.copyOf(bytes, 64));
        assertCheckpointRefused(c, dir, ledger, "exceeds the file size");
        Files.write(ckpt, new String(bytes, StandardCharsets.ISO_8859_1).replaceFirst("\"F32\"", "\"F16\"").getBytes(StandardCharsets.ISO_8859_1));
        assertCheckpointRefused(c, dir, ledger, "F16");
    }

    private static void assertCheckpointRefused(Path config, Path dir, Path ledger, String expected) throws IOException {
        Map<String, byte[]> before = snapshot(dir.resolve("a"));
        // --device cpu: auto would add its one line about the device it chose.
        Run r = run("audit", "--config", config.toString(), "--out", dir.resolve("a").toString(), "--ledger", ledger.toString(), "--device", "cpu");
        assertEquals(2, r.rc(), r.err());
        assertEquals(1, r.err().strip().lines().filter(l -> !l.contains(": warning: ")).count(), "one error line: " + r.err());
        assertTrue(r.err().contains(expected), r.err());
        assertSnapshotEquals(before, snapshot(dir.resolve("a")));
    }

    private static Map<String, byte[]> snapshot(Path dir) throws IOException {
        Map<String, byte[]> m = new TreeMap<>();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) m.put(dir.relativize(p).toString(), Files.readAllBytes(p));
        }
        return m;
    }

    private static void assertSnapshotEquals(Map<String, byte[]> a, Map<String, byte[]> b) {
        assertEquals(a.keySet(), b.keySet());
        for (String k : a.keySet()) assertArrayEquals(a.get(k), b.get(k), k + " changed");
    }

    @Test
    void subnormalNoiseMultiplierStopsAtTheBudgetAtOnce(@TempDir Path dir) throws IOException {
        // σ = 1e-160 makes one step's ε infinite; the audit must say so at once (it used to hang in the accountant).
        Path c = config(dir, "c.json", "{\"data\": \"phantom:64:120:3\", \"noise_multiplier\": 1e-160, \"target_epsilon\": 4, "
                + "\"delta\": 0.001, " + TINY + "}");
        Run r = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(60),
                () -> run("audit", "--config", c.toString(), "--out", dir.resolve("a").toString()));
        assertEquals(1, r.rc(), r.err());
        assertTrue(r.err().contains("privacy budget exhausted: 0 of 20 steps ran"), r.err());
        assertFalse(Files.exists(dir.resolve("a/report.json")));
    }

    @Test
    void badConfigsAreRefused(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("out");
        refused(config(dir, "sigma.json", "{\"noise_multiplier\": 0}"), out, "gives no privacy");
        refused(config(dir, "unknown.json", "{\"noise\": 1}"), out, "noise");
        refused(config(dir, "broken.json", "{\"epochs\": "), out, "config");
        refused(config(dir, "delta.json", "{\"delta\": 1}"), out, "delta must be in (0, 1)");
        refused(config(dir, "huge.json", "{\"target_epsilon\": 1e300}"), out, "target_epsilon: ε = 1.0E300 is above 700");
        refused(config(dir, "type.json", "{\"epochs\": \"many\"}"), out, "config");
        refused(config(dir, "few.json", "{\"input_canaries\": 1, \"gradient_canaries\": 1}"), out, "at least 2 canaries of one kind");
        assertEquals(2, run("audit", "--preset", "demo").rc());
        assertEquals(2, run("audit", "--preset", "nope", "--out", out.toString()).rc());
        assertEquals(2, run("audit", "--config", dir.resolve("missing.json").toString(), "--out", out.toString()).rc());
        assertFalse(Files.exists(out));
    }

    private static void png(Path file, int size, int type) throws IOException {
        BufferedImage bi = new BufferedImage(size, size, type);
        ImageIO.write(bi, "png", file.toFile());
    }

    @Test
    void hostileAndBadDataAreRefusedBeforeAnythingIsWritten(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("out");
        // A PNG whose header declares 50000 × 50000 pixels: refused from the header, before decoding.
        Path bomb = Files.createDirectories(dir.resolve("bomb"));
        png(bomb.resolve("a_benign.png"), 64, BufferedImage.TYPE_BYTE_GRAY);
        Files.write(bomb.resolve("b_malignant.png"), bombPng(50_000, 50_000));
        refused(config(dir, "bomb.json", "{\"data\": \"" + bomb + "\", \"input_canaries\": 0}"), out, "decompression bomb");
        // Wrong size where the config fixes 64 × 64.
        Path small = Files.createDirectories(dir.resolve("small"));
        for (int i = 0; i < 3; i++) {
            png(small.resolve(i + "_benign.png"), 32, BufferedImage.TYPE_BYTE_GRAY);
            png(small.resolve(i + "_malignant.png"), 32, BufferedImage.TYPE_BYTE_GRAY);
        }
        refused(config(dir, "small.json", "{\"data\": \"" + small + "\", \"input_canaries\": 0}"), out, "expected 64x64");
        // Wrong depth: 4-bit PGM (maxval 15).
        Path shallow = Files.createDirectories(dir.resolve("shallow"));
        byte[] pgm = new byte[15 + 64 * 64];
        System.arraycopy("P5 64 64 15\n".getBytes(StandardCharsets.US_ASCII), 0, pgm, 0, 12);
        pgm = java.util.Arrays.copyOf(pgm, 12 + 64 * 64);
        for (int i = 0; i < 3; i++) {
            Files.write(shallow.resolve(i + "_benign.pgm"), pgm);
            Files.write(shallow.resolve(i + "_malignant.pgm"), pgm);
        }
        refused(config(dir, "shallow.json", "{\"data\": \"" + shallow + "\", \"input_canaries\": 0}"), out, "4-bit samples");
        // One class only.
        Path benign = Files.createDirectories(dir.resolve("benign"));
        for (int i = 0; i < 4; i++) ImageIo.writePng(benign.resolve(i + "_benign.png"), new GrayImage(64, 64, 255, new short[64 * 64]));
        refused(config(dir, "one.json", "{\"data\": \"" + benign + "\", \"input_canaries\": 0}"), out, "only one class");
        // A manifest whose paths leave its folder.
        Path m = Files.createDirectories(dir.resolve("manifest"));
        Files.writeString(m.resolve("list.csv"), "path,label\n../benign/0_benign.png,benign\n");
        refused(config(dir, "csv.json", "{\"data\": \"" + m.resolve("list.csv") + "\", \"input_canaries\": 0}"), out, "leaves the manifest's folder");
        // The same escape through a symbolic link whose name stays inside the folder.
        Path linked = Files.createDirectories(dir.resolve("linked"));
        Files.createSymbolicLink(linked.resolve("inside.png"), benign.resolve("0_benign.png"));
        Files.writeString(linked.resolve("list.csv"), "path,label\ninside.png,benign\n");
        refused(config(dir, "link.json", "{\"data\": \"" + linked.resolve("list.csv") + "\", \"input_canaries\": 0}"), out, "through a symbolic link");
    }

    /** A valid PNG signature and IHDR declaring w × h 8-bit gray pixels, with one tiny IDAT. */
    static byte[] bombPng(int w, int h) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'});
        chunk(b, "IHDR", ByteBuffer.allocate(13).putInt(w).putInt(h).put((byte) 8).put((byte) 0).put((byte) 0).put((byte) 0).put((byte) 0).array());
        Deflater d = new Deflater();
        d.setInput(new byte[1 << 16]);
        d.finish();
        byte[] z = new byte[1 << 12];
        int n = d.deflate(z);
        chunk(b, "IDAT", java.util.Arrays.copyOf(z, n));
        chunk(b, "IEND", new byte[0]);
        return b.toByteArray();
    }

    private static void chunk(ByteArrayOutputStream b, String type, byte[] data) throws IOException {
        byte[] t = type.getBytes(StandardCharsets.US_ASCII);
        b.write(ByteBuffer.allocate(4).putInt(data.length).array());
        b.write(t);
        b.write(data);
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(data);
        b.write(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }

    /**
     * The audit's power, shown from the command line: the same audit on DP-SGD without noise proves more leakage than
     * the (false) claim, and says so; a negative control cannot spend against a shared ledger.
     */
    @Test
    void aNegativeControlShowsTheAuditCatchingABrokenImplementation(@TempDir Path dir) throws IOException {
        Path cfg = config(dir, "c.json", "{\"data\": \"phantom:64:240:1\", \"image_size\": 64, \"input_size\": 16, \"hidden\": 32, "
                + "\"batch_size\": 12, \"epochs\": 8, \"target_epsilon\": 1.0, \"input_canaries\": 40, \"gradient_canaries\": 600, "
                + "\"guess_fractions\": [0.05, 0.1, 0.25]}");
        Run broken = run("audit", "--config", cfg.toString(), "--out", dir.resolve("control").toString(), "--negative-control", "skip-noise");
        assertEquals(0, broken.rc(), broken.err());
        assertTrue(broken.out().contains("NEGATIVE CONTROL (skip-noise)") && broken.out().contains("caught:"), broken.out());
        String phase = Files.readString(dir.resolve("control/ledger.json"));
        assertTrue(phase.contains("NEGATIVE CONTROL"), "the ledger says the phase is not private");
        Run shared = run("audit", "--config", cfg.toString(), "--out", dir.resolve("x").toString(), "--negative-control", "skip-clipping",
                "--ledger", dir.resolve("shared.json").toString());
        assertEquals(2, shared.rc());
        assertTrue(shared.err().contains("shared --ledger"), shared.err());
        assertEquals(2, run("audit", "--config", cfg.toString(), "--out", dir.resolve("y").toString(), "--negative-control", "off").rc());
    }
}
