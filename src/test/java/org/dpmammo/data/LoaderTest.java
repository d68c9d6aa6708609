package org.dpmammo.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import org.dpmammo.util.Rng;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LoaderTest {
    private final Dataset data = new PhantomDataset(Phantom.Config.of(64), 37, 3);

    private static List<DataLoader.Batch> all(DataLoader l, int epoch) {
        List<DataLoader.Batch> out = new ArrayList<>();
        for (Iterator<DataLoader.Batch> it = l.epoch(epoch); it.hasNext(); ) out.add(it.next());
        return out;
    }

    @Test
    void shuffledEpochCoversEveryExampleOnceWithMatchingLabels() throws IOException {
        try (DataLoader l = new DataLoader(data, Pipeline.classifier(32, true), BatchSampler.shuffled(8, false), 1, 2, true)) {
            List<DataLoader.Batch> batches = all(l, 0);
            assertEquals(5, batches.size());
            boolean[] seen = new boolean[data.size()];
            for (DataLoader.Batch b : batches) {
                assertArrayEquals(new int[] {b.size(), 3, 32, 32}, b.images().shape());
                for (int k = 0; k < b.size(); k++) {
                    assertTrue(!seen[b.indices()[k]]);
                    seen[b.indices()[k]] = true;
                    assertEquals(data.label(b.indices()[k]), b.labels()[k]);
                }
            }
            for (boolean s : seen) assertTrue(s);
            int[] order0 = batches.get(0).indices();
            assertNotEquals(Arrays.toString(order0), Arrays.toString(all(l, 1).get(0).indices()), "each epoch reshuffles");
        }
    }

    @Test
    void resultsDoNotDependOnThreadCount() throws IOException {
        float[] one;
        float[] two;
        try (DataLoader l = new DataLoader(data, Pipeline.gan(64, true, true), BatchSampler.shuffled(16, true), 9, 1, false)) {
            one = all(l, 2).get(1).images().toArray();
        }
        try (DataLoader l = new DataLoader(data, Pipeline.gan(64, true, true), BatchSampler.shuffled(16, true), 9, 2, true)) {
            two = all(l, 2).get(1).images().toArray();
        }
        assertArrayEquals(one, two);
    }

    @Test
    void anySamplerIncludingEmptyBatches() throws IOException {
        // A test sampler in the spirit of Poisson sampling: fixed batches, some empty, with a repeat.
        BatchSampler fixed = (n, rng) -> List.of(new int[0], new int[] {4, 4, 0}, new int[0]).iterator();
        try (DataLoader l = new DataLoader(data, Pipeline.classifier(16, false), fixed, 0, 2, false)) {
            List<DataLoader.Batch> b = all(l, 0);
            assertEquals(3, b.size());
            assertArrayEquals(new int[] {0, 3, 16, 16}, b.get(0).images().shape());
            assertEquals(0, b.get(0).labels().length);
            assertArrayEquals(new int[] {3, 3, 16, 16}, b.get(1).images().shape());
            float[] x = b.get(1).images().toArray();
            int per = 3 * 16 * 16;
            assertArrayEquals(Arrays.copyOfRange(x, 0, per), Arrays.copyOfRange(x, per, 2 * per));
            // The reference: the same example through the pipeline by hand.
            float[] ref = Pipeline.classifier(16, false).apply(data.image(0), new Rng(0)).data();
            assertArrayEquals(ref, Arrays.copyOfRange(x, 2 * per, 3 * per));
        }
        BatchSampler outOfRange = (n, rng) -> List.of(new int[] {n}).iterator();
        try (DataLoader l = new DataLoader(data, Pipeline.classifier(16, false), outOfRange, 0, 1, false)) {
            assertThrows(IllegalArgumentException.class, () -> l.epoch(0).next());
        }
    }

    @Test
    void aBrokenFileSurfacesWithItsName(@TempDir Path dir) throws IOException {
        DatasetsTest.write(dir.resolve("a_benign.png"), 1);
        Files.writeString(dir.resolve("b_malignant.png"), "not a png");
        Dataset d = Datasets.open(dir);
        try (DataLoader l = new DataLoader(d, Pipeline.classifier(8, false), BatchSampler.sequential(2), 0, 2, false)) {
            UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> l.epoch(0).next());
            assertTrue(e.getMessage().contains("b_malignant.png"), e.getMessage());
        }
    }

    @Test
    void imagesOfDifferentSizesNeedAResize(@TempDir Path dir) throws IOException {
        DatasetsTest.write(dir.resolve("a_benign.png"), 1);
        ImageIo.writePng(dir.resolve("b_benign.png"), new GrayImage(5, 4, 255, new short[20]));
        Dataset d = Datasets.open(dir);
        Pipeline noResize = new Pipeline(List.of(Transforms.signedStep()));
        try (DataLoader l = new DataLoader(d, noResize, BatchSampler.sequential(2), 0, 1, false)) {
            RuntimeException e = assertThrows(RuntimeException.class, () -> l.epoch(0).next());
            assertTrue(e.getMessage().contains("b_benign.png"), e.getMessage());
        }
    }
}
