package org.dpmammo.experiment;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.dpmammo.autograd.Grad;
import org.dpmammo.autograd.NnOps;
import org.dpmammo.autograd.Ops;
import org.dpmammo.autograd.Variable;
import org.dpmammo.data.Dataset;
import org.dpmammo.data.Datasets;
import org.dpmammo.data.FloatImage;
import org.dpmammo.data.Pipeline;
import org.dpmammo.data.Transforms;
import org.dpmammo.nn.Conv2d;
import org.dpmammo.nn.Flatten;
import org.dpmammo.nn.GroupNorm;
import org.dpmammo.nn.LeakyReLU;
import org.dpmammo.nn.Linear;
import org.dpmammo.nn.Parameter;
import org.dpmammo.nn.SafeTensors;
import org.dpmammo.nn.Sequential;
import org.dpmammo.optim.Adam;
import org.dpmammo.privacy.accounting.Accountant;
import org.dpmammo.privacy.accounting.Segment;
import org.dpmammo.privacy.dpsgd.DpSgd;
import org.dpmammo.privacy.dpsgd.PoissonSampler;
import org.dpmammo.privacy.dpsgd.PrivacyEngine;
import org.dpmammo.privacy.ledger.PrivacyLedger;
import org.dpmammo.privacy.noise.GaussianNoise;
import org.dpmammo.privacy.noise.RandomSource;
import org.dpmammo.tensor.Tensor;
import org.dpmammo.train.Metrics;
import org.dpmammo.train.ModelSelection;
import org.dpmammo.util.AtomicFiles;
import org.dpmammo.util.Rng;
import org.dpmammo.util.Scope;

/**
 * The demo's classifier (config {@code classifier.model = "cnn"}): a three-stage convolutional net with GroupNorm on
 * 32×32 gray patches, small enough to train every cell of a grid in seconds on two cores. The tiny Swin cannot stand
 * in for the study's frozen ImageNet backbone: with random frozen weights its features carry almost nothing, so
 * here the grid's frozen-backbone conditions train the whole net (with DP where ε is finite), and the pretrain_dp
 * cells freeze everything but the last linear layer of the synthetic-pretrained net, as the study did.
 *
 * <p>Same contract as the Swin trainer: DP-Adam through {@link DpSgd} with σ calibrated (by the job's accountant, RDP or PRV) for all planned
 * steps, a write-ahead ledger, selection by validation AUPRC inside the ε window, metrics.csv per epoch. A killed
 * run restarts from its first epoch: the sampler and the noise are functions of (seed, step), so the repeated steps
 * are the same steps, and the ledger, which only ever raises a step count, records nothing twice.
 */
public final class CnnTrainers implements Trainers {
    static final int SIZE = 32;
    private final ExperimentConfig config;

    public CnnTrainers(ExperimentConfig config) {
        this.config = config;
    }

    static Sequential model(long seed) {
        Rng rng = new Rng(seed);
        return new Sequential(
                new Conv2d(1, 16, 4, 2, 1, true, rng), new GroupNorm(4, 16), new LeakyReLU(0.2f),
                new Conv2d(16, 32, 4, 2, 1, true, rng), new GroupNorm(8, 32), new LeakyReLU(0.2f),
                new Conv2d(32, 32, 4, 2, 1, true, rng), new GroupNorm(8, 32), new LeakyReLU(0.2f),
                new Flatten(), new Linear(32 * 4 * 4, 2, rng));
    }

    /** Images [N, 1, 32, 32] in [-1, 1] and labels of the concatenated datasets. */
    record Data(Tensor x, int[] y) {}

    static Data load(List<String> specs) throws IOException {
        List<Dataset> parts = new ArrayList<>();
        int n = 0;
        for (String s : specs) {
            Dataset d = Datasets.open(s);
            parts.add(d);
            n += d.size();
        }
        Pipeline p = new Pipeline(List.of(Transforms.resizeStep(SIZE, SIZE), Transforms.signedStep()));
        Tensor x = Tensor.zeros(n, 1, SIZE, SIZE);
        int[] y = new int[n];
        int at = 0;
        for (Dataset d : parts) {
            for (int i = 0; i < d.size(); i++, at++) {
                FloatImage f = p.apply(d.image(i), new Rng(0));
                System.arraycopy(f.data(), 0, x.data(), at * SIZE * SIZE, SIZE * SIZE);
                y[at] = d.label(i);
            }
        }
        return new Data(x, y);
    }

