package org.dpmammo.privacy.audit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.dpmammo.autograd.NnOps;
import org.dpmammo.autograd.Variable;
import org.dpmammo.nn.Module;
import org.dpmammo.nn.SafeTensors;
import org.dpmammo.optim.SGD;
import org.dpmammo.privacy.dpsgd.DpSgd;
import org.dpmammo.privacy.dpsgd.PrivateTraining;
import org.dpmammo.privacy.noise.Randomness;
import org.dpmammo.tensor.Tensor;

/**
 * A small DP-SGD classification run that survives being killed at any moment (SIGKILL included) and resumes where
 * its last checkpoint left it.
 *
 * <p>Why it is safe: the ledger reserves each step before it runs (write-ahead, fsync), so the ε it reports is never
 * below what was really spent; after every {@code checkpointEvery} steps one safetensors file holding the model, the
 * optimizer state, the step and the ledger's head hash and entry count is replaced atomically (temp file, fsync,
 * rename), so a checkpoint is either the old one or the new one. On resume the ledger must still contain the entry
 * the checkpoint saw. In reproducible mode every draw is addressed by (run id, step), so the resumed run repeats
 * exactly what the uninterrupted run would have done: same batches, same noise, same final model, bit for bit. In
 * secure mode the steps a kill lost stay spent and the run continues at later ledger steps. All of this is
 * {@link PrivateTraining}'s; this class adds the audit's model, data and checkpoint cadence.
 *
 * <p>Budget: before the first step the run works out how many steps the target ε allows once every other phase
 * recorded in the same ledger on the same dataset is composed in, and stops with {@link DpSgd.BudgetExhaustedException}
 * at that step.
 */
public final class CrashSafeRun {
    /** Everything that fixes the run's guarantee and its result. */
    public record Settings(String phaseId, String datasetFingerprint, double learningRate, double momentum,
            double noiseMultiplier, double maxGradNorm, double sampleRate, long steps, int physicalBatch,
            double delta, double targetEpsilon, String accountant, boolean secure, long seed, int checkpointEvery) {
        public Settings {
            if (!(noiseMultiplier > 0) || Double.isInfinite(noiseMultiplier)) {
                throw new IllegalArgumentException("noise multiplier σ must be positive under DP, got " + noiseMultiplier + " (σ = 0 gives no privacy)");
            }
            if (steps < 0) throw new IllegalArgumentException("steps must be ≥ 0, got " + steps);
            if (checkpointEvery < 1) throw new IllegalArgumentException("checkpoint interval must be ≥ 1, got " + checkpointEvery);
            if (!(targetEpsilon > 0)) throw new IllegalArgumentException("target ε must be positive, got " + targetEpsilon);
        }
    }

    /** What a finished (or budget-stopped) run reports. */
    public record Outcome(long stepsRun, long resumedFrom, double epsilonSpent, long ledgerSteps) {}

    /** A checkpoint that cannot be resumed here: another architecture, other settings, or a ledger that moved on. */
    public static final class BadCheckpointException extends IOException {
        public BadCheckpointException(String message) {
            super(message);
        }
    }

    /** Checkpoint file name under the run folder. */
    public static final String CHECKPOINT = "checkpoints/last.safetensors";

    private final Module model;
    private final Tensor x;
    private final int[] y;
    private final Settings s;
    private final Path outDir;
    private final Path ledgerFile;
    private DpSgd.ExtraExamples extra;
    private DpSgd.TestFault fault = DpSgd.TestFault.NONE;
    private StepListener listener = step -> {};
    private List<String> recordIds;

    /** Told after each step completes (tests use it to know how far a run got before it was killed). */
    @FunctionalInterface
    public interface StepListener {
        void completed(long step) throws IOException;
    }

    /** x is [N, ...] inputs, y the N class labels; the model maps a batch of x to [B, classes] logits. */
    public CrashSafeRun(Module model, Tensor x, int[] y, Settings settings, Path outDir, Path ledgerFile) {
        if (x.size(0) != y.length) throw new IllegalArgumentException(x.size(0) + " inputs but " + y.length + " labels");
        if (y.length == 0) throw new IllegalArgumentException("empty training set");
        this.model = model;
        this.x = x;
        this.y = y;
        this.s = settings;
        this.outDir = outDir;
        this.ledgerFile = ledgerFile;
    }

    /** White-box canaries for the audit (see {@link DpSgd.ExtraExamples}). */
    public CrashSafeRun withExtraExamples(DpSgd.ExtraExamples extra) {
        this.extra = extra;
        return this;
    }

    /** The audit's negative control (see {@link AuditRun#withNegativeControl}); package-private: only the audit sets it. */
    CrashSafeRun injectFault(DpSgd.TestFault fault) {
        this.fault = fault;
        return this;
    }

    public CrashSafeRun onStep(StepListener listener) {
        this.listener = listener;
        return this;
    }

    /** Names the training records by content id, so the phase composes per record with other runs (else by fingerprint). */
    public CrashSafeRun withRecords(List<String> ids) {
        this.recordIds = ids;
        return this;
    }

