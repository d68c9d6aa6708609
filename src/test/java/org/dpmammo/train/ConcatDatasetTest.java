package org.dpmammo.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.util.List;
import org.dpmammo.data.Dataset;
import org.dpmammo.data.Datasets;
import org.dpmammo.data.FileDataset;
import org.junit.jupiter.api.Test;

/** Several training sources read as one (real plus synthetic, from repeated --train): every index maps to its part. */
class ConcatDatasetTest {
    @Test
    void indicesRunThroughThePartsInOrderSkippingEmptyOnes() throws IOException {
        Dataset real = Datasets.open("phantom:32:5:1");
        Dataset empty = new FileDataset(List.of(), "an empty folder");
        Dataset synthetic = Datasets.open("phantom:32:7:2");
        ConcatDataset all = new ConcatDataset(List.of(real, empty, synthetic));
        assertEquals(12, all.size());
        int[] counts = all.classCounts();
        int[] r = real.classCounts();
        int[] s = synthetic.classCounts();
        assertArrayEquals(new int[] {r[0] + s[0], r[1] + s[1]}, counts);
        for (int i = 0; i < all.size(); i++) {
            Dataset part = i < 5 ? real : synthetic;
            int j = i < 5 ? i : i - 5;
            assertEquals(part.label(j), all.label(i), "label " + i);
            assertEquals(part.name(j), all.name(i), "name " + i);
            assertEquals(part.patientId(j), all.patientId(i), "patient " + i);
            assertArrayEquals(part.contentHash(j), all.contentHash(i), "hash " + i);
            assertArrayEquals(part.image(j).samples(), all.image(i).samples(), "image " + i);
        }
        assertEquals(real.description() + " + an empty folder + " + synthetic.description(), all.description());
        assertThrows(IndexOutOfBoundsException.class, () -> all.label(12));
        assertThrows(IndexOutOfBoundsException.class, () -> all.label(-1));
        // Its fingerprint is the union's, whatever the order of the parts.
        assertEquals(all.fingerprint(), new ConcatDataset(List.of(synthetic, real)).fingerprint());
    }
}
