package org.dpmammo.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.dpmammo.autograd.NnOps;
import org.dpmammo.autograd.Variable;
import org.dpmammo.backend.Backends;
import org.dpmammo.data.Datasets;
import org.dpmammo.data.Dataset;
import org.dpmammo.nn.Linear;
import org.dpmammo.nn.Module;
import org.dpmammo.nn.ReLU;
import org.dpmammo.nn.Sequential;
import org.dpmammo.optim.SGD;
import org.dpmammo.privacy.accounting.RdpAccountant;
import org.dpmammo.privacy.dpsgd.DpSgd;
import org.dpmammo.privacy.dpsgd.PrivacyPlanner;
import org.dpmammo.privacy.dpsgd.PrivateTraining;
import org.dpmammo.privacy.ledger.PrivacyLedger;
import org.dpmammo.privacy.noise.Randomness;
import org.dpmammo.tensor.Tensor;
import org.dpmammo.testing.PinnedRun;
import org.dpmammo.train.TrainingRecords;
import org.dpmammo.util.Rng;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link PrivateTrainer} is the DP driver, planned as the trainers plan it, and nothing more. */
class PrivateTrainerTest {
    private static final int N = 40, FEATURES = 6;

    private static Sequential model() {
        Rng rng = new Rng(11);
        return new Sequential(new Linear(FEATURES, 8, rng), new ReLU(), new Linear(8, 2, rng));
    }

    private static Tensor inputs() {
        Rng rng = new Rng(3);
        float[] x = new float[N * FEATURES];
        for (int i = 0; i < x.length; i++) x[i] = (float) rng.nextGaussian();
        return Tensor.of(x, N, FEATURES);
    }

    private static int[] labels() {
        int[] y = new int[N];
        for (int i = 0; i < N; i++) y[i] = i % 3 == 0 ? 1 : 0;
        return y;
    }

    private static float[] weights(Module m) {
        return m.parameters().stream().map(p -> p.value().toArray()).reduce(new float[0], (a, b) -> {
            float[] c = java.util.Arrays.copyOf(a, a.length + b.length);
            System.arraycopy(b, 0, c, a.length, b.length);
            return c;
        });
    }

    private static PrivateTrainer.Builder builder(Module m, Path run) {
        return PrivateTrainer.builder(m, new SGD(m.parameters(), 0.5), inputs(), labels()).targetEpsilon(4).delta(1e-3).maxGradNorm(0.8)
                .epochs(3).batchSize(10).runFolder(run);
    }

    @Test
    void aFitIsTheHandBuiltDriverRunWithTheSameRunId(@TempDir Path tmp) throws Exception {
        Path a = tmp.resolve("api"), b = tmp.resolve("hand");
        PinnedRun.pin(a, 77);
        PinnedRun.pin(b, 77);
        Sequential viaApi = model(), byHand = model();
        float[] before = weights(viaApi);
        PrivateTrainer.Spent spent;
        double sigma;
        try (PrivateTrainer t = builder(viaApi, a).reproducible(5).build()) {
            spent = t.fit(PrivateTrainer.Loss.crossEntropy());
            sigma = t.noiseMultiplier();
            assertEquals(a.resolve("ledger.json"), t.ledgerFile());
        }

        PrivacyPlanner.Plan plan = PrivacyPlanner.plan(N, 10, 3, 4, 1e-3, new RdpAccountant());
        Tensor x = inputs();
        int[] y = labels();
        double handEpsilon;
        try (PrivateTraining dp = PrivateTraining.open(new PrivateTraining.Spec(null, PrivateTrainer.PHASE_NAME, 1e-3, 0.8, "rdp", Randomness.reproducible(5),
                        10, DpSgd.Clipping.FLAT, Double.POSITIVE_INFINITY), new PrivateTraining.Schedule(plan.sampleRate(), plan.steps(), plan.noiseMultiplier()),
                TrainingRecords.of(x, y), byHand, new SGD(byHand.parameters(), 0.5), b.resolve("ledger.json"), b, null, Double.POSITIVE_INFINITY, System.err)) {
            for (long step = 0; step < plan.steps(); step++) {
                dp.step(step, idx -> {
                    int[] yb = new int[idx.length];
                    for (int i = 0; i < idx.length; i++) yb[i] = y[idx[i]];
                    return NnOps.crossEntropy(byHand.forward(Variable.constant(Backends.current().indexSelect(x, 0, idx))), yb, 0f);
                });
            }
            handEpsilon = dp.spent().epsilon();
        }
        assertFalse(java.util.Arrays.equals(before, weights(viaApi)), "training changed the model");
        assertArrayEquals(weights(byHand), weights(viaApi), "same batches, same noise, same updates");
        assertEquals(plan.noiseMultiplier(), sigma);
        assertEquals(handEpsilon, spent.epsilon());
        assertEquals(plan.steps(), spent.steps());
        assertEquals(Accounting.epsilon(plan.sampleRate(), plan.noiseMultiplier(), plan.steps(), 1e-3, "rdp"), spent.epsilon(), "one phase: the plain accountant");
        assertTrue(spent.epsilon() <= 4 && spent.epsilon() > 3, "σ calibrated to the target: " + spent.epsilon());
        assertFalse(spent.guarantee(), "reproducible randomness is marked");
        assertEquals(Files.readAllLines(b.resolve("ledger.json")).size(), Files.readAllLines(a.resolve("ledger.json")).size());
    }

