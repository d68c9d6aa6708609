package org.dpmammo.privacy.dpsgd;

import java.util.ArrayList;
import java.util.List;
import org.dpmammo.privacy.accounting.Accountant;
import org.dpmammo.privacy.accounting.Calibration;
import org.dpmammo.privacy.accounting.Epsilon;
import org.dpmammo.privacy.accounting.PrvAccountant;
import org.dpmammo.privacy.accounting.RdpAccountant;
import org.dpmammo.privacy.accounting.Segment;
import org.dpmammo.privacy.ledger.PrivacyLedger;
import org.dpmammo.privacy.ledger.RecordGroups;

/**
 * Plans a DP training run the way Opacus' {@code make_private_with_epsilon} does, and reads spend back from a
 * ledger. With N examples and a nominal batch size B, an epoch is ⌈N/B⌉ steps and q = 1/⌈N/B⌉ (Opacus sets
 * q = 1/len(data_loader)); the expected batch q·N is then at most B. σ is the smallest noise multiplier whose ε
 * over all planned steps stays within the target (never above it).
 */
public final class PrivacyPlanner {
    private PrivacyPlanner() {}

    /**
     * Opacus' schedule, the one definition every trainer and the {@code privacy} command share: ⌈N/B⌉ steps per
     * epoch at q = 1/⌈N/B⌉ (so the expected batch q·N is at most B).
     */
    public record Schedule(double sampleRate, int stepsPerEpoch, long steps) {}

    public static Schedule schedule(long datasetSize, long batchSize, long epochs) {
        if (datasetSize <= 0 || batchSize <= 0 || epochs <= 0) {
            throw new IllegalArgumentException("dataset size, batch size and epochs must be positive (got " + datasetSize + ", " + batchSize + ", " + epochs + ")");
        }
        long perEpoch = (datasetSize + batchSize - 1) / batchSize;
        if (perEpoch > Integer.MAX_VALUE || perEpoch * (double) epochs > Long.MAX_VALUE / 2) {
            throw new IllegalArgumentException("schedule of " + epochs + " epochs of " + perEpoch + " steps is too long");
        }
        return new Schedule(1.0 / perEpoch, (int) perEpoch, perEpoch * epochs);
    }

    /** A calibrated schedule: q, steps per epoch, total steps, σ, and the ε the accountant certifies for it. */
    public record Plan(double sampleRate, int stepsPerEpoch, long steps, double noiseMultiplier, double delta, Epsilon epsilon, List<String> warnings) {}

    public static Accountant accountant(String name) {
        return switch (name) {
            case "rdp" -> new RdpAccountant();
            case "prv" -> new PrvAccountant();
            default -> throw new IllegalArgumentException("unknown accountant '" + name + "' (expected rdp or prv)");
        };
    }

    /** Calibrates σ for (ε, δ) over {@code epochs} epochs of Poisson batches of expected size about B. */
    public static Plan plan(int datasetSize, int batchSize, int epochs, double targetEpsilon, double delta, Accountant accountant) {
        Schedule schedule = schedule(datasetSize, batchSize, epochs);
        if (!(delta > 0 && delta < 1)) throw new IllegalArgumentException("δ must be in (0, 1), got " + delta);
        List<String> warnings = new ArrayList<>();
        if (delta >= 1.0 / datasetSize) {
            warnings.add("δ = " + delta + " is not below 1/N = " + (1.0 / datasetSize) + ": the guarantee allows leaking a whole record");
        }
        Calibration.Result r = Calibration.noiseMultiplier(accountant, targetEpsilon, delta, schedule.sampleRate(), schedule.steps());
        warnings.addAll(r.warnings());
        return new Plan(schedule.sampleRate(), schedule.stepsPerEpoch(), schedule.steps(), r.noiseMultiplier(), delta, r.epsilon(), warnings);
    }

    /** The accountant's view of recorded spends: one (q, σ, steps) segment per phase that has run a step. */
    public static List<Segment> segments(List<PrivacyLedger.Spend> spends) {
        List<Segment> out = new ArrayList<>();
        for (PrivacyLedger.Spend s : spends) {
            if (s.steps() > 0) out.add(new Segment(s.phase().sampleRate(), s.phase().noiseMultiplier(), s.steps()));
        }
        return out;
    }

    /** One group of records (see {@link RecordGroups}) and the ε its history gives. */
    public record GroupEpsilon(RecordGroups.Group group, Epsilon epsilon) {}

    /** ε of each group, under the accountant at δ; a group whose phases ran no step has ε = 0. */
    public static List<GroupEpsilon> epsilonByGroup(List<RecordGroups.Group> groups, double delta, Accountant accountant) {
        List<GroupEpsilon> out = new ArrayList<>();
        for (RecordGroups.Group g : groups) {
            List<Segment> history = segments(g.spends());
            Epsilon e = history.isEmpty() ? new Epsilon(0, delta, accountant.name(), Double.NaN, 0, 0, List.of()) : accountant.epsilon(history, delta);
            out.add(new GroupEpsilon(g, e));
        }
        return out;
    }

    /** The group with the largest ε: the guarantee every record of the set has. Null for no groups. */
    public static GroupEpsilon worst(List<GroupEpsilon> groups) {
        GroupEpsilon w = null;
        for (GroupEpsilon g : groups) if (w == null || g.epsilon().epsilon() > w.epsilon().epsilon()) w = g;
        return w;
    }
}
