package org.dpmammo.api;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Objects;
import java.util.function.Function;
import org.dpmammo.autograd.Grad;
import org.dpmammo.autograd.NnOps;
import org.dpmammo.autograd.Variable;
import org.dpmammo.backend.Backends;
import org.dpmammo.data.Dataset;
import org.dpmammo.data.Pipeline;
import org.dpmammo.nn.Module;
import org.dpmammo.optim.Optimizer;
import org.dpmammo.privacy.accounting.Epsilon;
import org.dpmammo.privacy.dpsgd.DpSgd;
import org.dpmammo.privacy.dpsgd.PrivacyPlanner;
import org.dpmammo.privacy.dpsgd.PrivateTraining;
import org.dpmammo.privacy.noise.Randomness;
import org.dpmammo.tensor.Tensor;
import org.dpmammo.train.TrainingRecords;
import org.dpmammo.util.Rng;
import org.dpmammo.util.Scope;

/**
 * DP-SGD training of your model in a few lines, the counterpart of Opacus' {@code make_private_with_epsilon}:
 *
 * <pre>{@code
 * try (PrivateTrainer t = PrivateTrainer.builder(model, new Adam(model.parameters(), 1e-3), inputs, labels)
 *         .targetEpsilon(8).delta(1e-5).maxGradNorm(1).epochs(10).batchSize(64).runFolder(Path.of("run")).build()) {
 *     PrivateTrainer.Spent spent = t.fit(PrivateTrainer.Loss.crossEntropy());
 * }
 * }</pre>
 *
 * <p>{@link Builder#build()} calibrates σ so that the whole schedule (⌈N/B⌉ Poisson-sampled steps per epoch) costs at
 * most the target ε under the chosen accountant, then opens the run through dpmammo's one DP training driver, the
 * same one {@code dpmammo classifier train --dp} uses: the ledger is locked for the trainer's life, every step is
 * recorded in it before it runs, and the optimizer's step becomes clip → sum → add N(0, σ²C²) → divide by the
 * expected batch. The ε this class reports is read back from the ledger, composed with every other phase in the same
 * ledger that touched the same records. Noise and batches come from a key drawn from {@code SecureRandom} unless
 * {@link Builder#reproducible(long)} asks otherwise.
 *
 * <p>Files: the run folder gets {@code dp-run.json} (the run's id) and, unless {@link Builder#ledger(Path)} names
 * another file, {@code ledger.json} (with a lock file beside it while the trainer is open). Nothing else is written.
 * The trainer does not save the model: {@code SafeTensors.save} does that. A run folder that already holds a run
 * continues that run's ledger phase (the steps it spent stay spent).
 */
public final class PrivateTrainer implements AutoCloseable {
    /** The ledger phase name of runs opened through this API. */
    static final String PHASE_NAME = "api DP-SGD";

    /**
     * The per-example loss of a batch: the model's output for the batch (examples on axis 0) and their labels in, one
     * loss per example out (shape [B]). Per example, not averaged: DP-SGD clips each example's gradient.
     */
    @FunctionalInterface
    public interface Loss {
        Variable perExample(Variable output, int[] labels);

        /** Cross-entropy of logits [B, K] against class indices (PyTorch's CrossEntropyLoss with reduction "none"). */
        static Loss crossEntropy() {
            return (output, labels) -> NnOps.crossEntropy(output, labels, 0f);
        }
    }

    /**
     * ε spent on the training records, as the ledger records it.
     *
     * @param epsilon ε at {@code delta}: this run composed with every phase of the ledger on the same records
     * @param steps the DP-SGD steps this run's phase has recorded in the ledger
     * @param guarantee false when the run used reproducible randomness: then ε is not a guarantee
     */
    public record Spent(double epsilon, double delta, String accountant, long steps, boolean guarantee) {}

    /** One finished epoch: its index (from 0), the steps it ran, and ε spent after it. */
    public record Epoch(int index, int steps, Spent spent) {}

    private final Module model;
    private final Tensor inputs;
    private final int[] labels;
    private final PrivacyPlanner.Plan plan;
    private final PrivateTraining dp;
    private final int epochs;
    private int nextEpoch;
    private boolean stopped;

    private PrivateTrainer(Module model, Tensor inputs, int[] labels, PrivacyPlanner.Plan plan, PrivateTraining dp, int epochs) {
        this.model = model;
        this.inputs = inputs;
        this.labels = labels;
        this.plan = plan;
        this.dp = dp;
        this.epochs = epochs;
    }

    /**
     * A trainer of {@code model} with {@code optimizer} (SGD, Adam or AdamW over the parameters to train; it becomes
     * DP-SGD, DP-Adam or DP-AdamW) on examples {@code inputs} [N, ...] with labels {@code labels} [N]. Each example's
     * identity in the ledger is the SHA-256 of its values and label.
     */
    public static Builder builder(Module model, Optimizer optimizer, Tensor inputs, int[] labels) {
        int[] y = labels.clone();
        return new Builder(model, optimizer, inputs, y, TrainingRecords.of(inputs, y));
    }

