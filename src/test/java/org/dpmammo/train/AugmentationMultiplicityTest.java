package org.dpmammo.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.dpmammo.autograd.NnOps;
import org.dpmammo.autograd.Ops;
import org.dpmammo.autograd.Variable;
import org.dpmammo.models.swin.SwinTransformer;
import org.dpmammo.nn.Module;
import org.dpmammo.nn.Parameter;
import org.dpmammo.optim.SGD;
import org.dpmammo.privacy.dpsgd.DpSgd;
import org.dpmammo.privacy.noise.GaussianNoise;
import org.dpmammo.privacy.noise.RandomSource;
import org.dpmammo.tensor.Tensor;
import org.dpmammo.util.Rng;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Augmentation multiplicity under DP: the K rows of one example must be clipped as one example's gradient — the mean
 * of its K per-row gradients — not as K examples. Checked against a loop that takes every row's gradient by its own
 * backward pass, averages each example's K, clips and sums.
 */
class AugmentationMultiplicityTest {
    static final int N = 5, K = 4, F = 6;
    static final int[] LABELS = {0, 1, 1, 0, 1};

    static Tensor rows(long seed) {
        Rng rng = new Rng(seed);
        Tensor x = Tensor.zeros(N * K, F);
        for (int i = 0; i < x.numel(); i++) x.data()[i] = (float) rng.uniform(-2, 2);
        return x;
    }

    static Function<int[], Variable> losses(Module head, Tensor rows) {
        return idx -> {
            Tensor chunk = Tensor.zeros(idx.length * K, F);
            int[] y = new int[idx.length];
            for (int i = 0; i < idx.length; i++) {
                System.arraycopy(rows.data(), idx[i] * K * F, chunk.data(), i * K * F, K * F);
                y[i] = LABELS[idx[i]];
            }
            return ClassifierTrainer.multiplicityLosses(head, chunk, y, K, 0.1f);
        };
    }

    /** Row r's gradient by its own backward pass (one row, one label), over all parameters in name order. */
    static double[] rowGradient(Module head, Tensor rows, int r) {
        head.zeroGrad();
        Tensor x = Tensor.zeros(1, F);
        System.arraycopy(rows.data(), r * F, x.data(), 0, F);
        Ops.sum(NnOps.crossEntropy(head.forward(Variable.constant(x)), new int[] {LABELS[r / K]}, 0.1f), false).backward();
        List<Double> g = new ArrayList<>();
        for (Parameter p : head.namedParameters().values()) for (float v : p.grad().toArray()) g.add((double) v);
        head.zeroGrad();
        return g.stream().mapToDouble(Double::doubleValue).toArray();
    }

    static float[] flat(Module m) {
        List<Float> v = new ArrayList<>();
        for (Parameter p : m.namedParameters().values()) for (float f : p.value().toArray()) v.add(f);
        float[] out = new float[v.size()];
        for (int i = 0; i < out.length; i++) out[i] = v.get(i);
        return out;
    }

    @Test
    void eachExampleIsClippedAsTheMeanOfItsAugmentedGradients() throws IOException {
        for (SwinTransformer.Head kind : SwinTransformer.Head.values()) {
            Module head = SwinTransformer.newHead(kind, F, 2, new Rng(3));
            Tensor x = rows(7);
            int[] batch = {0, 2, 3, 4};
            double c = 0.05, q = 0.5;
            float[] before = flat(head);
            double[] expected = new double[before.length];
            boolean someClipped = false;
            for (int i : batch) {
                double[] g = new double[before.length];
                for (int j = 0; j < K; j++) {
                    double[] r = rowGradient(head, x, i * K + j);
                    for (int e = 0; e < g.length; e++) g[e] += r[e] / K;
                }
                double norm = 0;
                for (double v : g) norm += v * v;
                norm = Math.sqrt(norm);
                double factor = Math.min(1, c / (norm + 1e-6));
                someClipped |= factor < 1;
                for (int e = 0; e < g.length; e++) expected[e] += factor * g[e];
            }
            assertTrue(someClipped, "the clip norm must bind for the test to mean anything");
            new DpSgd(head, new SGD(head.parameters(), 1.0), new DpSgd.Config(0, c, q, N, 3, DpSgd.Clipping.FLAT),
                    new GaussianNoise(RandomSource.deterministic(1, "noise"))).step(0, batch, losses(head, x));
            float[] after = flat(head);
            for (int e = 0; e < before.length; e++) {
                assertEquals(expected[e] / (q * N), before[e] - after[e], 1e-6, kind + " head, parameter element " + e);
            }
        }
    }

    @Test
    void multiplicityNeedsAFrozenBackboneAndAtMostFourVariants(@TempDir Path dir) {
        IllegalArgumentException full = assertThrows(IllegalArgumentException.class,
                () -> new ClassifierTrainer.Settings(List.of("phantom:32:8:1"), "phantom:32:8:2", dir, "tiny", 1, 1, 4, 1e-3, 0, 0, SwinTransformer.Head.LINEAR,
                        false, null, 4, 2, 1, false, false, null));
        assertTrue(full.getMessage().contains("frozen backbone"), full.getMessage());
        IllegalArgumentException five = assertThrows(IllegalArgumentException.class,
                () -> new ClassifierTrainer.Settings(List.of("phantom:32:8:1"), "phantom:32:8:2", dir, "tiny", 1, 1, 4, 1e-3, 0, 0, SwinTransformer.Head.LINEAR,
                        true, null, 4, 5, 1, false, false, null));
        assertTrue(five.getMessage().contains("1..4"), five.getMessage());
    }
}
