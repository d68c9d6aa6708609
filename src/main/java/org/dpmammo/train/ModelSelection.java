package org.dpmammo.train;

/**
 * The study's checkpoint choice (docs/STUDY.md §3.2): the epoch with the highest validation AUPRC, ties going to the lower
 * validation loss, then to the earlier epoch. Under DP an epoch is eligible only if the ε spent so far lies strictly
 * inside (0.75, 1.05) × the target ({@code is_epsilon_within_target}); without DP (target ∞) every epoch is.
 */
public final class ModelSelection {
    public static final double LOW = 0.75, HIGH = 1.05;

    private final double targetEpsilon;
    private int bestEpoch = -1;
    private double bestAuprc = Double.NaN, bestLoss = Double.NaN;

    /** @param targetEpsilon the DP target, or {@link Double#POSITIVE_INFINITY} without DP */
    public ModelSelection(double targetEpsilon) {
        if (!(targetEpsilon > 0)) throw new IllegalArgumentException("model selection: target ε must be positive, got " + targetEpsilon);
        this.targetEpsilon = targetEpsilon;
    }

    /** Restores the state of an interrupted run. */
    public ModelSelection(double targetEpsilon, int bestEpoch, double bestAuprc, double bestLoss) {
        this(targetEpsilon);
        this.bestEpoch = bestEpoch;
        this.bestAuprc = bestAuprc;
        this.bestLoss = bestLoss;
    }

    public boolean eligible(double epsilonSpent) {
        if (Double.isInfinite(targetEpsilon)) return true;
        return epsilonSpent > LOW * targetEpsilon && epsilonSpent < HIGH * targetEpsilon;
    }

    /** Offers an epoch's validation result; true if it becomes the new best (and should be saved as such). */
    public boolean offer(int epoch, double valAuprc, double valLoss, double epsilonSpent) {
        if (!eligible(epsilonSpent) || Double.isNaN(valAuprc)) return false;
        boolean better = bestEpoch < 0 || valAuprc > bestAuprc || (valAuprc == bestAuprc && valLoss < bestLoss);
        if (better) {
            bestEpoch = epoch;
            bestAuprc = valAuprc;
            bestLoss = valLoss;
        }
        return better;
    }

    /** The chosen epoch, or −1 if none was eligible. */
    public int bestEpoch() {
        return bestEpoch;
    }

    public double bestAuprc() {
        return bestAuprc;
    }

    public double bestLoss() {
        return bestLoss;
    }
}
