package org.dpmammo.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.dpmammo.cli.Main;
import org.dpmammo.data.Dataset;
import org.dpmammo.data.Datasets;
import org.dpmammo.data.ImageIo;
import org.dpmammo.nn.SafeTensors;
import org.dpmammo.tensor.Tensor;
import org.dpmammo.train.Classifier;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link MassClassifier} gives what {@code dpmammo classifier predict} writes, for checkpoints and plain state dicts. */
class MassClassifierTest {
    @TempDir
    static Path dir;
    static Path checkpoint, images;
    static List<String[]> predicted;

    private static void cli(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int rc = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(0, rc, err.toString(StandardCharsets.UTF_8));
    }

    @BeforeAll
    static void trainAndPredictWithTheCommands() throws Exception {
        cli("classifier", "train", "--train", "phantom:32:24:1", "--val", "phantom:32:12:2", "--out", dir.resolve("run").toString(), "--preset", "tiny",
                "--epochs", "1", "--batch-size", "12", "--lr", "1e-3", "--threads", "1");
        checkpoint = dir.resolve("run/checkpoints/best.safetensors");
        images = dir.resolve("images");
        Files.createDirectories(images);
        Dataset phantom = Datasets.open("phantom:48:6:5");
        for (int i = 0; i < phantom.size(); i++) {
            ImageIo.writePng(images.resolve("p" + i + (phantom.label(i) == 1 ? "_benign" : "_malignant") + ".png"), phantom.image(i));
        }
        Path csv = dir.resolve("pred.csv");
        cli("classifier", "predict", "--checkpoint", checkpoint.toString(), "--data", images.toString(), "--out", csv.toString());
        predicted = new ArrayList<>();
        for (String row : Files.readAllLines(csv).subList(1, 7)) predicted.add(row.split(","));
    }

    @Test
    void aCheckpointClassifiesAsTheCommandDoes() throws Exception {
        MassClassifier c = MassClassifier.load(checkpoint);
        assertEquals("validation", c.thresholdSource());
        assertEquals(32, c.imageSize());
        List<Tensor> prepared = new ArrayList<>();
        for (String[] row : predicted) {
            Path image = images.resolve(row[0]);
            MassClassifier.Prediction p = c.classify(image);
            assertEquals(Double.parseDouble(row[2]), p.pBenign(), 1e-6, row[0]);
            assertEquals(Double.parseDouble(row[3]), p.pMalignant(), 1e-6, row[0]);
            assertEquals(Boolean.parseBoolean(row[5]), p.malignant(), row[0]);
            assertEquals(p.malignant() ? "malignant" : "benign", p.decision());
            assertEquals(c.threshold(), p.threshold());
            prepared.add(c.prepare(ImageIo.read(image)));
        }
        // The same images as a dataset and as one stacked tensor.
        List<MassClassifier.Prediction> fromDataset = c.classify(Datasets.open(images));
        Tensor stacked = Tensor.zeros(prepared.size(), 3, 32, 32);
        for (int i = 0; i < prepared.size(); i++) System.arraycopy(prepared.get(i).toArray(), 0, stacked.data(), i * 3 * 32 * 32, 3 * 32 * 32);
        List<MassClassifier.Prediction> fromTensor = c.classify(stacked);
        for (int i = 0; i < predicted.size(); i++) {
            assertEquals(Double.parseDouble(predicted.get(i)[2]), fromDataset.get(i).pBenign(), 1e-6);
            assertEquals(fromDataset.get(i).pBenign(), fromTensor.get(i).pBenign(), 1e-6);
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> c.classify(Tensor.zeros(1, 1, 32, 32)));
        assertTrue(e.getMessage().contains("[N, 3, 32, 32]"), e.getMessage());
    }

    @Test
    void aPlainStateDictNeedsItsArchitectureAndDecidesAtOneHalf() throws Exception {
        Path plain = dir.resolve("plain.safetensors");
        SafeTensors.save(plain, Classifier.load(checkpoint).model(), Map.of());
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class, () -> MassClassifier.load(plain, "resnet50", false));
        assertTrue(unknown.getMessage().contains("resnet50"));
        assertTrue(assertThrows(java.io.IOException.class, () -> MassClassifier.load(plain)).getMessage().contains("arch"));
        MassClassifier c = MassClassifier.load(plain, "tiny", false), swapped = MassClassifier.load(plain, "tiny", true);
        assertEquals("default", c.thresholdSource());
        assertEquals(0.5, c.threshold());
        for (String[] row : predicted) {
            MassClassifier.Prediction p = c.classify(images.resolve(row[0]));
            assertEquals(Double.parseDouble(row[2]), p.pBenign(), 1e-6, "the same weights");
            assertEquals(p.pMalignant() >= 0.5, p.malignant());
            assertEquals(p.pMalignant(), swapped.classify(images.resolve(row[0])).pBenign(), 1e-6, "a benign-first head read the other way round");
        }
    }
}
