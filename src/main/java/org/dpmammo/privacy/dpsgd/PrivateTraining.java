package org.dpmammo.privacy.dpsgd;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import org.dpmammo.autograd.Variable;
import org.dpmammo.nn.Module;
import org.dpmammo.optim.Optimizer;
import org.dpmammo.privacy.accounting.Accountant;
import org.dpmammo.privacy.accounting.Epsilon;
import org.dpmammo.privacy.accounting.Segment;
import org.dpmammo.privacy.ledger.PrivacyLedger;
import org.dpmammo.privacy.ledger.RecordGroups;
import org.dpmammo.privacy.noise.GaussianNoise;
import org.dpmammo.privacy.noise.Randomness;
import org.dpmammo.util.AtomicFiles;

/**
 * The one DP training driver every trainer, the audit and the benchmark use: plan → ledger phase → sampler → noise →
 * {@link DpSgd} → checkpoint metadata bound to the ledger → resume checks → budget stop. Following
 * {@code --target-epsilon} from the command line to the noise passes through here and nowhere else.
 *
 * <p>What it guarantees:
 * <ul>
 *   <li>Randomness is secure unless the caller opted in to {@link Randomness#reproducible}; reproducible keys are
 *       bound to this run's unique id ({@code dp-run.json} in the run folder), never shared between runs.</li>
 *   <li>Every step is reserved in the ledger before it runs (write-ahead), the ledger is locked for the run's life,
 *       and the phase names every record it may sample (per-record content ids), so spend composes per record with
 *       every other phase in the same ledger.</li>
 *   <li>A resume must present a checkpoint of this run whose ledger head the ledger still reaches and whose steps
 *       the ledger still records; under secure randomness the steps a crash lost stay spent (their noise cannot be
 *       redrawn), so the resumed run continues at later ledger steps and stops when the budget is reached.</li>
 *   <li>{@code budget}: before the first step, a run that would take any record past it is refused, naming the
 *       phases already spent on those records.</li>
 * </ul>
 */
public final class PrivateTraining implements AutoCloseable {
    /** Checkpoint metadata keys. */
    public static final String RUN_KEY = "dpmammo.dp.run_id", PHASE_KEY = "dpmammo.dp.phase", STEPS_KEY = "dpmammo.dp.steps_done",
            LEDGER_STEPS_KEY = "dpmammo.dp.ledger_steps", HEAD_KEY = "dpmammo.dp.ledger_head", ENTRIES_KEY = "dpmammo.dp.ledger_entries";
    /** The run folder file that fixes a DP run's identity before its first step. */
    public static final String RUN_FILE = "dp-run.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * What the run promises.
     *
     * @param phaseId the ledger phase id, or null for "phase name + run id" (unique per run)
     * @param budget the most ε any record may reach once this run is composed with the ledger's other phases
     *     (refused before the first step otherwise); +∞ for no such check
     */
    public record Spec(String phaseId, String phaseName, double delta, double maxGradNorm, String accountant, Randomness randomness,
            int physicalBatch, DpSgd.Clipping clipping, double budget) {
        public Spec {
            if (!(delta > 0 && delta < 1)) throw new IllegalArgumentException("δ must be in (0, 1), got " + delta);
            if (!(maxGradNorm > 0) || Double.isInfinite(maxGradNorm)) throw new IllegalArgumentException("clipping norm C must be positive and finite, got " + maxGradNorm);
            if (!(budget > 0)) throw new IllegalArgumentException("--budget must be positive, got " + budget);
            PrivacyPlanner.accountant(accountant);
        }
    }

    /**
     * The private training set as the ledger knows it: its fingerprint, its size, and the content ids of its records
     * (sorted, distinct 32-hex prefixes of each record's SHA-256; null to key the phase by the fingerprint alone).
     */
    public record Records(String fingerprint, int size, List<String> ids) {}

    /** The schedule and σ this run follows (usually {@link PrivacyPlanner#plan}). */
    public record Schedule(double sampleRate, long steps, double noiseMultiplier) {}

