package org.dpmammo.privacy.dpsgd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.dpmammo.autograd.Grad;
import org.dpmammo.autograd.NnOps;
import org.dpmammo.autograd.Variable;
import org.dpmammo.data.FloatImage;
import org.dpmammo.data.Phantom;
import org.dpmammo.data.PhantomDataset;
import org.dpmammo.data.Pipeline;
import org.dpmammo.data.Transforms;
import org.dpmammo.nn.Conv2d;
import org.dpmammo.nn.Flatten;
import org.dpmammo.nn.GroupNorm;
import org.dpmammo.nn.LeakyReLU;
import org.dpmammo.nn.Linear;
import org.dpmammo.nn.Sequential;
import org.dpmammo.optim.Adam;
import org.dpmammo.privacy.accounting.RdpAccountant;
import org.dpmammo.privacy.ledger.PrivacyLedger;
import org.dpmammo.privacy.noise.GaussianNoise;
import org.dpmammo.privacy.noise.RandomSource;
import org.dpmammo.tensor.Tensor;
import org.dpmammo.util.Rng;
import org.dpmammo.testing.Ledgers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * End-to-end sanity of DP-SGD on the built-in phantom patches: a small CNN trained under ε = 1 still learns, and
 * the ledger's ε equals the accountant's for the schedule that ran and stays within the target.
 */
class DpTrainingOnPhantomTest {
    static final int SIZE = 32, TRAIN = 800, TEST = 300;

    record Data(Tensor x, int[] y) {}

    static Data load(long seed, int count) throws IOException {
        PhantomDataset ds = new PhantomDataset(Phantom.Config.of(64), count, seed);
        Pipeline p = new Pipeline(List.of(Transforms.resizeStep(SIZE, SIZE), Transforms.signedStep()));
        Tensor x = Tensor.zeros(count, 1, SIZE, SIZE);
        int[] y = new int[count];
        for (int i = 0; i < count; i++) {
            FloatImage f = p.apply(ds.image(i), new Rng(i));
            System.arraycopy(f.data(), 0, x.data(), i * SIZE * SIZE, SIZE * SIZE);
            y[i] = ds.label(i);
        }
        return new Data(x, y);
    }

    static Sequential cnn(long seed) {
        Rng rng = new Rng(seed);
        return new Sequential(
                new Conv2d(1, 8, 4, 2, 1, true, rng), new GroupNorm(2, 8), new LeakyReLU(0.2f),
                new Conv2d(8, 16, 4, 2, 1, true, rng), new GroupNorm(4, 16), new LeakyReLU(0.2f),
                new Conv2d(16, 16, 4, 2, 1, true, rng), new GroupNorm(4, 16), new LeakyReLU(0.2f),
                new Flatten(), new Linear(16 * 4 * 4, 2, rng));
    }

    static Tensor rows(Tensor x, int[] idx) {
        int per = x.numel() / x.size(0);
        Tensor out = Tensor.zeros(idx.length, 1, SIZE, SIZE);
        for (int i = 0; i < idx.length; i++) System.arraycopy(x.data(), idx[i] * per, out.data(), i * per, per);
        return out;
    }

    /** AUROC by the Mann–Whitney statistic, ties counted half: an independent check of the trained scorer. */
    static double auroc(float[] score, int[] y) {
        double pairs = 0, wins = 0;
        for (int i = 0; i < y.length; i++) {
            if (y[i] != 1) continue;
            for (int j = 0; j < y.length; j++) {
                if (y[j] != 0) continue;
                pairs++;
                wins += score[i] > score[j] ? 1 : score[i] == score[j] ? 0.5 : 0;
            }
        }
        return wins / pairs;
    }

    static double evaluate(Sequential m, Data test) {
        m.eval();
        float[] score = new float[test.y().length];
        try (var s = Grad.noGrad()) {
            int[] all = new int[test.y().length];
            for (int i = 0; i < all.length; i++) all[i] = i;
            float[] logits = m.forward(Variable.constant(test.x())).value().toArray();
            for (int i = 0; i < score.length; i++) score[i] = logits[2 * i + 1] - logits[2 * i];
        }
        m.train();
        return auroc(score, test.y());
    }

    /** Trains with DP-SGD at (σ, C) on the plan's Poisson schedule and returns the test AUROC. */
    static double train(Sequential m, Data train, Data test, double sigma, double clip, PrivacyPlanner.Plan plan, PrivacyLedger ledger) throws IOException {
        DpSgd dp = new DpSgd(m, new Adam(m.parameters(), 3e-3, 0.9, 0.999, 1e-8, 0),
                new DpSgd.Config(sigma, clip, plan.sampleRate(), TRAIN, 32, DpSgd.Clipping.FLAT),
                new GaussianNoise(RandomSource.deterministic(5, "noise"))).withMaxSteps(plan.steps());
        if (ledger != null) dp.withLedger(ledger, "clf");
        PoissonSampler sampler = new PoissonSampler(TRAIN, plan.sampleRate(), RandomSource.deterministic(5, "sampler"));
        for (long step = 0; step < plan.steps(); step++) {
            dp.step(step, sampler.batch(step), idx -> {
                int[] y = new int[idx.length];
                for (int i = 0; i < idx.length; i++) y[i] = train.y()[idx[i]];
                return NnOps.crossEntropy(m.forward(Variable.constant(rows(train.x(), idx))), y, 0f);
            });
        }
        return evaluate(m, test);
    }

    @Test
    void dpTrainingAtEpsilonOneStillLearnsAndTheLedgerAgrees(@TempDir Path dir) throws IOException {
        Data train = load(11, TRAIN), test = load(12, TEST);
        int batch = 32, epochs = 8;
        double target = 1.0, delta = 1e-5;
        PrivacyPlanner.Plan plan = PrivacyPlanner.plan(TRAIN, batch, epochs, target, delta, new RdpAccountant());
        Sequential m = cnn(3);
        double nonPrivate = train(cnn(3), train, test, 0, 1e9, plan, null);
        PrivacyLedger ledger = PrivacyLedger.open(dir.resolve("ledger.json"));
        String fingerprint = "phantom-64-" + TRAIN + "-seed11";
        ledger.beginPhase(new PrivacyLedger.Phase("clf", "phantom-cnn", fingerprint, TRAIN, plan.sampleRate(), plan.noiseMultiplier(), 1.0, delta, "rdp", false));
        double before = evaluate(m, test);
        double after = train(m, train, test, plan.noiseMultiplier(), 1.0, plan, ledger);
        System.out.printf("phantom DP-SGD: sigma %.3f, %d steps, test AUROC %.3f untrained, %.3f at epsilon <= %.2f, %.3f non-private%n",
                plan.noiseMultiplier(), plan.steps(), before, after, target, nonPrivate);
        // Seeded, so deterministic; 300 test patches put the AUROC's standard error near 0.03.
        assertTrue(after > 0.58 && after > before + 0.05, "ε = 1 still learns something: AUROC " + before + " → " + after);
        assertTrue(nonPrivate > 0.62 && nonPrivate > after, "without noise or clipping the same schedule learns better: " + nonPrivate);
        assertEquals(plan.steps(), ledger.stepsRecorded("clf"));
        double spent = Ledgers.epsilonOfGroupWith(PrivacyLedger.open(dir.resolve("ledger.json")), "clf", delta, new RdpAccountant());
        assertEquals(plan.epsilon().epsilon(), spent, 1e-12);
        assertTrue(spent <= target);
    }
}
