package org.dpmammo.privacy.dpsgd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
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
import org.dpmammo.nn.BatchNorm2d;
import org.dpmammo.nn.Conv2d;
import org.dpmammo.nn.Flatten;
import org.dpmammo.nn.GroupNorm;
import org.dpmammo.nn.Linear;
import org.dpmammo.nn.Module;
import org.dpmammo.nn.Parameter;
import org.dpmammo.nn.ReLU;
import org.dpmammo.nn.Sequential;
import org.dpmammo.optim.SGD;
import org.dpmammo.privacy.ledger.PrivacyLedger;
import org.dpmammo.privacy.noise.GaussianNoise;
import org.dpmammo.privacy.noise.RandomSource;
import org.dpmammo.tensor.Tensor;
import org.dpmammo.util.Rng;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DpSgdTest {
    static final int N = 6;

    /** A conv → GroupNorm → ReLU → Linear classifier over 1×4×4 images: every kind of per-example rule at once. */
    static Sequential model(long seed) {
        Rng rng = new Rng(seed);
        return new Sequential(new Conv2d(1, 2, 3, 1, 1, true, rng), new GroupNorm(1, 2), new ReLU(), new Flatten(), new Linear(32, 3, rng));
    }

    static Tensor images(long seed) {
        Rng rng = new Rng(seed);
        Tensor x = Tensor.zeros(N, 1, 4, 4);
        for (int i = 0; i < x.numel(); i++) x.data()[i] = (float) rng.uniform(-2, 2);
        return x;
    }

    static final int[] LABELS = {0, 1, 2, 0, 1, 2};

    static Function<int[], Variable> losses(Module m, Tensor x) {
        return idx -> {
            Tensor xb = Tensor.zeros(idx.length, 1, 4, 4);
            int[] y = new int[idx.length];
            for (int i = 0; i < idx.length; i++) {
                System.arraycopy(x.data(), idx[i] * 16, xb.data(), i * 16, 16);
                y[i] = LABELS[idx[i]];
            }
            return NnOps.crossEntropy(m.forward(Variable.constant(xb)), y, 0f);
        };
    }

    /** Example i's gradient by its own backward pass, flattened over all parameters in name order. */
    static float[] singleExampleGradient(Module m, Tensor x, int i) {
        m.zeroGrad();
        Ops.sum(losses(m, x).apply(new int[] {i}), false).backward();
        List<Float> g = new ArrayList<>();
        for (Parameter p : m.namedParameters().values()) for (float v : p.grad().toArray()) g.add(v);
        m.zeroGrad();
        float[] out = new float[g.size()];
        for (int k = 0; k < out.length; k++) out[k] = g.get(k);
        return out;
    }

    static float[] flatParams(Module m) {
        List<Float> v = new ArrayList<>();
        for (Parameter p : m.namedParameters().values()) for (float f : p.value().toArray()) v.add(f);
        float[] out = new float[v.size()];
        for (int k = 0; k < out.length; k++) out[k] = v.get(k);
        return out;
    }

    static DpSgd engine(Module m, double sigma, double c, double q, int physical, long noiseSeed) {
        return new DpSgd(m, new SGD(m.parameters(), 1.0), new DpSgd.Config(sigma, c, q, N, physical, DpSgd.Clipping.FLAT),
                new GaussianNoise(RandomSource.deterministic(noiseSeed, "noise")));
    }

    @Test
    void withoutNoiseTheStepIsTheHandComputedClippedAverage() throws IOException {
        Tensor x = images(1);
        Sequential m = model(2);
        double c = 0.5, q = 0.5;
        int[] batch = {0, 2, 3, 5};
        float[] before = flatParams(m);
        double[] expected = new double[before.length];
        for (int i : batch) {
            float[] g = singleExampleGradient(m, x, i);
            double norm = 0;
            for (float v : g) norm += (double) v * v;
            norm = Math.sqrt(norm);
            double factor = Math.min(1, c / (norm + 1e-6));
            double clippedNorm = norm * factor;
            assertTrue(clippedNorm <= c + 1e-9, "clipped norm " + clippedNorm);
            for (int k = 0; k < g.length; k++) expected[k] += factor * g[k];
        }
        engine(m, 0, c, q, 3, 1).step(0, batch, losses(m, x)); // physical chunks of 3: [0,2,3] and [5]
        float[] after = flatParams(m);
        for (int k = 0; k < before.length; k++) {
            double update = before[k] - after[k]; // SGD with lr 1: update = clipped sum / (q·N)
            assertEquals(expected[k] / (q * N), update, 1e-5, "parameter element " + k);
        }
    }

    @Test
    void infiniteBudgetEqualsNonPrivateTraining() throws IOException {
        Tensor x = images(3);
        Sequential dp = model(4), plain = model(4);
        int[] all = {0, 1, 2, 3, 4, 5};
        engine(dp, 0, 1e9, 1.0, 64, 1).step(0, all, losses(dp, x));
        SGD sgd = new SGD(plain.parameters(), 1.0);
        Ops.mean(losses(plain, x).apply(all), false).backward();
        sgd.step();
        float[] a = flatParams(dp), b = flatParams(plain);
        for (int k = 0; k < a.length; k++) assertEquals(b[k], a[k], 1e-5, "element " + k);
    }

    @Test
    void physicalChunkingDoesNotChangeTheStep() throws IOException {
        Tensor x = images(5);
        Sequential one = model(6), many = model(6);
        int[] batch = {1, 2, 4, 5};
        engine(one, 1.3, 0.7, 0.5, 64, 9).step(7, batch, losses(one, x));
        engine(many, 1.3, 0.7, 0.5, 1, 9).step(7, batch, losses(many, x));
        float[] a = flatParams(one), b = flatParams(many);
        for (int k = 0; k < a.length; k++) assertEquals(a[k], b[k], 1e-5, "element " + k);
    }

    @Test
    void emptyBatchesStillAddNoiseAndSpend(@TempDir Path dir) throws IOException {
        Tensor x = images(7);
        Sequential m = model(8);
        PrivacyLedger ledger = PrivacyLedger.open(dir.resolve("ledger.json"));
        ledger.beginPhase(new PrivacyLedger.Phase("p", "test", "data", N, 0.5, 1.0, 1.0, 1e-5, "rdp", false));
        float[] before = flatParams(m);
        DpSgd.StepStats s = engine(m, 1.0, 1.0, 0.5, 4, 2).withLedger(ledger, "p").step(0, new int[0], losses(m, x));
        assertEquals(0, s.batchSize());
        float[] after = flatParams(m);
        int changed = 0;
        for (int k = 0; k < before.length; k++) changed += before[k] != after[k] ? 1 : 0;
        assertEquals(before.length, changed, "every coordinate gets noise");
        assertEquals(1, PrivacyLedger.open(dir.resolve("ledger.json")).stepsRecorded("p"));
    }

    @Test
    void theBudgetStopsTraining() throws IOException {
        Tensor x = images(7);
        Sequential m = model(8);
        DpSgd e = engine(m, 1.0, 1.0, 0.5, 4, 2).withMaxSteps(2);
        e.step(0, new int[] {1}, losses(m, x));
        e.step(1, new int[] {1}, losses(m, x));
        DpSgd.BudgetExhaustedException ex = assertThrows(DpSgd.BudgetExhaustedException.class, () -> e.step(2, new int[] {1}, losses(m, x)));
        assertTrue(ex.getMessage().contains("privacy budget"), ex.getMessage());
    }

    @Test
    void noiseIsSeededPerStepAndDiffersBetweenSteps() throws IOException {
        Tensor x = images(9);
        Sequential a = model(1), b = model(1);
        engine(a, 2, 1, 0.5, 4, 3).step(5, new int[] {0}, losses(a, x));
        engine(b, 2, 1, 0.5, 4, 3).step(5, new int[] {0}, losses(b, x));
        float[] pa = flatParams(a), pb = flatParams(b);
        for (int k = 0; k < pa.length; k++) assertEquals(pa[k], pb[k], 0f);
        Sequential c = model(1);
        engine(c, 2, 1, 0.5, 4, 3).step(6, new int[] {0}, losses(c, x));
        assertNotEquals(pa[0], flatParams(c)[0]);
    }

    @Test
    void modelsWithoutPerExampleGradientsAreRefused() {
        Rng rng = new Rng(1);
        Sequential bn = new Sequential(new Conv2d(1, 2, 3, 1, 1, true, rng), new BatchNorm2d(2));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> engine(bn, 1, 1, 0.5, 4, 1));
        assertTrue(e.getMessage().contains("GroupNorm"), e.getMessage());
        Module bare = new Module() {
            final Parameter p = registerParameter("scale", new Parameter(Tensor.full(1f, 1)));
        };
        IllegalArgumentException u = assertThrows(IllegalArgumentException.class, () -> engine(bare, 1, 1, 0.5, 4, 1));
        assertTrue(u.getMessage().contains("'scale'"), u.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new DpSgd.Config(-1, 1, 0.5, 4, 4, DpSgd.Clipping.FLAT));
        assertThrows(IllegalArgumentException.class, () -> new DpSgd.Config(1, 1, 1.5, 4, 4, DpSgd.Clipping.FLAT));
    }

    @Test
    void aLayerAppliedTwiceIsRefused() {
        Tensor x = images(1);
        Rng rng = new Rng(1);
        Linear l = new Linear(16, 3, rng);
        Sequential m = new Sequential(new Flatten(), l);
        DpSgd e = engine(m, 1, 1, 0.5, 4, 1);
        Function<int[], Variable> twice = idx -> {
            Variable f = Ops.reshape(Variable.constant(x.slice(0, 0, idx.length).contiguous()), idx.length, 16);
            return Ops.sum(Ops.add(l.forward(f), l.forward(f)), false, 1);
        };
        IllegalStateException ex = assertThrows(IllegalStateException.class, () -> e.step(0, new int[] {0, 1}, twice));
        assertTrue(ex.getMessage().contains("applied twice"), ex.getMessage());
    }
}
