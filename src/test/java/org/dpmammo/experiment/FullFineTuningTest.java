package org.dpmammo.experiment;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.dpmammo.nn.SafeTensors;
import org.dpmammo.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * classifier.finetune through both trainers: a pretrain_dp job (DP, starting from a pretrained checkpoint) changes
 * only the head's tensors when it fine-tunes the head, and also the layers below when it fine-tunes the whole model.
 */
class FullFineTuningTest {
    static final PrintStream QUIET = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);

    /** The names of the tensors that differ between two checkpoints of the same model. */
    static List<String> changed(Path before, Path after) throws Exception {
        Map<String, Tensor> a = SafeTensors.read(before).tensors(), b = SafeTensors.read(after).tensors();
        assertTrue(a.keySet().equals(b.keySet()), a.keySet() + " vs " + b.keySet());
        List<String> out = new ArrayList<>();
        for (String k : a.keySet()) if (!Arrays.equals(a.get(k).toArray(), b.get(k).toArray())) out.add(k);
        return out;
    }

    /** Pretrains without DP, then DP-fine-tunes the head and the whole model; returns the changed tensors of each. */
    static List<List<String>> fineTune(Trainers t, String train, String val, Path dir) throws Exception {
        Path pre = t.classifier(new Trainers.ClassifierJob(List.of(train), val, dir.resolve("pre"), 42, true, true, null, Double.POSITIVE_INFINITY, null, 2, 1e-2), QUIET);
        List<List<String>> out = new ArrayList<>();
        for (boolean full : new boolean[] {false, true}) {
            Path ckpt = t.classifier(new Trainers.ClassifierJob(List.of(train), val, dir.resolve("ft-" + full), 42, full, true, pre, 8.0, "rdp", 2, 1e-2), QUIET);
            out.add(changed(pre, ckpt));
        }
        return out;
    }

    @Test
    void theCnnFineTunesItsLastLayerOrEveryLayer(@TempDir Path dir) throws Exception {
        ExperimentConfig c = ExperimentConfig.parse("{\"preset\": \"demo\", \"classifier\": {\"batch_size\": 8}, \"reproducible_dp\": true}");
        List<List<String>> ch = fineTune(new CnnTrainers(c), "phantom:32:32:1", "phantom:32:16:2", dir);
        // the CNN's last module (index 10) is the linear head
        assertTrue(!ch.get(0).isEmpty() && ch.get(0).stream().allMatch(k -> k.startsWith("10.")), "head only: " + ch.get(0));
        assertTrue(ch.get(1).containsAll(List.of("0.weight", "3.weight", "6.weight", "10.weight")), "full: " + ch.get(1));
    }

    @Test
    void theFixedFeatureModelsFineTuneTheirHeadOrAlsoTheirAffine(@TempDir Path dir) throws Exception {
        for (String model : List.of("scatter", "radiomics")) {
            ExperimentConfig c = ExperimentConfig.parse("{\"preset\": \"cpu\", \"classifier\": {\"model\": \"" + model + "\", \"batch_size\": 8},"
                    + " \"reproducible_dp\": true}");
            List<List<String>> ch = fineTune(new StudyTrainers(c, dir.resolve(model).resolve("features")), "phantom:64:24:1", "phantom:64:12:2", dir.resolve(model));
            assertTrue(!ch.get(0).isEmpty() && ch.get(0).stream().allMatch(k -> k.startsWith("head.")), model + ", head only: " + ch.get(0));
            assertFalse(ch.get(1).stream().allMatch(k -> k.startsWith("head.")), model + ", full: " + ch.get(1));
            assertTrue(ch.get(1).containsAll(List.of("norm.weight", "norm.bias")), model + ", full: " + ch.get(1));
        }
    }
}
