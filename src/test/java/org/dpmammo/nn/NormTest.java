package org.dpmammo.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.dpmammo.autograd.Variable;
import org.dpmammo.tensor.Tensor;
import org.dpmammo.testing.GradCheck;
import org.dpmammo.testing.PerExampleCheck;
import org.dpmammo.testing.TestTensors;
import org.dpmammo.util.Rng;
import org.junit.jupiter.api.Test;

class NormTest {
    /**
     * Normalises x viewed as [outer, groupLen] row by row (biased variance, eps inside the root), then applies
     * γ[channel(e)]·x̂ + β[channel(e)] where channel maps a flat element index to its parameter index (or −1).
     */
    static double[] reference(float[] x, int groupLen, double eps, float[] gamma, float[] beta, java.util.function.IntUnaryOperator channel) {
        double[] y = new double[x.length];
        for (int g = 0; g < x.length / groupLen; g++) {
            double mean = 0, var = 0;
            for (int i = 0; i < groupLen; i++) mean += x[g * groupLen + i];
            mean /= groupLen;
            for (int i = 0; i < groupLen; i++) var += Math.pow(x[g * groupLen + i] - mean, 2);
            var /= groupLen;
            for (int i = 0; i < groupLen; i++) {
                int e = g * groupLen + i;
                double v = (x[e] - mean) / Math.sqrt(var + eps);
                y[e] = gamma == null ? v : gamma[channel.applyAsInt(e)] * v + beta[channel.applyAsInt(e)];
            }
        }
        return y;
    }

    private static void randomAffine(AffineNorm m, Rng rng) {
        m.weight.setValue(TestTensors.uniform(rng, 0.5, 1.5, m.weight.shape()));
        m.bias.setValue(TestTensors.randn(rng, m.bias.shape()));
    }

    private static List<Variable> withParams(Variable x, Module m) {
        List<Variable> vs = new ArrayList<>(List.of(x));
        vs.addAll(m.parameters());
        return vs;
    }

    @Test
    void layerNorm() {
        Rng rng = new Rng(40);
        LayerNorm ln = new LayerNorm(4);
        TestTensors.assertClose(new double[] {1, 1, 1, 1}, ln.weight.value(), 0, 0, "default weight");
        randomAffine(ln, rng);
        Tensor x = TestTensors.randn(rng, 2, 3, 4);
        double[] ref = reference(x.toArray(), 4, 1e-5, ln.weight.value().toArray(), ln.bias.value().toArray(), e -> e % 4);
        TestTensors.assertClose(ref, ln.forward(Variable.constant(x)).value(), 1e-4, 1e-5, "layerNorm");
        Variable xv = TestTensors.input(rng, 2, 3, 4);
        GradCheck.Result r = GradCheck.run(() -> ln.forward(xv), withParams(xv, ln), 5e-3);
        assertTrue(r.passed(), r.toString());

        LayerNorm ln2 = new LayerNorm(new int[] {3, 4}, 1e-5f, true);
        randomAffine(ln2, rng);
        double[] ref2 = reference(x.toArray(), 12, 1e-5, ln2.weight.value().toArray(), ln2.bias.value().toArray(), e -> e % 12);
        TestTensors.assertClose(ref2, ln2.forward(Variable.constant(x)).value(), 1e-4, 1e-5, "layerNorm over two axes");
    }

    @Test
    void groupNorm() {
        Rng rng = new Rng(41);
        GroupNorm gn = new GroupNorm(2, 4);
        randomAffine(gn, rng);
        Tensor x = TestTensors.randn(rng, 2, 4, 3, 3);
        // Groups of 2 channels × 9 positions = 18 consecutive elements; channel = (e / 9) % 4.
        double[] ref = reference(x.toArray(), 18, 1e-5, gn.weight.value().toArray(), gn.bias.value().toArray(), e -> (e / 9) % 4);
        TestTensors.assertClose(ref, gn.forward(Variable.constant(x)).value(), 1e-4, 1e-5, "groupNorm");
        Variable xv = TestTensors.input(rng, 2, 4, 2, 2);
        GradCheck.Result r = GradCheck.run(() -> gn.forward(xv), withParams(xv, gn), 5e-3);
        assertTrue(r.passed(), r.toString());
        assertThrows(IllegalArgumentException.class, () -> new GroupNorm(3, 4));
        TestTensors.assertShape(gn.forward(Variable.constant(Tensor.zeros(0, 4, 2, 2))).value(), 0, 4, 2, 2);
    }

    @Test
    void instanceNorm() {
        Rng rng = new Rng(42);
        InstanceNorm2d plain = new InstanceNorm2d(3);
        assertEquals(0, plain.numParameters(), "affine is off by default");
        assertTrue(plain.stateDict().isEmpty(), "no running statistics by default");
        Tensor x = TestTensors.randn(rng, 2, 3, 4, 4);
        TestTensors.assertClose(reference(x.toArray(), 16, 1e-5, null, null, e -> -1), plain.forward(Variable.constant(x)).value(), 1e-4, 1e-5, "instanceNorm");
        plain.eval();
        TestTensors.assertClose(reference(x.toArray(), 16, 1e-5, null, null, e -> -1), plain.forward(Variable.constant(x)).value(), 1e-4, 1e-5, "instanceNorm in eval mode");

        InstanceNorm2d affine = new InstanceNorm2d(3, 1e-5f, true);
        randomAffine(affine, rng);
        double[] ref = reference(x.toArray(), 16, 1e-5, affine.weight.value().toArray(), affine.bias.value().toArray(), e -> (e / 16) % 3);
        TestTensors.assertClose(ref, affine.forward(Variable.constant(x)).value(), 1e-4, 1e-5, "affine instanceNorm");
        Variable xv = TestTensors.input(rng, 2, 3, 3, 3);
        GradCheck.Result r = GradCheck.run(() -> affine.forward(xv), withParams(xv, affine), 5e-3);
        assertTrue(r.passed(), r.toString());
        GradCheck.Result r2 = GradCheck.run(() -> plain.forward(xv), List.of(xv), 5e-3);
        assertTrue(r2.passed(), r2.toString());
    }

