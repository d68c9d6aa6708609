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
import org.dpmammo.privacy.accounting.Accountant;
import org.dpmammo.privacy.accounting.Segment;
import org.dpmammo.privacy.dpsgd.DpSgd;
import org.dpmammo.privacy.dpsgd.PoissonSampler;
import org.dpmammo.privacy.dpsgd.PrivacyEngine;
import org.dpmammo.privacy.ledger.PrivacyLedger;
import org.dpmammo.privacy.noise.GaussianNoise;
import org.dpmammo.privacy.noise.RandomSource;
import org.dpmammo.tensor.Tensor;

/**
 * A small DP-SGD classification run that survives being killed at any moment (SIGKILL included) and resumes where
 * its last checkpoint left it.
 *
 * <p>Why it is safe: the ledger reserves each step before it runs (write-ahead, fsync), so the ε it reports is never
 * below what was really spent; after every {@code checkpointEvery} steps one safetensors file holding the model, the
 * optimizer state, the step and the ledger's head hash and entry count is replaced atomically (temp file, fsync,
 * rename), so a checkpoint is either the old one or the new one. On resume the ledger must still contain the entry
 * the checkpoint saw ({@link PrivacyLedger#requireReaches}). In deterministic mode every draw is addressed by the step
 * ({@link RandomSource#seekStep}, {@link PoissonSampler#batch(long)}), so the resumed run repeats exactly what the
 * uninterrupted run would have done: same batches, same noise, same final model, bit for bit.
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

    /** Test hook passed on to {@link DpSgd#injectFaultForTest}; package-private so no command can reach it. */
    CrashSafeRun injectFaultForTest(DpSgd.TestFault fault) {
        this.fault = fault;
        return this;
    }

    public CrashSafeRun onStep(StepListener listener) {
        this.listener = listener;
        return this;
    }

    private PrivacyLedger.Phase phase() {
        return new PrivacyLedger.Phase(s.phaseId(), "crash-safe-dpsgd", s.datasetFingerprint(), y.length, s.sampleRate(),
                s.noiseMultiplier(), s.maxGradNorm(), s.delta(), s.accountant(), s.secure());
    }

    public Outcome run() throws IOException {
        Accountant accountant = PrivacyEngine.accountant(s.accountant());
        PrivacyLedger ledger = PrivacyLedger.open(ledgerFile);
        SGD optimizer = new SGD(model.trainableParameters(), s.learningRate(), s.momentum(), 0, 0, false);
        // The checkpoint is checked before the ledger is written to, so a bad one leaves every file as it was.
        long start = resume(ledger, optimizer);
        ledger.beginPhase(phase());
        long allowed = allowedSteps(ledger, accountant);
        DpSgd dp = new DpSgd(model, optimizer,
                new DpSgd.Config(s.noiseMultiplier(), s.maxGradNorm(), s.sampleRate(), y.length, s.physicalBatch(), DpSgd.Clipping.FLAT),
                new GaussianNoise(source("noise"))).withLedger(ledger, s.phaseId()).withMaxSteps(allowed).injectFaultForTest(fault);
        if (extra != null) dp.withExtraExamples(extra);
        PoissonSampler sampler = new PoissonSampler(y.length, s.sampleRate(), source("sampler"));
        model.train();
        for (long step = start; step < s.steps(); step++) {
            if (step >= allowed) {
                double spent = PrivacyEngine.spent(ledger, s.datasetFingerprint(), s.delta(), accountant).epsilon();
                throw new DpSgd.BudgetExhaustedException(String.format("privacy budget exhausted: %d of %d steps ran, ε = %.4f spent on this "
                        + "dataset (all phases in %s), and one more step would pass the target ε = %s", step, s.steps(), spent, ledgerFile, s.targetEpsilon()));
            }
            dp.step(step, sampler.batch(step), this::losses);
            if ((step + 1) % s.checkpointEvery() == 0 || step + 1 == s.steps()) checkpoint(step + 1, optimizer, ledger);
            listener.completed(step);
        }
        double eps = PrivacyEngine.spent(ledger, s.datasetFingerprint(), s.delta(), accountant).epsilon();
        return new Outcome(s.steps() - start, start, eps, ledger.stepsRecorded(s.phaseId()));
    }

    private RandomSource source(String purpose) {
        return s.secure() ? RandomSource.secure() : RandomSource.deterministic(s.seed(), purpose);
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

    /**
     * The most steps this phase may have run in total so that, composed with every other phase on the same data in
     * the ledger, ε stays within the target. Bisection: ε grows with the step count.
     */
    long allowedSteps(PrivacyLedger ledger, Accountant accountant) {
        List<Segment> others = new ArrayList<>();
        for (PrivacyLedger.Spend sp : ledger.spendsOn(s.datasetFingerprint())) {
            if (sp.phase().id().equals(s.phaseId()) || sp.steps() == 0) continue;
            others.add(new Segment(sp.phase().sampleRate(), sp.phase().noiseMultiplier(), sp.steps()));
        }
        if (epsilonWith(others, 1, accountant) > s.targetEpsilon()) return 0;
        long lo = 1, hi = 2;
        while (hi <= s.steps() && epsilonWith(others, hi, accountant) <= s.targetEpsilon()) {
            lo = hi;
            hi *= 2;
        }
        if (hi > s.steps() && epsilonWith(others, s.steps(), accountant) <= s.targetEpsilon()) return s.steps();
        hi = Math.min(hi, s.steps());
        while (hi - lo > 1) {
            long mid = (lo + hi) >>> 1;
            if (epsilonWith(others, mid, accountant) <= s.targetEpsilon()) lo = mid;
            else hi = mid;
        }
        return lo;
    }

    private double epsilonWith(List<Segment> others, long steps, Accountant accountant) {
        List<Segment> h = new ArrayList<>(others);
        h.add(new Segment(s.sampleRate(), s.noiseMultiplier(), steps));
        return accountant.epsilon(h, s.delta()).epsilon();
    }

    private void checkpoint(long stepsDone, SGD optimizer, PrivacyLedger ledger) throws IOException {
        Map<String, Tensor> all = new LinkedHashMap<>();
        model.stateDict().forEach((k, v) -> all.put("model." + k, v));
        optimizer.state().forEach((k, v) -> all.put("optimizer." + k, v));
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("step", Long.toString(stepsDone));
        meta.put("phase", s.phaseId());
        meta.put("ledger_head", ledger.head());
        meta.put("ledger_entries", Long.toString(ledger.entryCount()));
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

    /** Loads the last checkpoint, if any, and returns the step to continue from (0 for a fresh run). */
    private long resume(PrivacyLedger ledger, SGD optimizer) throws IOException {
        Path file = outDir.resolve(CHECKPOINT);
        removeStaleTemporaries(file);
        if (!Files.exists(file)) return 0;
        SafeTensors.Contents c;
        try {
            c = SafeTensors.read(file);
        } catch (IOException e) {
            throw new BadCheckpointException(e.getMessage());
        }
        Map<String, String> meta = c.metadata();
        if (!s.toString().equals(meta.get("settings"))) {
            throw new BadCheckpointException(file + ": checkpoint of a run with other settings; use a new --out folder");
        }
        long step, entries;
        try {
            step = Long.parseLong(meta.get("step"));
            entries = Long.parseLong(meta.get("ledger_entries"));
        } catch (NumberFormatException | NullPointerException e) {
            throw new BadCheckpointException(file + ": checkpoint metadata lacks its step or ledger position");
        }
        try {
            ledger.requireReaches(meta.get("ledger_head"), entries);
        } catch (IllegalStateException e) {
            throw new BadCheckpointException(e.getMessage());
        }
        if (ledger.stepsRecorded(s.phaseId()) < step) {
            throw new BadCheckpointException(file + " is at step " + step + " but the ledger records only " + ledger.stepsRecorded(s.phaseId()));
        }
        Map<String, Tensor> weights = new LinkedHashMap<>(), state = new LinkedHashMap<>();
        c.tensors().forEach((k, v) -> {
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
        return step;
    }
}
