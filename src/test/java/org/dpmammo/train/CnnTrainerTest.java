package org.dpmammo.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.dpmammo.data.Datasets;
import org.dpmammo.models.cnn.DemoCnn;
import org.dpmammo.nn.SafeTensors;
import org.dpmammo.nn.Sequential;
import org.dpmammo.nn.Tanh;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CNN's activation: chosen per run, recorded in the checkpoint, and what predict rebuilds. */
class CnnTrainerTest {
    static final PrintStream QUIET = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
    static final String TRAIN = "phantom:32:24:1", VAL = "phantom:32:16:2";

    static Path train(Path out, String activation, Path init) throws Exception {
        return CnnTrainer.train(new CnnTrainer.Job(List.of(TRAIN), VAL, out, 42, false, init, activation, 2, 1e-2, 8, 0, 0, 8, null), QUIET);
    }

    @Test
    void aTanhCheckpointPredictsAsATanhNet(@TempDir Path dir) throws Exception {
        Path ckpt = train(dir.resolve("tanh"), "tanh", null);
        assertEquals("tanh", SafeTensors.read(ckpt).metadata().get("dpmammo.activation"));
        Sequential tanh = DemoCnn.build(7, "tanh"), leaky = DemoCnn.build(7, "leaky_relu");
        assertTrue(tanh.get(2) instanceof Tanh && tanh.get(5) instanceof Tanh && tanh.get(8) instanceof Tanh);
        SafeTensors.load(ckpt, tanh, true);
        SafeTensors.load(ckpt, leaky, true);
        CnnTrainer.Data val = CnnTrainer.load(List.of(VAL));
        double[] predicted = CnnTrainer.predict(ckpt, Datasets.open(VAL));
        assertArrayEquals(CnnTrainer.probabilities(tanh, val.x()), predicted, 0);
        // the same weights in a LeakyReLU net give other probabilities: the metadata, not the tensors, decides
        double[] asLeaky = CnnTrainer.probabilities(leaky, val.x());
        double gap = 0;
        for (int i = 0; i < asLeaky.length; i++) gap = Math.max(gap, Math.abs(asLeaky[i] - predicted[i]));
        assertTrue(gap > 1e-3, "LeakyReLU and tanh nets agree to " + gap);
    }

    @Test
    void aCheckpointOfTheOtherActivationIsRefusedAsStartingWeights(@TempDir Path dir) throws Exception {
        Path leaky = train(dir.resolve("leaky"), "leaky_relu", null);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> train(dir.resolve("ft"), "tanh", leaky));
        assertTrue(e.getMessage().contains("leaky_relu CNN") && e.getMessage().contains("tanh one"), e.getMessage());
        // and a matching one is accepted
        assertTrue(train(dir.resolve("ft2"), "leaky_relu", leaky) != null);
    }
}