    public Outcome run() throws IOException {
        SGD optimizer = new SGD(model.trainableParameters(), s.learningRate(), s.momentum(), 0, 0, false);
        // The checkpoint is checked against the ledger (by the driver) before anything is written.
        Map<String, String> resumed = readCheckpoint(optimizer);
        Randomness randomness = s.secure() ? Randomness.secure() : Randomness.reproducible(s.seed());
        PrivateTraining dp;
        try {
            dp = PrivateTraining.open(new PrivateTraining.Spec(s.phaseId(), fault == DpSgd.TestFault.NONE ? "crash-safe-dpsgd"
                            : "NEGATIVE CONTROL (" + fault + "): not private, the ε of this phase is false", s.delta(), s.maxGradNorm(), s.accountant(), randomness,
                            s.physicalBatch(), DpSgd.Clipping.FLAT, Double.POSITIVE_INFINITY),
                    new PrivateTraining.Schedule(s.sampleRate(), s.steps(), s.noiseMultiplier()), new PrivateTraining.Records(s.datasetFingerprint(), y.length, recordIds),
                    model, optimizer, ledgerFile, outDir, resumed, s.targetEpsilon(), System.err);
        } catch (IllegalStateException e) {
            throw new BadCheckpointException(outDir.resolve(CHECKPOINT) + ": " + e.getMessage());
        }
        try (dp) {
            dp.dpSgd().injectFaultForTest(fault);
            if (extra != null) dp.dpSgd().withExtraExamples(extra);
            long start = resumed == null ? 0 : Long.parseLong(resumed.get("step"));
            if (resumed != null) loadCheckpoint(optimizer);
            model.train();
            for (long step = start; step < s.steps(); step++) {
                if (!dp.canStep(step)) {
                    throw new DpSgd.BudgetExhaustedException(String.format("privacy budget exhausted: %d of %d steps ran, ε = %.4f spent on this "
                            + "dataset (all phases in %s), and one more step would pass the target ε = %s", step, s.steps(), dp.spent().epsilon(), ledgerFile, s.targetEpsilon()));
                }
                dp.step(step, this::losses);
                if ((step + 1) % s.checkpointEvery() == 0 || step + 1 == s.steps()) checkpoint(step + 1, optimizer, dp);
                listener.completed(step);
            }
            return new Outcome(s.steps() - start, start, dp.spent().epsilon(), dp.ledger().stepsRecorded(dp.phase().id()));
        }
    }

    private Variable losses(int[] idx) {
        int per = x.numel() / x.size(0);
        int[] shape = x.shape();
        shape[0] = idx.length;
        Tensor rows = Tensor.zeros(shape);
        int[] labels = new int[idx.length];
        float[] src = x.compact().data();
        for (int i = 0; i < idx.length; i++) {
            System.arraycopy(src, idx[i] * per, rows.data(), i * per, per);
            labels[i] = y[idx[i]];
        }
        return NnOps.crossEntropy(model.forward(Variable.constant(rows)), labels, 0f);
    }

    private void checkpoint(long stepsDone, SGD optimizer, PrivateTraining dp) throws IOException {
        Map<String, Tensor> all = new LinkedHashMap<>();
        model.stateDict().forEach((k, v) -> all.put("model." + k, v));
        optimizer.state().forEach((k, v) -> all.put("optimizer." + k, v));
        Map<String, String> meta = new LinkedHashMap<>(dp.checkpointMetadata(stepsDone));
        meta.put("step", Long.toString(stepsDone));
        meta.put("settings", s.toString());
        Set<String> ints = new java.util.HashSet<>();
        for (String k : model.integerStateKeys()) ints.add("model." + k);
        SafeTensors.write(outDir.resolve(CHECKPOINT), all, ints, meta);
    }

    /**
     * A process killed inside an atomic write leaves its hidden temporary file behind (.last.safetensors.*.tmp); no
     * reader ever trusts one, and removing them keeps repeated crashes from filling the disk.
     */
    private static void removeStaleTemporaries(Path checkpoint) throws IOException {
        Path dir = checkpoint.getParent();
        if (!Files.isDirectory(dir)) return;
        String prefix = "." + checkpoint.getFileName() + ".";
        try (var files = Files.list(dir)) {
            for (Path p : files.toList()) {
                String n = p.getFileName().toString();
                if (n.startsWith(prefix) && n.endsWith(".tmp")) Files.deleteIfExists(p);
            }
        }
    }

    /** The last checkpoint's metadata (null for a fresh run), after checking it belongs to these settings. */
    private Map<String, String> readCheckpoint(SGD optimizer) throws IOException {
        Path file = outDir.resolve(CHECKPOINT);
        removeStaleTemporaries(file);
        if (!Files.exists(file)) return null;
        Map<String, String> meta;
        try {
            meta = SafeTensors.read(file).metadata();
        } catch (IOException e) {
            throw new BadCheckpointException(e.getMessage());
        }
        if (!s.toString().equals(meta.get("settings"))) {
            throw new BadCheckpointException(file + ": checkpoint of a run with other settings; use a new --out folder");
        }
        try {
            Long.parseLong(meta.get("step"));
        } catch (NumberFormatException | NullPointerException e) {
            throw new BadCheckpointException(file + ": checkpoint metadata lacks its step");
        }
        return meta;
    }

    /** Loads the checkpoint's weights and optimizer state (its ledger position was checked by the driver). */
    private void loadCheckpoint(SGD optimizer) throws IOException {
        Path file = outDir.resolve(CHECKPOINT);
        Map<String, Tensor> weights = new LinkedHashMap<>(), state = new LinkedHashMap<>();
        SafeTensors.read(file).tensors().forEach((k, v) -> {
            if (k.startsWith("model.")) weights.put(k.substring(6), v);
            else if (k.startsWith("optimizer.")) state.put(k.substring(10), v);
            else weights.put(k, v); // an unknown key: the strict load below names it
        });
        try {
            model.loadStateDict(weights, true);
            optimizer.loadState(state);
        } catch (IllegalArgumentException e) {
            throw new BadCheckpointException(file + ": checkpoint does not fit this model (another architecture?): " + e.getMessage());
        }
    }
}
