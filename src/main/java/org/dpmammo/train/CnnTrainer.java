package org.dpmammo.train;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
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
import org.dpmammo.models.cnn.DemoCnn;
import org.dpmammo.nn.Parameter;
import org.dpmammo.nn.SafeTensors;
import org.dpmammo.nn.Sequential;
import org.dpmammo.optim.Adam;
import org.dpmammo.privacy.accounting.Accountant;
import org.dpmammo.privacy.dpsgd.DpSgd;
import org.dpmammo.privacy.dpsgd.PrivacyPlanner;
import org.dpmammo.privacy.dpsgd.PrivateTraining;
import org.dpmammo.privacy.noise.Randomness;
import org.dpmammo.tensor.Tensor;
import org.dpmammo.util.AtomicFiles;
import org.dpmammo.util.Rng;
import org.dpmammo.util.Scope;

/**
 * The training loop of the demo's classifier ({@link DemoCnn}; the experiment's {@code classifier.model = "cnn"}).
 * The tiny Swin cannot stand in for the study's frozen ImageNet backbone: with random frozen weights its features
 * carry almost nothing, so here the grid's frozen-backbone conditions train the whole net (with DP where ε is
 * finite), and the pretrain_dp cells freeze everything but the last linear layer of the synthetic-pretrained net, as
 * the study did, or (a job with {@code fullModel}) DP-fine-tune all of it.
 *
 * <p>Same contract as the Swin trainer: DP-Adam with σ calibrated (by the job's accountant, RDP or PRV) for all
 * planned steps through the one DP driver ({@link PrivateTraining}), selection by validation AUPRC inside the ε
 * window, metrics.csv per epoch (validation only: no statistic of the private training set). A killed run resumes
 * from its last completed epoch (checkpoints/resume.safetensors); steps it lost stay spent under secure randomness.
 */
public final class CnnTrainer {
    static final int SIZE = DemoCnn.SIZE;
    private static final String RESUME_FILE = "resume.safetensors";
    /** Checkpoint metadata naming the net's activation; checkpoints written before it existed are LeakyReLU nets. */
    static final String ACTIVATION_KEY = "dpmammo.activation";

    /** DP settings: the target ε, δ, C, the calibrating accountant and where the randomness comes from. */
    public record Dp(double epsilon, double delta, double maxGradNorm, String accountant, Randomness randomness) {}

    /**
     * One training run. {@code fullModel} false with {@code initWeights} trains only the last layer (pretrain_dp);
     * {@code activation} is one of {@link DemoCnn#ACTIVATIONS}; {@code dp} is null for non-private training.
     */
    public record Job(List<String> train, String val, Path out, long seed, boolean fullModel, Path initWeights, String activation, int epochs, double lr,
                      int batchSize, double weightDecay, double labelSmoothing, int physicalBatch, Dp dp) {
        double targetEpsilon() {
            return dp == null ? Double.POSITIVE_INFINITY : dp.epsilon();
        }
    }

    private CnnTrainer() {}

    /** Images [N, 1, 32, 32] in [-1, 1] and labels of the concatenated datasets, and those datasets as one. */
    record Data(Tensor x, int[] y, Dataset source) {}

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
        return new Data(x, y, parts.size() == 1 ? parts.get(0) : new ConcatDataset(parts));
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

