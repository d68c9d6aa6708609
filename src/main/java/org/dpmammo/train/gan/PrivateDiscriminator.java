package org.dpmammo.train.gan;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.dpmammo.data.Dataset;
import org.dpmammo.nn.SafeTensors;
import org.dpmammo.privacy.accounting.Accountant;
import org.dpmammo.privacy.dpsgd.DpSgd;
import org.dpmammo.privacy.dpsgd.PoissonSampler;
import org.dpmammo.privacy.dpsgd.PrivacyEngine;
import org.dpmammo.privacy.ledger.PrivacyLedger;
import org.dpmammo.privacy.noise.GaussianNoise;
import org.dpmammo.privacy.noise.RandomSource;

/**
 * The privacy side of a DP GAN run: the calibrated plan, the Poisson sampler, DP-SGD on the discriminator and the
 * run's write-ahead ledger ({@code ledger.json}, phase {@link GanTrainer#DP_PHASE}, under the training set's
 * fingerprint, so that a classifier later trained on the same records composes with it).
 *
 * <p>A checkpoint of a DP run carries the phase it belongs to and the ledger's head; a resume must present the same
 * phase and a ledger that still reaches that head and records at least the checkpoint's steps. A DP run never
 * continues a checkpoint trained without DP (its discriminator saw the data without a guarantee), and a run
 * without DP never continues a DP checkpoint (it would silently drop the guarantee).
 */
final class PrivateDiscriminator {
    static final String PHASE_KEY = "dpmammo.dp_phase", HEAD_KEY = "dpmammo.ledger_head", ENTRIES_KEY = "dpmammo.ledger_entries";
    private static final ObjectMapper JSON = new ObjectMapper();

    final PrivacyEngine.Plan plan;
    final PoissonSampler sampler;
    final DpSgd dpsgd;
    private final PrivacyLedger ledger;
    private final PrivacyLedger.Phase phase;
    private final Accountant accountant;
    private final String fingerprint;

    private PrivateDiscriminator(PrivacyEngine.Plan plan, PoissonSampler sampler, DpSgd dpsgd, PrivacyLedger ledger, PrivacyLedger.Phase phase,
            Accountant accountant, String fingerprint) {
        this.plan = plan;
        this.sampler = sampler;
        this.dpsgd = dpsgd;
        this.ledger = ledger;
        this.phase = phase;
        this.accountant = accountant;
        this.fingerprint = fingerprint;
    }

    /**
     * Plans σ for the whole run, checks the checkpoint being resumed (null for a fresh run; before anything is
     * written), opens (or continues) the ledger and wraps D's Adam in DP-SGD.
     */
    static PrivateDiscriminator open(GanTrainer.Options o, GanState state, Dataset data, Path out, Path resumedCheckpoint, PrintStream log) throws IOException {
        GanTrainer.Dp d = o.dp();
        if (o.model().discriminatorNorm().mixesExamples()) {
            throw new IllegalArgumentException("DP training needs instance norm or none in the discriminator: BatchNorm mixes the examples of a batch, so per-example gradients do not exist (use --norm-d instance or none)");
        }
        Accountant accountant = PrivacyEngine.accountant(d.accountant());
        PrivacyEngine.Plan plan = PrivacyEngine.plan(data.size(), o.batchSize(), o.epochs(), d.targetEpsilon(), d.delta(), accountant);
        plan.warnings().forEach(w -> log.println("accountant: " + w));
        String fingerprint = data.fingerprint();
        PrivacyLedger.Phase phase = new PrivacyLedger.Phase(GanTrainer.DP_PHASE, "GAN discriminator DP-Adam", fingerprint, data.size(), plan.sampleRate(),
                plan.noiseMultiplier(), d.maxGradNorm(), d.delta(), accountant.name(), d.secureRandomness());
        Map<String, String> resumedMeta = resumedCheckpoint == null ? null : SafeTensors.read(resumedCheckpoint).metadata();
        if (resumedMeta != null) checkPhase(resumedCheckpoint, resumedMeta, phaseJson(phase, plan));
        PrivacyLedger ledger = PrivacyLedger.open(out.resolve("ledger.json"));
        if (resumedMeta != null) checkLedger(resumedCheckpoint, resumedMeta, ledger, (long) state.epoch() * plan.stepsPerEpoch());
        ledger.beginPhase(phase);
        PoissonSampler sampler = new PoissonSampler(data.size(), plan.sampleRate(),
                d.secureRandomness() ? RandomSource.secure() : RandomSource.deterministic(o.seed(), "gan-sampler"));
        GaussianNoise noise = new GaussianNoise(d.secureRandomness() ? RandomSource.secure() : RandomSource.deterministic(o.seed(), "gan-noise"));
        DpSgd dpsgd = new DpSgd(state.discriminator, state.optD,
                new DpSgd.Config(plan.noiseMultiplier(), d.maxGradNorm(), plan.sampleRate(), data.size(), d.physicalBatch(), DpSgd.Clipping.FLAT), noise)
                .withLedger(ledger, GanTrainer.DP_PHASE).withMaxSteps(plan.steps());
        log.printf("DP discriminator: N %d, q %.6f, %d steps, σ %.4f, C %.3g, δ %.3g, target ε %.3g (%s), %s randomness%n", data.size(), plan.sampleRate(),
                plan.steps(), plan.noiseMultiplier(), d.maxGradNorm(), d.delta(), d.targetEpsilon(), accountant.name(),
                d.secureRandomness() ? "secure" : "deterministic (seeded: for tests and audits only)");
        return new PrivateDiscriminator(plan, sampler, dpsgd, ledger, phase, accountant, fingerprint);
    }

