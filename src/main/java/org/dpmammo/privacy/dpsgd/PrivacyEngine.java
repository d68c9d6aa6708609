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

/**
 * Plans a DP training run the way Opacus' {@code make_private_with_epsilon} does, and reads spend back from a
 * ledger. With N examples and a nominal batch size B, an epoch is ⌈N/B⌉ steps and q = 1/⌈N/B⌉ (Opacus sets
 * q = 1/len(data_loader)); the expected batch q·N is then at most B. σ is the smallest noise multiplier whose ε
 * over all planned steps stays within the target (never above it).
 */
public final class PrivacyEngine {
    private PrivacyEngine() {}

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
        if (datasetSize <= 0 || batchSize <= 0 || epochs <= 0) {
            throw new IllegalArgumentException("dataset size, batch size and epochs must be positive (got " + datasetSize + ", " + batchSize + ", " + epochs + ")");
        }
        if (!(delta > 0 && delta < 1)) throw new IllegalArgumentException("δ must be in (0, 1), got " + delta);
        List<String> warnings = new ArrayList<>();
        if (delta >= 1.0 / datasetSize) {
            warnings.add("δ = " + delta + " is not below 1/N = " + (1.0 / datasetSize) + ": the guarantee allows leaking a whole record");
        }
        int stepsPerEpoch = (datasetSize + batchSize - 1) / batchSize;
        double q = 1.0 / stepsPerEpoch;
        long steps = (long) stepsPerEpoch * epochs;
        Calibration.Result r = Calibration.noiseMultiplier(accountant, targetEpsilon, delta, q, steps);
        warnings.addAll(r.warnings());
        return new Plan(q, stepsPerEpoch, steps, r.noiseMultiplier(), delta, r.epsilon(), warnings);
    }

    /** The accountant's view of recorded spends: one (q, σ, steps) segment per phase that has run a step. */
    public static List<Segment> segments(List<PrivacyLedger.Spend> spends) {
        List<Segment> out = new ArrayList<>();
        for (PrivacyLedger.Spend s : spends) {
            if (s.steps() > 0) out.add(new Segment(s.phase().sampleRate(), s.phase().noiseMultiplier(), s.steps()));
        }
        return out;
    }

    /**
     * ε spent on one dataset so far: every ledger phase with that dataset fingerprint composes (a DP GAN and a DP
     * classifier trained on the same records add up), each at its recorded (q, σ, steps).
     */
    public static Epsilon spent(PrivacyLedger ledger, String datasetFingerprint, double delta, Accountant accountant) {
        List<Segment> history = segments(ledger.spendsOn(datasetFingerprint));
        if (history.isEmpty()) return new Epsilon(0, delta, accountant.name(), Double.NaN, 0, 0, List.of());
        return accountant.epsilon(history, delta);
    }
}