    private final Spec spec;
    private final Schedule schedule;
    private final Records records;
    private final PrivacyLedger ledger;
    private final PrivacyLedger.Phase phase;
    private final Accountant accountant;
    private final PoissonSampler sampler;
    private final DpSgd dpsgd;
    private final long ledgerOffset;
    private final long maxLedgerSteps;

    private PrivateTraining(Spec spec, Schedule schedule, Records records, PrivacyLedger ledger, PrivacyLedger.Phase phase, PoissonSampler sampler,
            DpSgd dpsgd, long ledgerOffset, long maxLedgerSteps) {
        this.spec = spec;
        this.schedule = schedule;
        this.records = records;
        this.ledger = ledger;
        this.phase = phase;
        this.accountant = PrivacyPlanner.accountant(spec.accountant());
        this.sampler = sampler;
        this.dpsgd = dpsgd;
        this.ledgerOffset = ledgerOffset;
        this.maxLedgerSteps = maxLedgerSteps;
    }

    /**
     * Opens the run: locks the ledger, checks the checkpoint being resumed ({@code resumed}: its metadata, null for a
     * fresh run) against the ledger before anything is written, checks the budget, begins (or continues) the phase
     * and wraps the optimizer in DP-SGD. {@code stopAtEpsilon}: the run may not take its records past this ε even
     * if the schedule has more steps (the audit's target; +∞ for none) — it then ends early.
     */
    public static PrivateTraining open(Spec spec, Schedule schedule, Records records, Module model, Optimizer optimizer, Path ledgerFile, Path runDir,
            Map<String, String> resumed, double stopAtEpsilon, PrintStream log) throws IOException {
        // Which run this is (and whether the checkpoint is a DP one) is settled before the ledger is touched.
        String runId = runId(runDir, resumed);
        PrivacyLedger ledger = PrivacyLedger.open(ledgerFile).holdLock();
        try {
            return begin(spec, schedule, records, model, optimizer, ledger, runDir, runId, resumed, stopAtEpsilon, log);
        } catch (IOException | RuntimeException e) {
            ledger.close();
            throw e;
        }
    }

    private static PrivateTraining begin(Spec spec, Schedule schedule, Records records, Module model, Optimizer optimizer, PrivacyLedger ledger,
            Path runDir, String runId, Map<String, String> resumed, double stopAtEpsilon, PrintStream log) throws IOException {
        String phaseId = spec.phaseId() != null ? spec.phaseId() : slug(spec.phaseName()) + "-" + runId.substring(0, 12);
        PrivacyLedger.Phase phase = new PrivacyLedger.Phase(phaseId, spec.phaseName(), records.fingerprint(), records.size(), schedule.sampleRate(),
                schedule.noiseMultiplier(), spec.maxGradNorm(), spec.delta(), spec.accountant(), spec.randomness().secureMode(), runId, records.ids());
        PrivacyLedger.Phase recorded = ledger.phase(phaseId);
        if (recorded != null && !recorded.equals(phase)) {
            throw new IllegalStateException(ledger.file() + " records phase '" + phaseId + "' with other parameters (data, q, σ, C, δ, accountant or"
                    + " randomness): resume with the run's own settings and data");
        }
        long stepsDone = resumed == null ? 0 : checkResumed(resumed, ledger, phaseId);
        long spentInPhase = ledger.stepsRecorded(phaseId);
        // Ledger steps the checkpoint already did not hold (lost before an earlier resume).
        long offsetBefore = resumed == null ? 0 : Long.parseLong(resumed.get(LEDGER_STEPS_KEY)) - stepsDone;
        // Under secure randomness a lost step cannot be redrawn, so it stays spent; a replayed reproducible step redraws
        // the same batch and the same noise: the same computation, spent once.
        long offset = spec.randomness().secureMode() ? spentInPhase - stepsDone : offsetBefore;
        Accountant accountant = PrivacyPlanner.accountant(spec.accountant());
        checkBudget(spec, schedule, records, ledger, phase, accountant);
        long maxLedgerSteps = Math.min(schedule.steps(), allowedSteps(ledger, phase, records, schedule, stopAtEpsilon, spec.delta(), accountant));
        if (offset > offsetBefore) {
            log.printf(Locale.ROOT, "DP: %d steps ran after the last checkpoint and were lost; they stay spent (their noise cannot be redrawn), so %d steps are left%n",
                    offset - offsetBefore, Math.max(0, maxLedgerSteps - spentInPhase));
        }
        writeRunFile(runDir, runId, phaseId, ledger.file());
        ledger.beginPhase(phase);
        PoissonSampler sampler = new PoissonSampler(records.size(), schedule.sampleRate(), spec.randomness().source(runId, "sampler"));
        GaussianNoise noise = new GaussianNoise(spec.randomness().source(runId, "noise"));
        DpSgd dpsgd = new DpSgd(model, optimizer, new DpSgd.Config(schedule.noiseMultiplier(), spec.maxGradNorm(), schedule.sampleRate(), records.size(),
                spec.physicalBatch(), spec.clipping()), noise).withLedger(ledger, phaseId).withLedgerOffset(offset).withMaxSteps(maxLedgerSteps);
        return new PrivateTraining(spec, schedule, records, ledger, phase, sampler, dpsgd, offset, maxLedgerSteps);
    }