    @Test
    void randomnessIsSecureByDefault(@TempDir Path tmp) throws Exception {
        Sequential m1 = model(), m2 = model();
        PrivateTrainer.Spent s1, s2;
        try (PrivateTrainer t = builder(m1, tmp.resolve("one")).build()) {
            PrivateTrainer.Epoch first = t.epoch(PrivateTrainer.Loss.crossEntropy());
            assertEquals(0, first.index());
            assertEquals(4, first.steps(), "⌈40/10⌉ steps per epoch");
            s1 = t.fit(PrivateTrainer.Loss.crossEntropy());
            assertFalse(t.hasNextEpoch());
            assertThrows(IllegalStateException.class, () -> t.epoch(PrivateTrainer.Loss.crossEntropy()));
        }
        try (PrivateTrainer t = builder(m2, tmp.resolve("two")).build()) {
            s2 = t.fit(PrivateTrainer.Loss.crossEntropy());
        }
        assertTrue(s1.guarantee());
        assertEquals(s1.epsilon(), s2.epsilon(), "the same schedule costs the same");
        assertFalse(java.util.Arrays.equals(weights(m1), weights(m2)), "two secure runs draw different noise");
        PrivacyLedger.Phase phase = PrivacyLedger.open(tmp.resolve("one").resolve("ledger.json")).spends().get(0).phase();
        assertTrue(phase.secureRandomness());
        assertEquals(PrivateTrainer.PHASE_NAME, phase.name());
    }

    @Test
    void aDatasetIsKnownToTheLedgerByItsFilesHashes(@TempDir Path tmp) throws Exception {
        Dataset data = Datasets.open("phantom:16:24:1");
        Rng rng = new Rng(1);
        Sequential m = new Sequential(new org.dpmammo.nn.Flatten(), new Linear(16 * 16, 2, rng));
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        try (PrivateTrainer t = PrivateTrainer.builder(m, new SGD(m.parameters(), 0.1), data, 16).targetEpsilon(8).delta(0.05).epochs(1).batchSize(8)
                .accountant("prv").runFolder(tmp).log(new PrintStream(log, true)).build()) {
            PrivateTrainer.Spent s = t.fit((out, labels) -> NnOps.crossEntropy(out, labels, 0.1f));
            assertEquals("prv", s.accountant());
            assertEquals(3, s.steps());
        }
        PrivacyLedger.Phase phase = PrivacyLedger.open(tmp.resolve("ledger.json")).spends().get(0).phase();
        assertEquals(TrainingRecords.of(data).ids(), phase.records());
        assertEquals(data.fingerprint(), phase.datasetFingerprint());
        assertTrue(log.toString().contains("1/N"), "δ ≥ 1/N is warned: " + log);
    }

    @Test
    void missingOrBadSettingsAreRefusedBeforeAnythingIsWritten(@TempDir Path tmp) throws Exception {
        Sequential m = model();
        Path run = tmp.resolve("run");
        for (String missing : List.of("targetEpsilon", "delta", "epochs", "batchSize", "runFolder")) {
            PrivateTrainer.Builder b = PrivateTrainer.builder(m, new SGD(m.parameters(), 0.1), inputs(), labels());
            if (!missing.equals("targetEpsilon")) b.targetEpsilon(4);
            if (!missing.equals("delta")) b.delta(1e-3);
            if (!missing.equals("epochs")) b.epochs(1);
            if (!missing.equals("batchSize")) b.batchSize(10);
            if (!missing.equals("runFolder")) b.runFolder(run);
            assertTrue(assertThrows(IllegalStateException.class, b::build).getMessage().contains(missing), missing);
        }
        assertThrows(IllegalArgumentException.class, () -> builder(m, run).accountant("moments").build());
        assertThrows(IllegalArgumentException.class, () -> builder(m, run).targetEpsilon(-1).build());
        assertThrows(IllegalArgumentException.class, () -> PrivateTrainer.builder(m, new SGD(m.parameters(), 0.1), inputs(), new int[3]));
        assertFalse(Files.exists(run), "nothing was written");
    }
}
