package org.dpmammo.privacy.noise;

/**
 * Where a DP run's private decisions (Poisson batches and Gaussian noise) come from.
 *
 * <p>{@link #secure()} is the default of every command: keys from {@link java.security.SecureRandom}, never stored.
 * {@link #reproducible(long)} is an explicit opt-in for tests and research: the keys are a function of the seed and
 * of the run's unique id (see {@link RandomSource#reproducible}), so a run can be replayed bit for bit, and a resumed
 * run redraws what it drew before, but two runs never share noise. Anyone who reads the seed and the run id (both
 * are in the run folder) can remove the noise, so an ε printed for such a run is not a guarantee and is marked so.
 */
public record Randomness(boolean reproducibleMode, long seed) {
    public static Randomness secure() {
        return new Randomness(false, 0);
    }

    public static Randomness reproducible(long seed) {
        return new Randomness(true, seed);
    }

    public boolean secureMode() {
        return !reproducibleMode;
    }

    /** A generator for one purpose ("noise", "sampler", …) of the run with this id. */
    public RandomSource source(String runId, String purpose) {
        return reproducibleMode ? RandomSource.reproducible(seed, runId, purpose) : RandomSource.secure();
    }

    /** How the mode is named in ledgers, logs and reports. */
    public String label() {
        return reproducibleMode ? "reproducible (seeded: ε is not a guarantee)" : "secure";
    }

    /** The mark put beside every ε of a reproducible run, empty for a secure one. */
    public String epsilonMark() {
        return reproducibleMode ? " [reproducible DP randomness: not a guarantee]" : "";
    }
}
