package org.dpmammo.train.gan;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Map;
import org.dpmammo.data.Dataset;
import org.dpmammo.nn.SafeTensors;
import org.dpmammo.privacy.accounting.Accountant;
import org.dpmammo.privacy.dpsgd.DpSgd;
import org.dpmammo.privacy.dpsgd.PrivacyPlanner;
import org.dpmammo.privacy.dpsgd.PrivateTraining;
import org.dpmammo.train.TrainingRecords;

/**
 * The privacy side of a DP GAN run: σ planned for the whole run, then the one DP driver ({@link PrivateTraining})
 * around D's Adam, spending against the run's ledger (or {@code --ledger}) under phase "GAN discriminator DP-Adam",
 * keyed by the training records, so that a classifier later trained on the same records composes with it.
 *
 * <p>A DP run never continues a checkpoint trained without DP (its discriminator saw the data without a
 * guarantee), and a run without DP never continues a DP checkpoint (it would silently drop the guarantee).
 */
final class PrivateDiscriminator implements AutoCloseable {
    final PrivacyPlanner.Plan plan;
    final PrivateTraining training;

    private PrivateDiscriminator(PrivacyPlanner.Plan plan, PrivateTraining training) {
        this.plan = plan;
        this.training = training;
    }

    /** Plans σ and opens the driver, which checks the checkpoint being resumed (null for a fresh run) before anything is written. */
    static PrivateDiscriminator open(GanTrainer.Options o, GanState state, Dataset data, Path out, Path resumedCheckpoint, PrintStream log) throws IOException {
        GanTrainer.Dp d = o.dp();
        if (o.model().discriminatorNorm().mixesExamples()) {
            throw new IllegalArgumentException("DP training needs instance norm or none in the discriminator: BatchNorm mixes the examples of a batch, so per-example gradients do not exist (use --norm-d instance or none)");
        }
        Accountant accountant = PrivacyPlanner.accountant(d.accountant());
        PrivacyPlanner.Plan plan = PrivacyPlanner.plan(data.size(), o.batchSize(), o.epochs(), d.targetEpsilon(), d.delta(), accountant);
        plan.warnings().forEach(w -> log.println("accountant: " + w));
        Map<String, String> resumed = resumedCheckpoint == null ? null : SafeTensors.read(resumedCheckpoint).metadata();
        Path ledger = d.ledger() != null ? d.ledger() : out.resolve("ledger.json");
        PrivateTraining training = PrivateTraining.open(new PrivateTraining.Spec(null, "GAN discriminator DP-Adam", d.delta(), d.maxGradNorm(), d.accountant(),
                        d.randomness(), d.physicalBatch(), DpSgd.Clipping.FLAT, d.budget()),
                new PrivateTraining.Schedule(plan.sampleRate(), plan.steps(), plan.noiseMultiplier()), TrainingRecords.of(data),
                state.discriminator, state.optD, ledger, out, resumed, Double.POSITIVE_INFINITY, log);
        log.printf("DP discriminator: N %d, q %.6f, %d steps, σ %.4f, C %.3g, δ %.3g, target ε %.3g (%s), %s randomness%n", data.size(), plan.sampleRate(),
                plan.steps(), plan.noiseMultiplier(), d.maxGradNorm(), d.delta(), d.targetEpsilon(), accountant.name(), d.randomness().label());
        return new PrivateDiscriminator(plan, training);
    }

    @Override
    public void close() throws IOException {
        training.close();
    }

    /** Refuses to continue a DP checkpoint without DP. */
    static void refuseDpCheckpoint(Path checkpoint) throws IOException {
        if (PrivateTraining.isPrivate(SafeTensors.read(checkpoint).metadata())) {
            throw new IllegalStateException(checkpoint + " was trained with DP; continuing it without --dp would drop the guarantee (resume with the same --dp settings)");
        }
    }
}
