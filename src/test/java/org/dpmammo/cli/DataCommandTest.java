package org.dpmammo.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.dpmammo.data.Datasets;
import org.dpmammo.data.FileDataset;
import org.dpmammo.data.GrayImage;
import org.dpmammo.data.ImageIo;
import org.dpmammo.data.PngBytes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataCommandTest {
    @TempDir
    Path dir;

    private record Result(int rc, String out, String err) {}

    private static Result run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int rc = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(rc, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void everySubcommandHasHelp() {
        for (String sub : new String[] {"inspect", "phantom", "split", "sheet"}) {
            Result r = run("data", sub, "--help");
            assertEquals(0, r.rc(), sub);
            assertTrue(r.out().contains("dpmammo data " + sub), r.out());
        }
        assertEquals(0, run("data", "--help").rc());
        assertEquals(2, run("data").rc());
        assertEquals(2, run("data", "frobnicate").rc());
    }

    @Test
    void badInputIsOneLine() {
        Result missing = run("data", "inspect", dir.resolve("nope").toString());
        assertEquals(1, missing.rc());
        assertTrue(missing.err().contains("nope") && missing.err().strip().lines().count() == 1, missing.err());
        assertEquals(2, run("data", "phantom", "--out", dir.resolve("p").toString(), "--size", "100").rc());
        assertEquals(2, run("data", "phantom", "--out", dir.resolve("p").toString(), "--count", "x").rc());
        assertEquals(2, run("data", "phantom", "--out", dir.resolve("p").toString(), "--fractions", "0.5,0.5,0.5").rc());
        assertEquals(2, run("data", "phantom").rc());
        assertEquals(2, run("data", "inspect").rc());
        assertFalse(Files.exists(dir.resolve("p")));
    }

    @Test
    void phantomWritesTheStudyLayoutThatReadersAccept() throws IOException {
        Path out = dir.resolve("ph");
        Result r = run("data", "phantom", "--out", out.toString(), "--count", "60", "--size", "64", "--seed", "4");
        assertEquals(0, r.rc(), r.err());
        Map<String, FileDataset> splits = Datasets.splits(out);
        assertEquals(Set.of("train", "val", "test"), splits.keySet());
        // 70/15/15 of each observed class: exact up to rounding per class.
        assertEquals(60, splits.values().stream().mapToInt(FileDataset::size).sum());
        assertEquals(42, splits.get("train").size(), 1);
        assertEquals(9, splits.get("val").size(), 1);
        int train = splits.get("train").size();
        assertEquals(64, splits.get("test").image(0).width());
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(1, s.count(), "no staging folder is left behind");
        }
        // Writing again refuses (bad usage of --out: exit 2) and leaves the first result intact.
        assertEquals(2, run("data", "phantom", "--out", out.toString(), "--count", "5").rc());
        assertEquals(train, Datasets.splits(out).get("train").size());

        Result json = run("data", "inspect", out.toString(), "--json");
        assertEquals(0, json.rc(), json.err());
        JsonNode j = new ObjectMapper().readTree(json.out());
        assertEquals(60, j.get("images").asInt());
        assertEquals(train, j.get("splits").get("train").get("patients").asInt());
        assertEquals(0, j.get("patientOverlap").get("train~test").get("shared").asInt());
    }

    @Test
    void splitKeepsPatientsTogetherAndStratifies() throws IOException {
        // 40 patients with 1 to 3 patches each, mixed classes.
        Path src = dir.resolve("src");
        int files = 0;
        for (int p = 0; p < 40; p++) {
            for (int k = 0; k <= p % 3; k++) {
                int benign = (p + k) % 4 == 0 ? 0 : 1;
                String split = p % 2 == 0 ? "train" : "test";
                Path f = src.resolve(split).resolve("is_benign_" + (benign == 1)).resolve(
                        "patientx__P_" + p + "_image" + k + "_mass" + k + "_is_benign_" + benign + ".png");
                ImageIo.writePng(f, new GrayImage(2, 2, 255, new short[] {(short) p, (short) k, 0, 0}));
                files++;
            }
        }
        Path out = dir.resolve("split");
        Result r = run("data", "split", src.toString(), "--out", out.toString(), "--seed", "3");
        assertEquals(0, r.rc(), r.err());
        Map<String, FileDataset> splits = Datasets.splits(out);
        int total = 0;
        Set<String> seen = new HashSet<>();
        for (FileDataset d : splits.values()) {
            total += d.size();
            Set<String> here = new HashSet<>();
            for (int i = 0; i < d.size(); i++) here.add(d.patientId(i));
            for (String p : here) assertTrue(seen.add(p), "patient " + p + " in two splits");
        }
        assertEquals(files, total);
        assertTrue(splits.get("train").size() >= 0.6 * files && splits.get("train").size() <= 0.8 * files, r.out());
        for (FileDataset d : splits.values()) assertTrue(d.classCounts()[0] > 0 && d.classCounts()[1] > 0, r.out());
    }

    @Test
    void inspectRealDataFindsNoLeaks() throws IOException {
        Path root = Path.of("..", "shared", "data", "cbis-ddsm");
        if (!Files.isDirectory(root) && System.getProperty("dpmammo.shared") != null) {
            root = Path.of(System.getProperty("dpmammo.shared"), "data", "cbis-ddsm");
        }
        assumeTrue(Files.isDirectory(root), "real data not found (../shared/data/cbis-ddsm; or set -Ddpmammo.shared)");
        Result r = run("data", "inspect", root.toString(), "--json");
        assertEquals(0, r.rc(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertEquals(1698, j.get("images").asInt());
        assertEquals(579, j.get("splits").get("train").get("benign").asInt());
        assertEquals(157, j.get("splits").get("test").get("malignant").asInt());
        assertEquals(0, j.get("duplicateGroups").get("acrossSplits").asInt());
        for (JsonNode o : j.get("patientOverlap")) assertEquals(0, o.get("shared").asInt());
        assertEquals(1104, j.get("splits").get("train").get("channelsXdepth").get("1x8-bit").asInt());
    }

    @Test
    void inspectFindsDuplicatesAndSharedPatientsAcrossSplits() throws IOException {
        GrayImage same = new GrayImage(3, 3, 255, new short[] {1, 2, 3, 4, 5, 6, 7, 8, 9});
        ImageIo.writePng(dir.resolve("d/train/is_benign_true/patientx__P_1_image1_mass1_is_benign_1.png"), same);
        ImageIo.writePng(dir.resolve("d/test/is_benign_true/patientx__P_9_image1_mass1_is_benign_1.png"), same);
        ImageIo.writePng(dir.resolve("d/test/is_benign_false/patientx__P_1_image2_mass1_is_benign_0.png"),
                new GrayImage(3, 3, 255, new short[9]));
        Result r = run("data", "inspect", dir.resolve("d").toString(), "--json");
        assertEquals(0, r.rc(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertEquals(1, j.get("duplicateGroups").get("acrossSplits").asInt());
        assertEquals(1, j.get("patientOverlap").get("train~test").get("shared").asInt());
        assertEquals("P_1", j.get("patientOverlap").get("train~test").get("examples").get(0).asText());
        Result text = run("data", "inspect", dir.resolve("d").toString());
        assertTrue(text.out().contains("patients shared by train and test: 1 (e.g. P_1)"), text.out());
    }

    @Test
    void oneFileOffThePatternStillLeavesTheOverlapCount() throws IOException {
        GrayImage g = new GrayImage(3, 3, 255, new short[9]);
        ImageIo.writePng(dir.resolve("d/train/is_benign_true/patientx__P_1_image1_mass1_is_benign_1.png"), g);
        ImageIo.writePng(dir.resolve("d/test/is_benign_false/patientx__P_1_image2_mass1_is_benign_0.png"), g);
        // Named off the study's pattern: no patient id can be read from it. It used to turn "shared: 1" into n/a.
        ImageIo.writePng(dir.resolve("d/test/is_benign_true/scan-0001.png"), g);
        Result r = run("data", "inspect", dir.resolve("d").toString(), "--json");
        assertEquals(0, r.rc(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertEquals(1, j.get("patientOverlap").get("train~test").get("shared").asInt(), r.out());
        assertEquals(1, j.get("splits").get("test").get("withoutPatientId").asInt(), r.out());
        assertEquals(1, j.get("splits").get("test").get("patients").asInt(), r.out());
        Result text = run("data", "inspect", dir.resolve("d").toString());
        assertTrue(text.out().contains("patients shared by train and test: 1 (e.g. P_1)"), text.out());
        assertTrue(text.out().contains("1 file(s) without a patient id in the name"), text.out());
    }

    @Test
    void inspectDecodesEveryImageAndFailsOnUnreadableOnes() throws IOException {
        Path d = dir.resolve("flat");
        BufferedImage img = new BufferedImage(128, 128, BufferedImage.TYPE_BYTE_GRAY);
        Random rnd = new Random(5);
        for (int i = 0; i < 128 * 128; i++) img.getRaster().setSample(i % 128, i / 128, 0, rnd.nextInt(256));
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        ImageIO.write(img, "png", buf);
        byte[] whole = buf.toByteArray();
        Files.createDirectories(d);
        Files.write(d.resolve("a_benign.png"), whole);
        Files.write(d.resolve("b_malignant.png"), PngBytes.build(8, 8, 1, 0));
        Files.write(d.resolve("c_benign.png"), Arrays.copyOf(whole, 300));
        Result ok = run("data", "inspect", d.toString(), "--json");
        assertEquals(1, ok.rc(), ok.err());
        assertEquals(1, ok.err().strip().lines().count(), ok.err());
        assertTrue(ok.err().contains("1 unreadable file(s)") && ok.err().contains("c_benign.png: truncated PNG"), ok.err());
        JsonNode j = new ObjectMapper().readTree(ok.out());
        JsonNode all = j.get("splits").get("all");
        assertEquals(1, all.get("unreadable").asInt());
        assertEquals(1, all.get("channelsXdepth").get("1x1-bit").asInt(), ok.out());
        assertEquals(1, all.get("channelsXdepth").get("1x8-bit").asInt(), ok.out());
        // A flipped bit in the image data: the header is intact, only a full decode (CRC) finds it.
        byte[] flipped = whole.clone();
        flipped[whole.length / 2] ^= 1;
        Files.write(d.resolve("c_benign.png"), flipped);
        Result crc = run("data", "inspect", d.toString());
        assertEquals(1, crc.rc());
        assertTrue(crc.err().contains("c_benign.png: damaged PNG (CRC mismatch"), crc.err());
        assertTrue(crc.out().contains("1 unreadable"), crc.out());
    }

    @Test
    void aFailedSplitLeavesNothingBehind() throws IOException {
        ImageIo.writePng(dir.resolve("m/a.png"), new GrayImage(2, 2, 255, new short[4]));
        // The same file listed twice: the second copy collides, after other files were already written.
        Files.writeString(dir.resolve("m/list.csv"), "a.png,benign,P1\na.png,benign,P1\n");
        Path out = dir.resolve("out");
        Result r = run("data", "split", dir.resolve("m/list.csv").toString(), "--out", out.toString());
        assertEquals(1, r.rc());
        assertTrue(r.err().contains("a.png"), r.err());
        assertFalse(Files.exists(out));
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(1, s.count(), "no staging folder is left behind");
        }
    }

    @Test
    void dataBenchRunsOnAnyFolder() throws IOException {
        Path data = dir.resolve("small");
        assertEquals(0, run("data", "phantom", "--out", data.toString(), "--count", "12", "--size", "64").rc());
        Result r = run("bench", "data", "--root", data.toString(), "--size", "32", "--batch", "5", "--repeat", "1", "--json");
        assertEquals(0, r.rc(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertEquals(12, j.get("images").asInt());
        assertEquals(3, j.get("batches").asInt());
        assertEquals("[5, 3, 32, 32]", j.get("outputShape").asText());
        assertEquals(2, run("bench", "data", "--root", dir.resolve("none").toString()).rc());
    }

    @Test
    void sheetFromThePhantom() throws IOException {
        Path png = dir.resolve("sheet.png");
        Result r = run("data", "sheet", "phantom:64:40:1", "--out", png.toString(), "--count", "16", "--columns", "4");
        assertEquals(0, r.rc(), r.err());
        GrayImage g = ImageIo.read(png);
        // 4 columns of 64 px with 2 px gaps; two blocks of 2 rows, plus a 16 px band.
        assertEquals(4 * 64 + 5 * 2, g.width());
        assertEquals(2 * (2 * 64 + 3 * 2) + 16, g.height());
        // --size resizes the tiles: 64 px phantoms shown at 32.
        Result small = run("data", "sheet", "phantom:64:40:1", "--out", png.toString(), "--count", "16", "--columns", "4", "--size", "32");
        assertEquals(0, small.rc(), small.err());
        assertEquals(4 * 32 + 5 * 2, ImageIo.read(png).width());
        assertEquals(2, run("data", "sheet", "phantom:64:40:1", "--out", png.toString(), "--size", "0").rc());
    }

    @Test
    void outRefusalsSayWhatIsWrongWithThePath() throws IOException {
        Path file = Files.writeString(dir.resolve("afile"), "x");
        Path full = Files.createDirectories(dir.resolve("full"));
        Files.writeString(full.resolve("keep.txt"), "x");
        String[][] cases = {
            {file.toString(), "exists and is a file, not a folder"},
            {file.resolve("sub").toString(), "cannot be created, " + file.toAbsolutePath() + " is a file"},
            {full.toString(), "exists and is not empty"},
        };
        for (String[] c : cases) {
            for (String sub : new String[] {"phantom", "split"}) {
                Result r = sub.equals("phantom") ? run("data", "phantom", "--out", c[0], "--count", "10", "--size", "64")
                        : run("data", "split", "phantom:64:10", "--out", c[0]);
                assertEquals(2, r.rc(), sub + " " + c[0] + ": " + r.err());
                assertEquals(1, r.err().strip().lines().count(), r.err());
                assertTrue(r.err().contains("--out " + c[0] + ": " + c[1]), r.err());
            }
        }
        assertEquals("x", Files.readString(full.resolve("keep.txt")));
        // A file-system error without a reason used to print as the bare path; its kind now follows it.
        Result sheet = run("data", "sheet", "phantom:64:10", "--out", file.resolve("s.png").toString());
        assertEquals(1, sheet.rc(), sheet.err());
        assertTrue(sheet.err().strip().endsWith(file.toAbsolutePath() + ": already exists and is in the way"), sheet.err());
    }

    @Test
    void aKilledPhantomRunsHiddenFolderIsRemovedByTheNextRun() throws IOException {
        // What a kill -9 leaves: the staging folder of a process that is gone, and one from before pids were recorded.
        Path gone = Files.createDirectories(dir.resolve(".p.partial-999999999-123/train/is_benign_true"));
        Files.write(gone.resolve("x.png"), new byte[1000]);
        Path old = Files.createDirectories(dir.resolve(".p.partial-8812345678901234"));
        // A live writer's folder (this process's pid) and another output's folder are not touched.
        Path live = Files.createDirectories(dir.resolve(".p.partial-" + ProcessHandle.current().pid() + "-7"));
        Path other = Files.createDirectories(dir.resolve(".q.partial-999999999-1"));
        Result r = run("data", "phantom", "--out", dir.resolve("p").toString(), "--count", "10", "--size", "64");
        assertEquals(0, r.rc(), r.err());
        assertFalse(Files.exists(dir.resolve(".p.partial-999999999-123")));
        assertFalse(Files.exists(old));
        assertTrue(Files.exists(live) && Files.exists(other));
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(Set.of("p", live.getFileName().toString(), other.getFileName().toString()),
                    s.map(p -> p.getFileName().toString()).collect(java.util.stream.Collectors.toSet()));
        }
    }

    @Test
    void aDamagedImageIsBadInputExitTwo() throws IOException {
        Path d = Files.createDirectories(dir.resolve("flat"));
        ImageIo.writePng(d.resolve("a_benign.png"), new GrayImage(8, 8, 255, new short[64]));
        ImageIo.writePng(d.resolve("b_malignant.png"), new GrayImage(8, 8, 255, new short[64]));
        byte[] whole = Files.readAllBytes(d.resolve("b_malignant.png"));
        Files.write(d.resolve("b_malignant.png"), Arrays.copyOf(whole, whole.length - 12));
        // Used to exit 1, as a failure, while a damaged classifier checkpoint exits 2: both are bad input.
        Result sheet = run("data", "sheet", d.toString(), "--out", dir.resolve("s.png").toString());
        assertEquals(2, sheet.rc(), sheet.err());
        assertTrue(sheet.err().contains("b_malignant.png: truncated PNG"), sheet.err());
        Result eval = run("classifier", "evaluate", "--checkpoint", dir.resolve("none.safetensors").toString(), "--data", d.toString());
        assertEquals(2, eval.rc(), eval.err());
        // A missing file is not bad content: still a failure (1), and says so.
        Files.write(d.resolve("b_malignant.png"), whole);
        Files.delete(d.resolve("a_benign.png"));
        Files.createSymbolicLink(d.resolve("a_benign.png"), dir.resolve("nowhere.png"));
        Result missing = run("data", "sheet", d.toString(), "--out", dir.resolve("s2.png").toString());
        assertEquals(1, missing.rc(), missing.err());
    }

    @Test
    void phantomFoldersAndFilesFollowTheUmask() throws IOException {
        Set<PosixFilePermission> folder = Files.getPosixFilePermissions(Files.createDirectory(dir.resolve("plain")));
        Set<PosixFilePermission> file = Files.getPosixFilePermissions(Files.createFile(dir.resolve("plain.txt")));
        Path out = dir.resolve("p");
        assertEquals(0, run("data", "phantom", "--out", out.toString(), "--count", "10", "--size", "64").rc());
        assertEquals(folder, Files.getPosixFilePermissions(out));
        assertEquals(file, Files.getPosixFilePermissions(out.resolve("phantom.json")));
        try (Stream<Path> s = Files.walk(out)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) assertEquals(file, Files.getPosixFilePermissions(p), p.toString());
        }
    }
}
