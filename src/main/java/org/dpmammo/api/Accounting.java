package org.dpmammo.api;

import java.util.List;
import org.dpmammo.privacy.accounting.Calibration;
import org.dpmammo.privacy.accounting.Segment;
import org.dpmammo.privacy.dpsgd.PrivacyPlanner;

/**
 * The privacy accountants as plain method calls: ε for a DP-SGD run, the smallest σ for a target ε, the most steps
 * within a budget, and the schedule the trainers follow. Every method computes exactly what the {@code dpmammo
 * privacy epsilon|sigma|steps} commands print, through the same classes.
 *
 * <p>{@code accountant} is {@code "rdp"} (Rényi DP of the Poisson-subsampled Gaussian, Mironov et al. 2019, with
 * Opacus' orders: the study's accountant) or {@code "prv"} (privacy random variables, Gopi et al. 2021: a tighter ε
 * for the same noise, never above the RDP bound). Everything is pure computation: no file, no network.
 */
public final class Accounting {
    private Accounting() {}

    /**
     * The schedule of every dpmammo trainer (and Opacus): an epoch is ⌈N/B⌉ steps, each example is in a step's batch
     * independently with probability q = 1/⌈N/B⌉, so the expected batch q·N is at most B.
     *
     * @param sampleRate q, the Poisson sampling rate
     * @param stepsPerEpoch ⌈N/B⌉
     * @param steps stepsPerEpoch × epochs
     */
    public record Schedule(double sampleRate, int stepsPerEpoch, long steps) {}

    /**
     * The schedule for {@code epochs} epochs over {@code datasetSize} examples at nominal batch size {@code batchSize}.
     *
     * @throws IllegalArgumentException if any argument is not positive
     */
    public static Schedule schedule(long datasetSize, long batchSize, long epochs) {
        PrivacyPlanner.Schedule s = PrivacyPlanner.schedule(datasetSize, batchSize, epochs);
        return new Schedule(s.sampleRate(), s.stepsPerEpoch(), s.steps());
    }

    /**
     * ε spent by {@code steps} DP-SGD steps at sampling rate {@code q} and noise multiplier {@code sigma} (noise
     * standard deviation over the clipping norm), at δ.
     *
     * @throws IllegalArgumentException for q outside (0, 1], σ ≤ 0, negative steps, δ outside (0, 1) or an unknown
     *     accountant (the message names which)
     */
    public static double epsilon(double q, double sigma, long steps, double delta, String accountant) {
        return PrivacyPlanner.accountant(accountant).epsilon(List.of(new Segment(q, sigma, steps)), delta).epsilon();
    }

    /**
     * The smallest noise multiplier σ (to 1e-4 relative, rounded up, so never above the target) for which
     * {@code steps} steps at rate {@code q} cost at most {@code targetEpsilon} at δ.
     *
     * @throws IllegalArgumentException if no σ up to 10⁶ meets the target, or for invalid arguments
     */
    public static double sigma(double targetEpsilon, double q, long steps, double delta, String accountant) {
        return Calibration.noiseMultiplier(PrivacyPlanner.accountant(accountant), targetEpsilon, delta, q, steps).noiseMultiplier();
    }

    /**
     * The largest number of steps at rate {@code q} and noise multiplier {@code sigma} whose cost is at most
     * {@code targetEpsilon} at δ; 0 if a single step costs more.
     *
     * @throws IllegalArgumentException for invalid arguments
     */
    public static long steps(double targetEpsilon, double q, double sigma, double delta, String accountant) {
        return Calibration.maxSteps(PrivacyPlanner.accountant(accountant), targetEpsilon, delta, q, sigma).steps();
    }

    /**
     * The smallest σ for {@code epochs} epochs over {@code datasetSize} examples at batch size {@code batchSize}
     * (the {@link #schedule}), as {@link PrivateTrainer} calibrates it.
     */
    public static double sigmaForEpochs(double targetEpsilon, long datasetSize, long batchSize, long epochs, double delta, String accountant) {
        Schedule s = schedule(datasetSize, batchSize, epochs);
        return sigma(targetEpsilon, s.sampleRate(), s.steps(), delta, accountant);
    }
}