    /**
     * A trainer on the images of {@code data} (a folder or the phantom, opened with {@code Datasets.open}), each
     * decoded once, resized to {@code imageSize} × {@code imageSize}, one channel scaled to [−1, 1], with the dataset's
     * labels (benign = 1, malignant = 0). Each example's identity in the ledger is its file's content hash, the same
     * as in the {@code dpmammo} commands, so runs on the same files through either compose in one ledger.
     */
    public static Builder builder(Module model, Optimizer optimizer, Dataset data, int imageSize) throws IOException {
        int[] y = new int[data.size()];
        for (int i = 0; i < y.length; i++) y[i] = data.label(i);
        return new Builder(model, optimizer, inputs(data, imageSize), y, TrainingRecords.of(data));
    }

    /**
     * The images of {@code data} as the dataset builder feeds them to the model: [N, 1, imageSize, imageSize], each
     * resized (area/bilinear as the study's pipeline) and scaled to [−1, 1]. Labels: {@code data.label(i)}.
     */
    public static Tensor inputs(Dataset data, int imageSize) throws IOException {
        if (imageSize <= 0) throw new IllegalArgumentException("image size must be positive, got " + imageSize);
        int n = data.size();
        if (n == 0) throw new IllegalArgumentException(data.description() + ": no examples");
        Pipeline pipeline = Pipeline.gan(imageSize, false, true);
        int per = imageSize * imageSize;
        float[] x = new float[n * per];
        for (int i = 0; i < n; i++) System.arraycopy(pipeline.apply(data.image(i), new Rng(0)).data(), 0, x, i * per, per);
        return Tensor.of(x, n, 1, imageSize, imageSize);
    }

    /** The settings of a private training run; {@link #build()} checks them and opens the run. */
    public static final class Builder {
        private final Module model;
        private final Optimizer optimizer;
        private final Tensor inputs;
        private final int[] labels;
        private final PrivateTraining.Records records;
        private double targetEpsilon = Double.NaN, delta = Double.NaN, maxGradNorm = 1, budget = Double.POSITIVE_INFINITY;
        private int epochs, batchSize, physicalBatch;
        private String accountant = "rdp";
        private Path ledger, runFolder;
        private Randomness randomness = Randomness.secure();
        private PrintStream log = new PrintStream(OutputStream.nullOutputStream());

        private Builder(Module model, Optimizer optimizer, Tensor inputs, int[] labels, PrivateTraining.Records records) {
            this.model = Objects.requireNonNull(model, "model");
            this.optimizer = Objects.requireNonNull(optimizer, "optimizer");
            this.inputs = inputs;
            this.labels = labels;
            this.records = records;
        }

        /** The ε the whole run may cost (required); σ is calibrated to it. */
        public Builder targetEpsilon(double epsilon) {
            this.targetEpsilon = epsilon;
            return this;
        }

        /** δ of the (ε, δ) guarantee (required); should be well below 1/N. */
        public Builder delta(double delta) {
            this.delta = delta;
            return this;
        }

        /** C, the norm each example's gradient is clipped to; default 1. */
        public Builder maxGradNorm(double c) {
            this.maxGradNorm = c;
            return this;
        }

        /** Epochs of ⌈N/B⌉ steps (required). */
        public Builder epochs(int epochs) {
            this.epochs = epochs;
            return this;
        }

        /** The nominal batch size B (required): Poisson batches of expected size N/⌈N/B⌉ ≤ B. */
        public Builder batchSize(int batchSize) {
            this.batchSize = batchSize;
            return this;
        }

        /** How many examples one forward/backward holds at most (memory only; the result is the same); default B. */
        public Builder physicalBatch(int physicalBatch) {
            this.physicalBatch = physicalBatch;
            return this;
        }

        /** {@code "rdp"} (default, the study's) or {@code "prv"}: what calibrates σ and reads ε back. */
        public Builder accountant(String accountant) {
            this.accountant = accountant;
            return this;
        }

        /** The ledger file; default {@code ledger.json} in the run folder. Share one across runs on the same data. */
        public Builder ledger(Path ledger) {
            this.ledger = ledger;
            return this;
        }

        /** The folder that holds the run's identity and, by default, its ledger (required). */
        public Builder runFolder(Path runFolder) {
            this.runFolder = runFolder;
            return this;
        }

        /** Refuse, before the first step, a run that would take any record past ε = {@code budget} in the ledger. */
        public Builder budget(double budget) {
            this.budget = budget;
            return this;
        }

        /**
         * Opt-in: noise and batches keyed by {@code seed} and the run's id instead of {@code SecureRandom}, so the run
         * can be replayed. Anyone with the seed and the run folder can remove the noise, so ε is then not a
         * guarantee ({@link Spent#guarantee()} is false). For tests and research only.
         */
        public Builder reproducible(long seed) {
            this.randomness = Randomness.reproducible(seed);
            return this;
        }

        /** Where notices go (a δ not below 1/N, steps lost to a crash, accountant caveats); default nowhere. */
        public Builder log(PrintStream log) {
            this.log = Objects.requireNonNull(log, "log");
            return this;
        }