    /** The examples idx, each flipped horizontally and vertically with probability ½ from (seed, epoch, index). */
    static Tensor batch(Tensor x, int[] idx, long seed, int epoch) {
        int per = SIZE * SIZE;
        Tensor out = Tensor.zeros(idx.length, 1, SIZE, SIZE);
        float[] src = x.data(), dst = out.data();
        for (int k = 0; k < idx.length; k++) {
            Rng r = new Rng(seed).fork(epoch).fork(idx[k]);
            boolean h = r.nextDouble() < 0.5, v = r.nextDouble() < 0.5;
            for (int i = 0; i < SIZE; i++) {
                for (int j = 0; j < SIZE; j++) {
                    dst[k * per + i * SIZE + j] = src[idx[k] * per + (v ? SIZE - 1 - i : i) * SIZE + (h ? SIZE - 1 - j : j)];
                }
            }
        }
        return out;
    }

    static double[] probabilities(Sequential m, Tensor x) {
        m.eval();
        try (Scope s = Grad.noGrad()) {
            float[] z = m.forward(Variable.constant(x)).value().toArray();
            double[] p = new double[x.size(0)];
            for (int i = 0; i < p.length; i++) p[i] = 1 / (1 + Math.exp((double) z[2 * i] - z[2 * i + 1]));
            return p;
        } finally {
            m.train();
        }
    }

    @Override
    public void gan(long seed, Dataset realTrain, Path runDir, Path samplesDir, PrintStream log) throws IOException {
        StudyTrainers.trainGan(config, seed, realTrain, runDir, samplesDir, log);
    }