    /** The run's id: from the checkpoint, else from the run folder's dp-run.json, else a fresh 128-bit id. */
    private static String runId(Path runDir, Map<String, String> resumed) throws IOException {
        Path f = runDir.resolve(RUN_FILE);
        String fromFile = null;
        if (Files.exists(f)) {
            JsonNode n;
            try {
                n = JSON.readTree(f.toFile());
            } catch (IOException e) {
                throw new IOException(f + ": not valid JSON (" + e.getMessage().split("\n")[0] + ")");
            }
            fromFile = n.path("run_id").asText(null);
            if (fromFile == null || !fromFile.matches("[0-9a-f]{32}")) throw new IOException(f + ": no valid run_id");
        }
        if (resumed != null) {
            String fromCheckpoint = resumed.get(RUN_KEY);
            if (fromCheckpoint == null) throw new IllegalStateException("the checkpoint was trained without DP; a DP run cannot continue it (it saw the data without a guarantee)");
            if (fromFile != null && !fromFile.equals(fromCheckpoint)) {
                throw new IllegalStateException(f + " names run " + fromFile + " but the checkpoint belongs to run " + fromCheckpoint + ": they are from different runs");
            }
            return fromCheckpoint;
        }
        if (fromFile != null) return fromFile;
        byte[] id = new byte[16];
        new SecureRandom().nextBytes(id);
        return HexFormat.of().formatHex(id);
    }

    private static void writeRunFile(Path runDir, String runId, String phaseId, Path ledgerFile) throws IOException {
        ObjectNode o = JSON.createObjectNode();
        o.put("run_id", runId);
        o.put("phase", phaseId);
        o.put("ledger", ledgerFile.toAbsolutePath().normalize().toString());
        Files.createDirectories(runDir);
        AtomicFiles.writeString(runDir.resolve(RUN_FILE), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(o) + "\n");
    }

    /** The checkpoint's steps, after checking that the ledger still holds everything the checkpoint saw. */
    private static long checkResumed(Map<String, String> meta, PrivacyLedger ledger, String phaseId) {
        long steps, ledgerSteps, entries;
        try {
            steps = Long.parseLong(meta.get(STEPS_KEY));
            ledgerSteps = Long.parseLong(meta.get(LEDGER_STEPS_KEY));
            entries = Long.parseLong(meta.get(ENTRIES_KEY));
        } catch (NumberFormatException | NullPointerException e) {
            throw new IllegalStateException("the checkpoint lacks its DP step or ledger position (" + STEPS_KEY + ", " + LEDGER_STEPS_KEY + ", " + ENTRIES_KEY + ")");
        }
        if (!phaseId.equals(meta.get(PHASE_KEY))) throw new IllegalStateException("the checkpoint belongs to ledger phase " + meta.get(PHASE_KEY) + ", not " + phaseId);
        ledger.requireReaches(meta.get(HEAD_KEY), entries);
        if (ledger.stepsRecorded(phaseId) < ledgerSteps) {
            throw new IllegalStateException(ledger.file() + " records " + ledger.stepsRecorded(phaseId) + " steps of phase " + phaseId + " but the checkpoint ran "
                    + ledgerSteps + ": the ledger was cut or replaced");
        }
        return steps;
    }