        /**
         * Calibrates σ, locks the ledger and opens the run.
         *
         * @throws IllegalStateException if a required setting is missing
         * @throws IllegalArgumentException if a setting is invalid, the target cannot be met, or the budget would be
         *     exceeded (nothing is written then)
         * @throws IOException if the ledger or run folder cannot be read or written
         */
        public PrivateTrainer build() throws IOException {
            if (Double.isNaN(targetEpsilon)) throw new IllegalStateException("targetEpsilon is required");
            if (Double.isNaN(delta)) throw new IllegalStateException("delta is required");
            if (epochs <= 0) throw new IllegalStateException("epochs must be set to a positive count, got " + epochs);
            if (batchSize <= 0) throw new IllegalStateException("batchSize must be set to a positive size, got " + batchSize);
            if (runFolder == null) throw new IllegalStateException("runFolder is required (it holds the run's id and ledger)");
            if (!(targetEpsilon > 0) || Double.isInfinite(targetEpsilon)) throw new IllegalArgumentException("targetEpsilon must be finite and > 0, got " + targetEpsilon);
            if (physicalBatch < 0) throw new IllegalArgumentException("physicalBatch must be positive, got " + physicalBatch);
            int n = labels.length;
            PrivacyPlanner.Plan plan = PrivacyPlanner.plan(n, batchSize, epochs, targetEpsilon, delta, PrivacyPlanner.accountant(accountant));
            for (String w : plan.warnings()) log.println("DP: " + w);
            PrivateTraining.Spec spec = new PrivateTraining.Spec(null, PHASE_NAME, delta, maxGradNorm, accountant, randomness,
                    physicalBatch > 0 ? physicalBatch : batchSize, DpSgd.Clipping.FLAT, budget);
            PrivateTraining dp = PrivateTraining.open(spec, new PrivateTraining.Schedule(plan.sampleRate(), plan.steps(), plan.noiseMultiplier()), records,
                    model, optimizer, ledger != null ? ledger : runFolder.resolve("ledger.json"), runFolder, null, Double.POSITIVE_INFINITY, log);
            return new PrivateTrainer(model, inputs, labels, plan, dp, epochs);
        }
    }

    /**
     * Runs the next epoch (⌈N/B⌉ DP-SGD steps, fewer if the ledger's budget ends the run early).
     *
     * @throws IllegalStateException when every epoch has run
     */
    public Epoch epoch(Loss loss) throws IOException {
        if (!hasNextEpoch()) throw new IllegalStateException("all " + epochs + " epochs have run" + (stopped ? " (or the budget stopped the run)" : ""));
        Function<int[], Variable> perExample = idx -> {
            int[] y = new int[idx.length];
            for (int i = 0; i < idx.length; i++) y[i] = labels[idx[i]];
            Tensor x = Backends.current().indexSelect(inputs, 0, idx);
            return loss.perExample(model.forward(Variable.constant(x)), y);
        };
        int ran = 0;
        for (int k = 0; k < plan.stepsPerEpoch(); k++) {
            long step = (long) nextEpoch * plan.stepsPerEpoch() + k;
            if (!dp.canStep(step)) {
                stopped = true;
                break;
            }
            dp.step(step, perExample);
            ran++;
        }
        return new Epoch(nextEpoch++, ran, spent());
    }

    /**
     * The model's outputs for {@code inputs} (e.g. logits [N, K]), in evaluation mode and without recording
     * gradients: to measure utility between or after epochs. Reads no private data and costs no privacy.
     */
    public Tensor outputs(Tensor inputs) {
        boolean was = model.isTraining();
        model.eval();
        try (Scope g = Grad.noGrad()) {
            return model.forward(Variable.constant(inputs)).value();
        } finally {
            model.train(was);
        }
    }

    /** Whether {@link #epoch} has an epoch left to run. */
    public boolean hasNextEpoch() {
        return nextEpoch < epochs && !stopped;
    }

    /** Runs every remaining epoch and returns ε spent. */
    public Spent fit(Loss loss) throws IOException {
        while (hasNextEpoch()) epoch(loss);
        return spent();
    }

    /** ε spent so far, read from the ledger. */
    public Spent spent() {
        Epsilon e = dp.spent();
        return new Spent(e.epsilon(), e.delta(), dp.accountant().name(), dp.ledger().stepsRecorded(dp.phase().id()), dp.randomness().secureMode());
    }

    /** The calibrated noise multiplier σ (noise standard deviation over C). */
    public double noiseMultiplier() {
        return plan.noiseMultiplier();
    }

    /** The schedule the run follows. */
    public Accounting.Schedule schedule() {
        return new Accounting.Schedule(plan.sampleRate(), plan.stepsPerEpoch(), plan.steps());
    }

    /** The ledger file the run records its steps in. */
    public Path ledgerFile() {
        return dp.ledger().file();
    }

    /** Releases the ledger's lock; the ledger and run folder stay. */
    @Override
    public void close() throws IOException {
        dp.close();
    }
}
