package org.dpmammo.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.dpmammo.util.BadInputException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetsTest {
    @TempDir
    Path dir;

    @Test
    void cbisDdsmSplitsMatchTheReadme() throws IOException {
        Path root = SharedData.require("cbis-ddsm");
        Map<String, FileDataset> splits = Datasets.splits(root);
        assertEquals(List.of("train", "val", "test"), List.copyOf(splits.keySet()));
        int[][] expected = {{525, 579}, {102, 90}, {157, 245}}; // {malignant, benign}
        int k = 0;
        for (FileDataset d : splits.values()) {
            int[] c = d.classCounts();
            assertEquals(expected[k][0], c[Labels.MALIGNANT], "malignant in split " + k);
            assertEquals(expected[k][1], c[Labels.BENIGN], "benign in split " + k);
            k++;
        }
        // The label folder and the file name's is_benign flag agree for every file.
        for (FileDataset d : splits.values()) {
            for (int i = 0; i < d.size(); i++) assertTrue(d.name(i).endsWith("_is_benign_" + d.label(i) + ".png"), d.name(i));
        }
        // Patients: counts from docs/STUDY.md §1.2 (578 / 102 / 212) and no patient in two splits.
        List<Set<String>> patients = splits.values().stream().map(d -> {
            Set<String> s = new HashSet<>();
            for (int i = 0; i < d.size(); i++) s.add(d.patientId(i));
            return s;
        }).toList();
        assertEquals(List.of(578, 102, 212), patients.stream().map(Set::size).toList());
        for (int a = 0; a < 3; a++) {
            for (int b = a + 1; b < 3; b++) {
                Set<String> shared = new HashSet<>(patients.get(a));
                shared.retainAll(patients.get(b));
                assertTrue(shared.isEmpty(), "patients in two splits: " + shared);
            }
        }
        GrayImage g = splits.get("val").image(0);
        assertEquals(128, g.width());
        assertEquals(8, g.bitDepth());
    }

    @Test
    void synthetisPatchesAreAFlatFolder() throws IOException {
        Path root = SharedData.require("mcgan-synthetic");
        Dataset d = Datasets.open(root);
        assertEquals(3000, d.size());
        assertEquals(1500, d.classCounts()[Labels.BENIGN]);
        assertEquals(1500, d.classCounts()[Labels.MALIGNANT]);
        assertNull(d.patientId(0));
    }

    @Test
    void patientIdsFromStudyNames() {
        assertEquals("P_00016", PatientIds.parse("patientcbis-ddsm__P_00016_image1234_mass3457_is_benign_0.png"));
        assertEquals("P_00004", PatientIds.parse("patientcbis-ddsm__P_00004_image295360926313492745441868049270168300162_mass3_is_benign_1.png"));
        assertEquals("77", PatientIds.parse("patientbcdr__77_image5_mass1_is_benign_1.png"));
        assertNull(PatientIds.parse("batch_0_10_malignant.png"));
    }

    @Test
    void anySplitNamesAndAnEmptyClassFolder() throws IOException {
        write(dir.resolve("train/is_benign_true/patientx__P_1_image1_mass1_is_benign_1.png"), 10);
        write(dir.resolve("train/is_benign_false/patientx__P_2_image1_mass1_is_benign_0.png"), 20);
        write(dir.resolve("bcdr/is_benign_true/a.png"), 30);
        Files.createDirectories(dir.resolve("bcdr/is_benign_false")); // empty class folder
        Files.createDirectories(dir.resolve("notes"));
        Files.writeString(dir.resolve("train/is_benign_true/.a.png.123.tmp"), "half-written"); // hidden: skipped
        Map<String, FileDataset> splits = Datasets.splits(dir);
        assertEquals(List.of("train", "bcdr"), List.copyOf(splits.keySet()));
        assertEquals(2, splits.get("train").size());
        assertEquals(1, splits.get("bcdr").size());
        assertEquals(0, splits.get("bcdr").classCounts()[Labels.MALIGNANT]);
        assertEquals("P_1", splits.get("train").patientId(1));
        assertEquals(3, Datasets.open(dir).size());
        assertEquals(1, Datasets.open(dir.resolve("bcdr")).size());
    }

    @Test
    void flatFolderNeedsALabelOnEveryImage() throws IOException {
        write(dir.resolve("x_benign.png"), 1);
        write(dir.resolve("y_malignant.png"), 2);
        assertEquals(2, Datasets.open(dir).size());
        write(dir.resolve("z.png"), 3);
        IOException e = assertThrows(IOException.class, () -> Datasets.open(dir));
        assertTrue(e.getMessage().contains("z.png"), e.getMessage());
    }

    @Test
    void missingFolderFailsNamingIt() {
        Path missing = dir.resolve("nowhere");
        IOException e = assertThrows(IOException.class, () -> Datasets.open(missing));
        assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
        IOException e2 = assertThrows(IOException.class, () -> Datasets.open(Files.createDirectories(dir.resolve("empty"))));
        assertTrue(e2.getMessage().contains("no images"), e2.getMessage());
    }

    @Test
    void manifestWithRelativePathsLabelsAndPatients() throws IOException {
        write(dir.resolve("img/a.png"), 1);
        write(dir.resolve("img/b.png"), 2);
        write(dir.resolve("img/c d.png"), 3);
        Path csv = dir.resolve("m.csv");
        Files.writeString(csv, "path,label,patient_id\nimg/a.png,benign,P7\nimg/b.png,0,\n\"img/c d.png\",true,P7\n");
        FileDataset d = Datasets.manifest(csv);
        assertEquals(3, d.size());
        assertEquals(List.of(Labels.BENIGN, Labels.MALIGNANT, Labels.BENIGN), List.of(d.label(0), d.label(1), d.label(2)));
        assertEquals("P7", d.patientId(2));
        assertNull(d.patientId(1));
        assertEquals(2, d.image(1).get(0, 0));
    }

    @Test
    void manifestListsMissingFilesAndTheirTotal() throws IOException {
        write(dir.resolve("a.png"), 1);
        StringBuilder sb = new StringBuilder("a.png,1\n");
        for (int i = 0; i < 8; i++) sb.append("gone").append(i).append(".png,0\n");
        Path csv = dir.resolve("m.csv");
        Files.writeString(csv, sb);
        IOException e = assertThrows(IOException.class, () -> Datasets.manifest(csv));
        assertTrue(e.getMessage().contains("8 of 9"), e.getMessage());
        assertTrue(e.getMessage().contains("gone0.png, gone1.png"), e.getMessage());
        assertTrue(!e.getMessage().contains("gone7.png"), e.getMessage());
    }

    @Test
    void manifestPathsMayNotLeaveItsFolder() throws IOException {
        Path sub = Files.createDirectories(dir.resolve("sub"));
        write(dir.resolve("outside.png"), 1);
        for (String bad : List.of("../outside.png", "../../etc/passwd", "img/../../outside.png", dir.resolve("outside.png").toAbsolutePath().toString())) {
            Path csv = sub.resolve("m.csv");
            Files.writeString(csv, bad + ",benign\n");
            IOException e = assertThrows(IOException.class, () -> Datasets.manifest(csv), bad);
            assertTrue(e.getMessage().contains("leaves the manifest's folder"), e.getMessage());
        }
        Path csv = sub.resolve("bad-label.csv");
        Files.writeString(csv, "x.png,maybe\n");
        assertTrue(assertThrows(IOException.class, () -> Datasets.manifest(csv)).getMessage().contains("line 1"));
    }

    @Test
    void fingerprintFollowsContentAndLabelsNotNamesOrOrder() throws IOException {
        write(dir.resolve("a/x_benign.png"), 1);
        write(dir.resolve("a/y_malignant.png"), 2);
        write(dir.resolve("b/q_malignant.png"), 2);
        write(dir.resolve("b/r_benign.png"), 1);
        write(dir.resolve("c/x_benign.png"), 1);
        write(dir.resolve("c/y_benign.png"), 2);
        String a = Datasets.open(dir.resolve("a")).fingerprint();
        assertEquals(64, a.length());
        assertEquals(a, Datasets.open(dir.resolve("b")).fingerprint());
        assertNotEquals(a, Datasets.open(dir.resolve("c")).fingerprint());
    }

    @Test
    void phantomSpecOpensTheBuiltInDataset() throws IOException {
        Dataset d = Datasets.open("phantom:64:10:7");
        assertEquals(10, d.size());
        assertEquals(64, d.image(3).width());
        assertEquals("PH_00003", d.patientId(3));
        assertEquals("PH_00003", PatientIds.parse(d.name(3)));
        assertEquals(d.fingerprint(), Datasets.open("phantom:64:10:7").fingerprint());
        assertNotEquals(d.fingerprint(), Datasets.open("phantom:64:10:8").fingerprint());
        assertEquals(1000, Datasets.open("phantom").size());
        assertThrows(IllegalArgumentException.class, () -> Datasets.open("phantom:big"));
    }

    @Test
    void verifyDecodableNamesTheFirstBadFileAndTheCount(@TempDir Path d) throws IOException {
        write(d.resolve("a_benign.png"), 10);
        write(d.resolve("b_malignant.png"), 20);
        Datasets.verifyDecodable(Datasets.open(d));
        Files.write(d.resolve("c_benign.png"), Arrays.copyOf(Files.readAllBytes(d.resolve("a_benign.png")), 40));
        Files.write(d.resolve("d_benign.png"), new byte[] {1, 2, 3});
        IOException e = assertThrows(BadInputException.class, () -> Datasets.verifyDecodable(Datasets.open(d)));
        assertTrue(e.getMessage().startsWith("2 of 4 images cannot be decoded, e.g. ") && e.getMessage().contains("c_benign.png: truncated PNG"),
                e.getMessage());
    }

    @Test
    void oneClassIsRefusedNamingTheCounts(@TempDir Path d) throws IOException {
        write(d.resolve("a_benign.png"), 10);
        write(d.resolve("b_benign.png"), 20);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Datasets.requireBothClasses(List.of(Datasets.open(d)), "--train"));
        assertTrue(e.getMessage().startsWith("--train: ") && e.getMessage().contains("holds 2 benign and 0 malignant images"), e.getMessage());
        write(d.resolve("c_malignant.png"), 30);
        Datasets.requireBothClasses(List.of(Datasets.open(d)), "--train");
    }

    static void write(Path p, int value) throws IOException {
        short[] s = new short[4 * 4];
        java.util.Arrays.fill(s, (short) value);
        ImageIo.writePng(p, new GrayImage(4, 4, 255, s));
    }
}
