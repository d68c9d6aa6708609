package org.dpmammo.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.dpmammo.autograd.Variable;
import org.dpmammo.tensor.Tensor;
import org.dpmammo.testing.PerExampleCheck;
import org.dpmammo.testing.TestTensors;
import org.dpmammo.util.Rng;
import org.junit.jupiter.api.Test;

class EmbeddingTest {
    @Test
    void forwardPicksRows() {
        Embedding e = new Embedding(4, 3, new Rng(30));
        int[] idx = {2, 0, 2, 3, 1, 0};
        Tensor y = e.forward(idx, 2, 3).value();
        TestTensors.assertShape(y, 2, 3, 3);
        double[] ref = new double[18];
        for (int t = 0; t < 6; t++) for (int d = 0; d < 3; d++) ref[t * 3 + d] = e.weight.value().get(idx[t], d);
        TestTensors.assertClose(ref, y, 0, 0, "embedding rows");
        TestTensors.assertClose(ref, e.forward(Variable.constant(Tensor.of(new float[] {2, 0, 2, 3, 1, 0}, 2, 3))).value(), 0, 0, "float indices");
    }

    @Test
    void backwardScatterAddsRepeats() {
        Embedding e = new Embedding(4, 2, new Rng(31));
        Tensor g = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 3, 2);
        e.forward(new int[] {1, 3, 1}, 3).backward(g);
        // Row 1 was read twice: its gradient is the sum of both output gradients; rows 0 and 2 were not read.
        TestTensors.assertClose(new double[] {0, 0, 1 + 5, 2 + 6, 0, 0, 3, 4}, e.weight.grad(), 0, 0, "embedding gradient");
    }

    @Test
    void initIsStandardNormal() {
        Embedding e = new Embedding(200, 50, new Rng(32));
        float[] w = e.weight.value().toArray();
        double mean = 0, sq = 0;
        for (float v : w) {
            mean += v;
            sq += v * v;
        }
        mean /= w.length;
        double var = sq / w.length - mean * mean;
        // 10,000 draws: the mean's standard error is 0.01 and the variance's about 0.014.
        assertEquals(0, mean, 0.04);
        assertEquals(1, var, 0.06);
    }

    @Test
    void clippedSumFromSinkEqualsPerExampleLoop() {
        Embedding e = new Embedding(5, 3, new Rng(33));
        Tensor idx = Tensor.of(new float[] {0, 4, 4, 1, 2, 2, 2, 0}, 4, 2);
        PerExampleCheck.checkClippedSum(e, t -> e.forward(Variable.constant(t)), idx, 5);
    }

    @Test
    void badIndicesAreRefused() {
        Embedding e = new Embedding(3, 2, new Rng(34));
        assertThrows(IllegalArgumentException.class, () -> e.forward(new int[] {3}, 1));
        assertThrows(IllegalArgumentException.class, () -> e.forward(Variable.constant(Tensor.of(new float[] {0.5f}, 1))));
    }
}
