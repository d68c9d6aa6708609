package org.dpmammo.privacy.accounting;

import java.util.ArrayList;
import java.util.List;
import java.util.function.LongToDoubleFunction;

/**
 * Inverts an accountant: the smallest noise multiplier, or the largest number of steps, that stays within a
 * target ε. Searches always return the end of the bracket that was checked to satisfy ε ≤ target, so a result is
 * never on the unsafe side (Opacus issue #346 was an overshoot of exactly this kind).
 */
public final class Calibration {
    /** The returned σ is within this relative distance above the smallest σ that meets the target. */
    public static final double SIGMA_RELATIVE_TOLERANCE = 1e-4;
    /** Searches stop here: beyond, no useful training is possible or the budget is effectively unlimited. */
    public static final double MIN_SIGMA = 0.01;
    public static final double MAX_SIGMA = 1e6;
    public static final long MAX_STEPS = 1L << 40;
    /**
     * The largest target ε a training run accepts. (ε, δ)-DP bounds a likelihood ratio by e^ε, which above ε ≈ 709
     * is not even a double; long before that no σ is small enough to spend the budget (the σ search stops at
     * {@link #MIN_SIGMA}). A run without DP says so with ε = ∞. Before this limit, ε = 1e300 in an experiment config
     * ran and was written to results.csv as 9223372036854775807.
     */
    public static final double MAX_TARGET_EPSILON = 700;

    private Calibration() {}

    /** A calibrated σ or step count, the ε it achieves, and any caveats. */
    public record Result(double noiseMultiplier, long steps, Epsilon epsilon, List<String> warnings) {
        public Result {
            warnings = List.copyOf(warnings);
        }
    }

    /**
     * The smallest σ (to {@link #SIGMA_RELATIVE_TOLERANCE}, rounded up) for which {@code steps} steps at rate q
     * cost at most {@code targetEpsilon} at δ.
     *
     * @throws IllegalArgumentException if no σ up to {@link #MAX_SIGMA} meets the target
     */
    public static Result noiseMultiplier(Accountant accountant, double targetEpsilon, double delta, double q, long steps) {
        checkTarget(targetEpsilon);
        Segment.checkDelta(delta);
        new Segment(q, 1, steps); // validates q and steps with the same messages as everywhere else
        List<String> warnings = new ArrayList<>();
        double hi = 1;
        Epsilon atHi = eval(accountant, q, hi, steps, delta);
        double lo = hi;
        while (atHi.epsilon() > targetEpsilon) {
            lo = hi;
            hi *= 2;
            if (hi > MAX_SIGMA) {
                throw new IllegalArgumentException("target epsilon " + targetEpsilon + " cannot be met with sigma <= " + MAX_SIGMA);
            }
            atHi = eval(accountant, q, hi, steps, delta);
        }
        if (lo == hi) {
            // σ = 1 already meets the target: walk down until it does not.
            while (true) {
                lo = hi / 2;
                if (lo < MIN_SIGMA) {
                    warnings.add("the target is met by every sigma >= " + hi + "; search stopped there");
                    return new Result(hi, steps, atHi, warnings);
                }
                Epsilon atLo = eval(accountant, q, lo, steps, delta);
                if (atLo.epsilon() > targetEpsilon) break;
                hi = lo;
                atHi = atLo;
            }
        }
        while (hi - lo > SIGMA_RELATIVE_TOLERANCE * hi) {
            double mid = 0.5 * (lo + hi);
            Epsilon atMid = eval(accountant, q, mid, steps, delta);
            if (atMid.epsilon() <= targetEpsilon) {
                hi = mid;
                atHi = atMid;
            } else {
                lo = mid;
            }
        }
        warnings.addAll(atHi.warnings());
        return new Result(hi, steps, atHi, warnings);
    }

    /** The largest number of steps at (q, σ) whose cost is at most {@code targetEpsilon} at δ; 0 if one step is too many. */
    public static Result maxSteps(Accountant accountant, double targetEpsilon, double delta, double q, double sigma) {
        checkTarget(targetEpsilon);
        Segment.checkDelta(delta);
        new Segment(q, sigma, 0); // validates q and sigma
        LongToDoubleFunction eps = stepsToEpsilon(accountant, q, sigma, delta);
        List<String> warnings = new ArrayList<>();
        long lo = 0;
        long hi = 1;
        while (eps.applyAsDouble(hi) <= targetEpsilon) {
            lo = hi;
            if (hi >= MAX_STEPS) {
                warnings.add("the target is not reached within " + MAX_STEPS + " steps; search stopped there");
                return new Result(sigma, lo, eval(accountant, q, sigma, lo, delta), warnings);
            }
            hi *= 2;
        }
        while (hi - lo > 1) {
            long mid = lo + (hi - lo) / 2;
            if (eps.applyAsDouble(mid) <= targetEpsilon) lo = mid;
            else hi = mid;
        }
        Epsilon at = eval(accountant, q, sigma, lo, delta);
        warnings.addAll(at.warnings());
        return new Result(sigma, lo, at, warnings);
    }

    /** ε as a function of steps; for RDP the per-step curve is computed once and scaled, which is exact. */
    private static LongToDoubleFunction stepsToEpsilon(Accountant accountant, double q, double sigma, double delta) {
        if (accountant instanceof RdpAccountant rdp) {
            double[] perStep = rdp.rdpCurve(List.of(new Segment(q, sigma, 1)));
            return steps -> {
                double[] curve = new double[perStep.length];
                for (int k = 0; k < curve.length; k++) curve[k] = steps * perStep[k];
                return rdp.epsilonFromCurve(curve, delta).epsilon();
            };
        }
        return steps -> eval(accountant, q, sigma, steps, delta).epsilon();
    }

    private static Epsilon eval(Accountant accountant, double q, double sigma, long steps, double delta) {
        return accountant.epsilon(List.of(new Segment(q, sigma, steps)), delta);
    }

    /** Refuses a training target ε that is not in (0, {@link #MAX_TARGET_EPSILON}]; {@code what} names the setting. */
    public static void checkTrainingTarget(double targetEpsilon, String what) {
        if (!(targetEpsilon > 0)) throw new IllegalArgumentException(what + ": ε must be positive, got " + targetEpsilon);
        if (!(targetEpsilon <= MAX_TARGET_EPSILON)) {
            throw new IllegalArgumentException(what + ": ε = " + targetEpsilon + " is above " + (int) MAX_TARGET_EPSILON
                    + ", where e^ε overflows and the guarantee says nothing (train without DP for no guarantee)");
        }
    }

    private static void checkTarget(double targetEpsilon) {
        if (!(targetEpsilon > 0 && targetEpsilon < Double.POSITIVE_INFINITY)) {
            throw new IllegalArgumentException("target epsilon must be finite and > 0, got " + targetEpsilon);
        }
    }
}