    /** Refuses a checkpoint of a non-private run or of another DP setting. */
    private static void checkPhase(Path checkpoint, Map<String, String> meta, String phaseJson) {
        String saved = meta.get(PHASE_KEY);
        if (saved == null) {
            throw new IllegalStateException(checkpoint + " was trained without DP; a DP run cannot continue it (its discriminator saw the data without a guarantee)");
        }
        if (!saved.equals(phaseJson)) {
            throw new IllegalStateException(checkpoint + " belongs to another DP setting (" + saved + "); resume with the same --target-epsilon, --delta, --max-grad-norm, --accountant and epochs");
        }
    }

    /** Refuses a ledger that no longer reaches the checkpoint's head or records fewer steps than the checkpoint ran. */
    private static void checkLedger(Path checkpoint, Map<String, String> meta, PrivacyLedger ledger, long stepsRun) {
        ledger.requireReaches(meta.get(HEAD_KEY), Long.parseLong(meta.get(ENTRIES_KEY)));
        if (ledger.stepsRecorded(GanTrainer.DP_PHASE) < stepsRun) {
            throw new IllegalStateException(ledger.file() + " records " + ledger.stepsRecorded(GanTrainer.DP_PHASE) + " steps but " + checkpoint + " ran " + stepsRun);
        }
    }

    /** Refuses to continue a DP checkpoint without DP. */
    static void refuseDpCheckpoint(Path checkpoint) throws IOException {
        if (SafeTensors.read(checkpoint).metadata().containsKey(PHASE_KEY)) {
            throw new IllegalStateException(checkpoint + " was trained with DP; continuing it without --dp would drop the guarantee (resume with the same --dp settings)");
        }
    }

    /** ε spent on the training set as the ledger records it (at least every step run so far). */
    double spent(int epochsDone) {
        if (epochsDone == 0 && ledger.stepsRecorded(GanTrainer.DP_PHASE) == 0) return 0;
        return PrivacyEngine.spent(ledger, fingerprint, phase.delta(), accountant).epsilon();
    }

    Map<String, String> checkpointMetadata(double epsilon) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(PHASE_KEY, phaseJson(phase, plan));
        m.put(HEAD_KEY, ledger.head());
        m.put(ENTRIES_KEY, Long.toString(ledger.entryCount()));
        m.put("dpmammo.epsilon", Double.toString(epsilon));
        return m;
    }

    Map<String, Object> summary(double epsilon, int epochsDone) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("epsilon", epsilon);
        m.put("delta", phase.delta());
        m.put("planned_epsilon", plan.epsilon().epsilon());
        m.put("noise_multiplier", phase.noiseMultiplier());
        m.put("sample_rate", phase.sampleRate());
        m.put("max_grad_norm", phase.maxGradNorm());
        m.put("steps_recorded", ledger.stepsRecorded(GanTrainer.DP_PHASE));
        m.put("steps_planned", plan.steps());
        m.put("accountant", accountant.name());
        m.put("secure_randomness", phase.secureRandomness());
        m.put("dataset_fingerprint", fingerprint);
        m.put("ledger", "ledger.json");
        return m;
    }

    /** The phase and the planned step count: a resume must continue exactly this plan. */
    private static String phaseJson(PrivacyLedger.Phase phase, PrivacyEngine.Plan plan) {
        try {
            return JSON.writeValueAsString(phase) + "|steps=" + plan.steps();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