    /** Trains into job.out (resuming it if it holds a run) and returns the best checkpoint, or null if no epoch was eligible. */
    public static Path train(Job job, PrintStream log) throws IOException {
        Path out = job.out(), best = out.resolve("checkpoints").resolve("best.safetensors"), done = out.resolve("complete.json");
        if (Files.exists(done)) return Files.exists(best) ? best : null;
        Files.createDirectories(out);
        Data train = load(job.train()), val = load(List.of(job.val()));
        int n = train.y().length;
        Sequential m = DemoCnn.build(job.seed(), job.activation());
        if (job.initWeights() != null) {
            // The tensors of a LeakyReLU and a tanh net have the same names and shapes: only the metadata tells them apart.
            String initActivation = activation(job.initWeights());
            if (!initActivation.equals(job.activation())) {
                throw new IllegalArgumentException(job.initWeights() + " is a " + initActivation + " CNN; this run builds a " + job.activation() + " one");
            }
            SafeTensors.load(job.initWeights(), m, true);
        }
        // Starting from a pretrained net (pretrain_dp), only its last linear layer trains, as in the study's dbr156–160.
        if (job.initWeights() != null && !job.fullModel()) {
            String head = (m.size() - 1) + ".";
            for (Map.Entry<String, Parameter> e : m.namedParameters().entrySet()) e.getValue().setFrozen(!e.getKey().startsWith(head));
        }
        List<Parameter> trainable = m.parameters().stream().filter(p -> !p.isFrozen()).toList();
        if (trainable.isEmpty()) throw new IllegalStateException("nothing to train in " + out);
        Adam opt = new Adam(trainable, job.lr(), 0.9, 0.999, 1e-8, job.weightDecay());
        int batch = job.batchSize(), epochs = job.epochs();
        float smoothing = (float) job.labelSmoothing();
        PrivacyPlanner.Plan plan = null;
        PrivateTraining dp = null;
        Path resumeFile = out.resolve("checkpoints").resolve(RESUME_FILE);
        Map<String, String> resumed = Files.exists(resumeFile) ? SafeTensors.read(resumeFile).metadata() : null;
        if (job.dp() != null) {
            Dp d = job.dp();
            Accountant accountant = PrivacyPlanner.accountant(d.accountant());
            plan = PrivacyPlanner.plan(n, batch, epochs, d.epsilon(), d.delta(), accountant);
            dp = PrivateTraining.open(new PrivateTraining.Spec(null, "cnn DP-Adam", d.delta(), d.maxGradNorm(), d.accountant(),
                            d.randomness(), job.physicalBatch(), DpSgd.Clipping.FLAT, Double.POSITIVE_INFINITY),
                    new PrivateTraining.Schedule(plan.sampleRate(), plan.steps(), plan.noiseMultiplier()), TrainingRecords.of(train.source()), m, opt,
                    out.resolve("ledger.json"), out, resumed, Double.POSITIVE_INFINITY, log);
            log.printf(Locale.ROOT, "DP-Adam: N %d, q %.5f, %d steps, σ %.4f, C %.2f, δ %.2g, target ε %.3g (%s), %s randomness%n", n, plan.sampleRate(), plan.steps(),
                    plan.noiseMultiplier(), d.maxGradNorm(), d.delta(), d.epsilon(), accountant.name(), dp.randomness().label());
        }
        try {
            ModelSelection sel = new ModelSelection(job.targetEpsilon());
            StringBuilder csv = new StringBuilder("epoch,val_loss,val_auroc,val_auprc,epsilon,eligible,best,seconds\n");
            int start = 0;
            if (resumed != null) {
                start = restore(resumeFile, m, opt);
                sel = new ModelSelection(job.targetEpsilon(), Integer.parseInt(resumed.get("best_epoch")), Double.parseDouble(resumed.get("best_auprc")),
                        Double.parseDouble(resumed.get("best_loss")));
                csv = new StringBuilder(resumed.get("metrics_csv"));
            }
            for (int epoch = start; epoch < epochs; epoch++) {
                long t0 = System.nanoTime();
                final int e = epoch;
                java.util.function.Function<int[], Variable> losses = idx -> {
                    int[] y = new int[idx.length];
                    for (int i = 0; i < idx.length; i++) y[i] = train.y()[idx[i]];
                    return NnOps.crossEntropy(m.forward(Variable.constant(batch(train.x(), idx, job.seed(), e))), y, smoothing);
                };
                double eps = 0;
                boolean stopped = false;
                if (dp != null) {
                    for (int k = 0; k < plan.stepsPerEpoch() && !stopped; k++) {
                        long step = (long) epoch * plan.stepsPerEpoch() + k;
                        if (dp.canStep(step)) dp.step(step, losses);
                        else stopped = true;
                    }
                    // The calibrating accountant's ε of this phase, so the selection window is the one the target was set in.
                    eps = dp.phaseEpsilon();
                } else {
                    nonPrivateEpoch(job, n, batch, epoch, opt, losses);
                }
                double[] pv = probabilities(m, val.x());
                double auprc = Metrics.averagePrecision(val.y(), pv), auroc = Metrics.auroc(val.y(), pv);
                double valLoss = 0;
                for (int i = 0; i < pv.length; i++) valLoss -= Math.log(Math.max(1e-12, val.y()[i] == 1 ? pv[i] : 1 - pv[i])) / pv.length;
                boolean eligible = sel.eligible(eps);
                boolean isBest = sel.offer(epoch, auprc, valLoss, eps);
                if (isBest) SafeTensors.save(best, m, Map.of("dpmammo.model", "cnn", "dpmammo.epoch", Integer.toString(epoch), ACTIVATION_KEY, job.activation()));
                double secs = (System.nanoTime() - t0) / 1e9;
                csv.append(String.format(Locale.ROOT, "%d,%.6f,%.6f,%.6f,%.6f,%b,%b,%.2f%n", epoch, valLoss, auroc, auprc, eps, eligible, isBest, secs));
                Map<String, String> meta = new LinkedHashMap<>();
                meta.put("best_epoch", Integer.toString(sel.bestEpoch()));
                meta.put("best_auprc", Double.toString(sel.bestAuprc()));
                meta.put("best_loss", Double.toString(sel.bestLoss()));
                meta.put("metrics_csv", csv.toString());
                meta.put("next_epoch", Integer.toString(epoch + 1));
                if (dp != null) meta.putAll(dp.checkpointMetadata((long) (epoch + 1) * plan.stepsPerEpoch()));
                saveResume(resumeFile, m, opt, meta);
                AtomicFiles.writeString(out.resolve("metrics.csv"), csv.toString());
                log.printf(Locale.ROOT, "epoch %d: val AUROC %.4f, AUPRC %.4f, ε %.3f%s%s (%.1f s)%n", epoch, auroc, auprc, eps,
                        dp == null ? "" : dp.randomness().epsilonMark(), isBest ? ", best" : "", secs);
                if (stopped) break;
            }
            AtomicFiles.writeString(done, "{\"best_epoch\": " + sel.bestEpoch() + "}\n");
            return sel.bestEpoch() < 0 ? null : best;
        } finally {
            if (dp != null) dp.close();
        }
    }