    @Override
    public Path classifier(ClassifierJob job, PrintStream log) throws IOException {
        Path out = job.out(), best = out.resolve("checkpoints").resolve("best.safetensors"), done = out.resolve("complete.json");
        if (Files.exists(done)) return Files.exists(best) ? best : null;
        Files.createDirectories(out);
        Data train = load(job.train()), val = load(List.of(job.val()));
        int n = train.y().length;
        Sequential m = model(job.seed());
        if (job.initWeights() != null) SafeTensors.load(job.initWeights(), m, true);
        // Starting from a pretrained net (pretrain_dp), only its last linear layer trains, as in the study's dbr156–160.
        if (job.initWeights() != null && !job.fullModel()) {
            String head = (m.size() - 1) + ".";
            for (Map.Entry<String, Parameter> e : m.namedParameters().entrySet()) e.getValue().setFrozen(!e.getKey().startsWith(head));
        }
        List<Parameter> trainable = m.parameters().stream().filter(p -> !p.isFrozen()).toList();
        if (trainable.isEmpty()) throw new IllegalStateException("nothing to train in " + out);
        ExperimentConfig.Classifier c = config.classifier();
        Adam opt = new Adam(trainable, job.lr(), 0.9, 0.999, 1e-8, c.weightDecay());
        int batch = c.batchSize(), epochs = job.epochs();
        float smoothing = (float) c.labelSmoothing();
        DpSgd dp = null;
        PoissonSampler sampler = null;
        PrivacyEngine.Plan plan = null;
        Accountant accountant = job.dp() ? PrivacyEngine.accountant(job.accountant()) : null;
        if (job.dp()) {
            plan = PrivacyEngine.plan(n, batch, epochs, job.epsilon(), config.delta(), accountant);
            PrivacyLedger ledger = PrivacyLedger.open(out.resolve("ledger.json"));
            ledger.beginPhase(new PrivacyLedger.Phase("classifier", "cnn DP-Adam", fingerprint(job.train()), n, plan.sampleRate(),
                    plan.noiseMultiplier(), config.maxGradNorm(), config.delta(), accountant.name(), false));
            dp = new DpSgd(m, opt, new DpSgd.Config(plan.noiseMultiplier(), config.maxGradNorm(), plan.sampleRate(), n, c.physicalBatch(), DpSgd.Clipping.FLAT),
                    new GaussianNoise(RandomSource.deterministic(job.seed(), "noise"))).withLedger(ledger, "classifier").withMaxSteps(plan.steps());
            sampler = new PoissonSampler(n, plan.sampleRate(), RandomSource.deterministic(job.seed(), "sampler"));
            log.printf(Locale.ROOT, "DP-Adam: N %d, q %.5f, %d steps, σ %.4f, C %.2f, δ %.2g, target ε %.3g (%s)%n", n, plan.sampleRate(), plan.steps(),
                    plan.noiseMultiplier(), config.maxGradNorm(), config.delta(), job.epsilon(), accountant.name());
        }
        ModelSelection sel = new ModelSelection(job.epsilon());
        StringBuilder csv = new StringBuilder("epoch,train_loss,val_loss,val_auroc,val_auprc,epsilon,eligible,best,seconds\n");
        for (int epoch = 0; epoch < epochs; epoch++) {
            long t0 = System.nanoTime();
            double[] loss = {0};
            int[] seen = {0};
            final int e = epoch;
            java.util.function.Function<int[], Variable> losses = idx -> {
                int[] y = new int[idx.length];
                for (int i = 0; i < idx.length; i++) y[i] = train.y()[idx[i]];
                Variable l = NnOps.crossEntropy(m.forward(Variable.constant(batch(train.x(), idx, job.seed(), e))), y, smoothing);
                for (float v : l.value().toArray()) loss[0] += v;
                seen[0] += idx.length;
                return l;
            };
            double eps = 0;
            if (dp != null) {
                for (int k = 0; k < plan.stepsPerEpoch(); k++) {
                    long step = (long) epoch * plan.stepsPerEpoch() + k;
                    dp.step(step, sampler.batch(step), losses);
                }
                // The calibrating accountant's ε, so the selection window is the one the target was set in.
                eps = accountant.epsilon(List.of(new Segment(plan.sampleRate(), plan.noiseMultiplier(), (long) (epoch + 1) * plan.stepsPerEpoch())),
                        config.delta()).epsilon();
            } else {
                int[] order = new int[n];
                for (int i = 0; i < n; i++) order[i] = i;
                new Rng(job.seed()).fork(0x5E9).fork(epoch).shuffle(order);
                for (int from = 0; from < n; from += batch) {
                    int[] idx = java.util.Arrays.copyOfRange(order, from, Math.min(n, from + batch));
                    if (idx.length <= 1) continue;
                    opt.zeroGrad();
                    Ops.mulScalar(Ops.sum(losses.apply(idx), false, 0), 1f / idx.length).backward();
                    opt.step();
                }
            }
            double[] pv = probabilities(m, val.x());
            double auprc = Metrics.averagePrecision(val.y(), pv), auroc = Metrics.auroc(val.y(), pv);
            double valLoss = 0;
            for (int i = 0; i < pv.length; i++) valLoss -= Math.log(Math.max(1e-12, val.y()[i] == 1 ? pv[i] : 1 - pv[i])) / pv.length;
            boolean eligible = sel.eligible(eps);
            boolean isBest = sel.offer(epoch, auprc, valLoss, eps);
            if (isBest) SafeTensors.save(best, m, Map.of("dpmammo.model", "cnn", "dpmammo.epoch", Integer.toString(epoch)));
            double secs = (System.nanoTime() - t0) / 1e9;
            csv.append(String.format(Locale.ROOT, "%d,%.6f,%.6f,%.6f,%.6f,%.6f,%b,%b,%.2f%n", epoch, seen[0] == 0 ? Double.NaN : loss[0] / seen[0], valLoss,
                    auroc, auprc, eps, eligible, isBest, secs));
            AtomicFiles.writeString(out.resolve("metrics.csv"), csv.toString());
            log.printf(Locale.ROOT, "epoch %d: val AUROC %.4f, AUPRC %.4f, ε %.3f%s (%.1f s)%n", epoch, auroc, auprc, eps, isBest ? ", best" : "", secs);
        }
        AtomicFiles.writeString(done, "{\"best_epoch\": " + sel.bestEpoch() + "}\n");
        return sel.bestEpoch() < 0 ? null : best;
    }

    private static String fingerprint(List<String> specs) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (String s : specs) sb.append(Datasets.open(s).fingerprint()).append(';');
        return sb.toString();
    }

    @Override
    public double[] predict(Path checkpoint, Dataset data) throws IOException {
        Sequential m = model(0);
        SafeTensors.load(checkpoint, m, true);
        Pipeline p = new Pipeline(List.of(Transforms.resizeStep(SIZE, SIZE), Transforms.signedStep()));
        Tensor x = Tensor.zeros(data.size(), 1, SIZE, SIZE);
        for (int i = 0; i < data.size(); i++) System.arraycopy(p.apply(data.image(i), new Rng(0)).data(), 0, x.data(), i * SIZE * SIZE, SIZE * SIZE);
        return probabilities(m, x);
    }
}