    private static void checkBudget(Spec spec, Schedule schedule, Records records, PrivacyLedger ledger, PrivacyLedger.Phase phase, Accountant accountant) {
        if (Double.isInfinite(spec.budget())) return;
        // The ledger never goes past the schedule's steps (lost steps only end the run earlier).
        long planned = Math.max(ledger.stepsRecorded(phase.id()), schedule.steps());
        PrivacyPlanner.GroupEpsilon worst = PrivacyPlanner.worst(PrivacyPlanner.epsilonByGroup(groups(ledger, phase, records, planned), spec.delta(), accountant));
        if (worst == null || worst.epsilon().epsilon() <= spec.budget()) return;
        List<String> before = new ArrayList<>();
        for (PrivacyLedger.Spend s : worst.group().spends()) {
            if (!s.phase().id().equals(phase.id())) before.add(s.phase().id() + " (" + s.phase().name() + ", " + ledger.stepsRecorded(s.phase().id()) + " steps)");
        }
        throw new BudgetExceededException(String.format(Locale.ROOT, "--budget %s: this run would take %d records to ε %.4f (%s, δ %s); phases already spent on them in %s: %s;"
                + " nothing was run", spec.budget(), worst.group().records(), worst.epsilon().epsilon(), accountant.name(), spec.delta(), ledger.file(),
                before.isEmpty() ? "none" : String.join(", ", before)));
    }

    /** Refused before the first step: the run would take some record past its budget. */
    public static final class BudgetExceededException extends IllegalArgumentException {
        public BudgetExceededException(String message) {
            super(message);
        }
    }

    private static List<RecordGroups.Group> groups(PrivacyLedger ledger, PrivacyLedger.Phase phase, Records records, long steps) {
        List<String> ids = records.ids() != null ? records.ids() : List.of("fingerprint:" + records.fingerprint());
        return ledger.groups().of(ids, new PrivacyLedger.Spend(phase, steps));
    }

    /**
     * The most ledger steps this phase may have in total so that, composed with every other phase on its records, ε
     * stays within {@code cap}. Bisection: ε grows with the step count.
     */
    private static long allowedSteps(PrivacyLedger ledger, PrivacyLedger.Phase phase, Records records, Schedule schedule, double cap, double delta,
            Accountant accountant) {
        if (Double.isInfinite(cap)) return Long.MAX_VALUE;
        long limit = Math.max(schedule.steps(), ledger.stepsRecorded(phase.id()));
        Function<Long, Double> eps = k -> PrivacyPlanner.worst(PrivacyPlanner.epsilonByGroup(groups(ledger, phase, records, k), delta, accountant)).epsilon().epsilon();
        if (eps.apply(1L) > cap) return 0;
        if (eps.apply(limit) <= cap) return limit;
        long lo = 1, hi = limit;
        while (hi - lo > 1) {
            long mid = (lo + hi) >>> 1;
            if (eps.apply(mid) <= cap) lo = mid;
            else hi = mid;
        }
        return lo;
    }

    /**
     * The Poisson batch of model step {@code step}: a pure function of the run's key and the step, so a trainer may
     * ask for the next step's batch early to decode its images while this step computes. It spends nothing.
     */
    public int[] batch(long step) {
        return sampler.batch(step);
    }

    /** Whether model step {@code step} still fits the budget (it may not after a crash lost steps, or at the audit's cap). */
    public boolean canStep(long step) {
        return step + ledgerOffset < maxLedgerSteps;
    }

    /** One DP step on the step's Poisson batch: reserved in the ledger first, then clipped, noised and applied. */
    public DpSgd.StepStats step(long step, Function<int[], Variable> perExampleLosses) throws IOException {
        return dpsgd.step(step, sampler.batch(step), perExampleLosses);
    }