    private static void nonPrivateEpoch(Job job, int n, int batch, int epoch, Adam opt, java.util.function.Function<int[], Variable> losses) {
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

    /** The epoch's model, optimizer and progress in one atomic file: a killed cell resumes from its last epoch. */
    private static void saveResume(Path file, Sequential m, Adam opt, Map<String, String> meta) throws IOException {
        Map<String, Tensor> all = new LinkedHashMap<>();
        m.stateDict().forEach((k, v) -> all.put("model." + k, v));
        opt.state().forEach((k, v) -> all.put("optimizer." + k, v));
        SafeTensors.write(file, all, java.util.Set.of(), meta);
    }

    /** Loads a resume file into the model and optimizer; returns the epoch to continue from. */
    private static int restore(Path file, Sequential m, Adam opt) throws IOException {
        SafeTensors.Contents c = SafeTensors.read(file);
        Map<String, Tensor> weights = new LinkedHashMap<>(), state = new LinkedHashMap<>();
        c.tensors().forEach((k, v) -> (k.startsWith("optimizer.") ? state : weights).put(k.substring(k.indexOf('.') + 1), v));
        m.loadStateDict(weights, true);
        opt.loadState(state);
        return Integer.parseInt(c.metadata().get("next_epoch"));
    }

    /** The activation a checkpoint of {@link #train} was built with. */
    static String activation(Path checkpoint) throws IOException {
        return SafeTensors.read(checkpoint).metadata().getOrDefault(ACTIVATION_KEY, DemoCnn.ACTIVATIONS.get(0));
    }

    /** P(benign) of every example of data under a checkpoint of {@link #train}. */
    public static double[] predict(Path checkpoint, Dataset data) throws IOException {
        Sequential m = DemoCnn.build(0, activation(checkpoint));
        SafeTensors.load(checkpoint, m, true);
        Pipeline p = new Pipeline(List.of(Transforms.resizeStep(SIZE, SIZE), Transforms.signedStep()));
        Tensor x = Tensor.zeros(data.size(), 1, SIZE, SIZE);
        for (int i = 0; i < data.size(); i++) System.arraycopy(p.apply(data.image(i), new Rng(0)).data(), 0, x.data(), i * SIZE * SIZE, SIZE * SIZE);
        return probabilities(m, x);
    }
}