    @Test
    void affineClippedSumFromSinkEqualsPerExampleLoop() {
        Rng rng = new Rng(43);
        LayerNorm ln = new LayerNorm(4);
        randomAffine(ln, rng);
        PerExampleCheck.checkClippedSum(ln, t -> ln.forward(Variable.constant(t)), TestTensors.randn(rng, 3, 2, 4), 6);
        GroupNorm gn = new GroupNorm(2, 4);
        randomAffine(gn, rng);
        PerExampleCheck.checkClippedSum(gn, t -> gn.forward(Variable.constant(t)), TestTensors.randn(rng, 3, 4, 2, 2), 7);
        InstanceNorm2d in = new InstanceNorm2d(2, 1e-5f, true);
        randomAffine(in, rng);
        PerExampleCheck.checkClippedSum(in, t -> in.forward(Variable.constant(t)), TestTensors.randn(rng, 3, 2, 3, 3), 8);
    }

    @Test
    void batchNormTrainingUsesBatchStatisticsAndUpdatesRunningOnes() {
        Rng rng = new Rng(44);
        BatchNorm2d bn = new BatchNorm2d(2);
        bn.weight.setValue(Tensor.of(new float[] {2f, 0.5f}, 2));
        bn.bias.setValue(Tensor.of(new float[] {1f, -1f}, 2));
        double[] rm = {0, 0}, rv = {1, 1};
        for (int step = 0; step < 2; step++) {
            Tensor x = TestTensors.uniform(rng, -1, 3, 3, 2, 2, 2);
            Tensor y = bn.forward(Variable.constant(x)).value();
            // Per channel over N·H·W = 12 values: biased variance normalises, unbiased (÷11) enters running_var.
            double[] ref = new double[x.numel()];
            for (int c = 0; c < 2; c++) {
                double sum = 0, ss = 0;
                for (int n = 0; n < 3; n++) for (int p = 0; p < 4; p++) sum += x.get(n, c, p / 2, p % 2);
                double mean = sum / 12;
                for (int n = 0; n < 3; n++) for (int p = 0; p < 4; p++) ss += Math.pow(x.get(n, c, p / 2, p % 2) - mean, 2);
                for (int n = 0; n < 3; n++) for (int p = 0; p < 4; p++) {
                    ref[(n * 2 + c) * 4 + p] = bn.weight.value().get(c) * (x.get(n, c, p / 2, p % 2) - mean) / Math.sqrt(ss / 12 + 1e-5) + bn.bias.value().get(c);
                }
                rm[c] = 0.9 * rm[c] + 0.1 * mean;
                rv[c] = 0.9 * rv[c] + 0.1 * ss / 11;
            }
            TestTensors.assertClose(ref, y, 1e-4, 1e-5, "batchNorm training output, step " + step);
            TestTensors.assertClose(rm, bn.runningMean(), 1e-5, 1e-6, "running_mean, step " + step);
            TestTensors.assertClose(rv, bn.runningVar(), 1e-5, 1e-6, "running_var, step " + step);
        }
        assertEquals(2, bn.numBatchesTracked());

        bn.eval();
        Tensor x = TestTensors.randn(rng, 2, 2, 2, 2);
        double[] ref = new double[x.numel()];
        for (int e = 0; e < ref.length; e++) {
            int c = (e / 4) % 2;
            ref[e] = bn.weight.value().get(c) * (x.toArray()[e] - rm[c]) / Math.sqrt(rv[c] + 1e-5) + bn.bias.value().get(c);
        }
        TestTensors.assertClose(ref, bn.forward(Variable.constant(x)).value(), 1e-4, 1e-5, "batchNorm eval output");
        assertEquals(2, bn.numBatchesTracked(), "eval does not count batches");
    }

    @Test
    void batchNormGradientsAndGuards() {
        Rng rng = new Rng(45);
        BatchNorm2d bn = new BatchNorm2d(2);
        bn.weight.setValue(TestTensors.uniform(rng, 0.5, 1.5, 2));
        Variable x = TestTensors.input(rng, 3, 2, 2, 2);
        GradCheck.Result r = GradCheck.run(() -> bn.forward(x), List.of(x, bn.weight, bn.bias), 5e-3);
        assertTrue(r.passed(), r.toString());
        assertThrows(IllegalArgumentException.class, () -> bn.forward(Variable.constant(Tensor.zeros(1, 2, 1, 1))));
        assertTrue(bn instanceof MixesExamples);
        assertEquals(List.of("weight", "bias", "running_mean", "running_var", "num_batches_tracked"), List.copyOf(bn.stateDict().keySet()));
        assertEquals(java.util.Set.of("num_batches_tracked"), bn.integerStateKeys());
    }
}