    /** The DP-SGD step itself, for trainers that add a public gradient (the GAN). */
    public DpSgd dpSgd() {
        return dpsgd;
    }

    /** What a checkpoint taken after {@code stepsDone} model steps must carry so that a resume can be checked. */
    public Map<String, String> checkpointMetadata(long stepsDone) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(RUN_KEY, phase.runId());
        m.put(PHASE_KEY, phase.id());
        m.put(STEPS_KEY, Long.toString(stepsDone));
        m.put(LEDGER_STEPS_KEY, Long.toString(stepsDone + ledgerOffset));
        m.put(HEAD_KEY, ledger.head());
        m.put(ENTRIES_KEY, Long.toString(ledger.entryCount()));
        return m;
    }

    /** Whether a checkpoint's metadata says it was trained under DP (a run without DP must not continue it). */
    public static boolean isPrivate(Map<String, String> meta) {
        return meta.containsKey(RUN_KEY);
    }

    /**
     * ε spent on this run's records as the ledger records it: every phase in the ledger that touched any of them,
     * composed per record, the worst group reported.
     */
    public Epsilon spent() {
        PrivacyPlanner.GroupEpsilon w = PrivacyPlanner.worst(PrivacyPlanner.epsilonByGroup(groups(ledger, phase, records, ledger.stepsRecorded(phase.id())),
                spec.delta(), accountant));
        return w.epsilon();
    }

    /** ε of this phase alone at its recorded steps (the ε the target was calibrated in; the selection window's). */
    public double phaseEpsilon() {
        long steps = ledger.stepsRecorded(phase.id());
        return steps == 0 ? 0 : accountant.epsilon(List.of(new Segment(schedule.sampleRate(), schedule.noiseMultiplier(), steps)), spec.delta()).epsilon();
    }

    public Schedule schedule() {
        return schedule;
    }

    public PrivacyLedger.Phase phase() {
        return phase;
    }

    public PrivacyLedger ledger() {
        return ledger;
    }

    public Randomness randomness() {
        return spec.randomness();
    }

    public Accountant accountant() {
        return accountant;
    }

    /** The run's privacy facts for metrics.json: spend, plan, lost steps, randomness, and the ledger position. */
    public Map<String, Object> summary(double plannedEpsilon) {
        Map<String, Object> m = new LinkedHashMap<>();
        Epsilon spent = spent();
        m.put("epsilon", spent.epsilon());
        m.put("epsilon_is_guarantee", spec.randomness().secureMode());
        m.put("delta", spec.delta());
        m.put("accountant", accountant.name());
        m.put("planned_epsilon", plannedEpsilon);
        m.put("noise_multiplier", schedule.noiseMultiplier());
        m.put("sample_rate", schedule.sampleRate());
        m.put("max_grad_norm", spec.maxGradNorm());
        m.put("steps_planned", schedule.steps());
        m.put("steps_recorded", ledger.stepsRecorded(phase.id()));
        m.put("steps_lost_to_crashes", ledgerOffset);
        m.put("randomness", spec.randomness().label());
        m.put("phase", phase.id());
        m.put("run_id", phase.runId());
        m.put("records", records.ids() == null ? records.size() : records.ids().size());
        m.put("dataset_fingerprint", records.fingerprint());
        m.put("ledger", ledger.file().toAbsolutePath().normalize().toString());
        m.put("ledger_head", ledger.head());
        m.put("ledger_entries", ledger.entryCount());
        return m;
    }

    /** A one-line statement of ε spent, marked where the randomness was reproducible. */
    public String describeSpent() {
        Epsilon e = spent();
        return String.format(Locale.ROOT, "ε spent %.4f (δ %s, %s, %d steps in %s)%s", e.epsilon(), spec.delta(), accountant.name(),
                ledger.stepsRecorded(phase.id()), ledger.file(), spec.randomness().epsilonMark());
    }

    private static String slug(String name) {
        return name.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("(^-|-$)", "");
    }

    /** Releases the ledger's lock. */
    @Override
    public void close() throws IOException {
        ledger.close();
    }
}
