package org.dpmammo.privacy.noise;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import org.dpmammo.util.ChaCha20;

/**
 * The randomness behind every private decision (Poisson sampling and Gaussian noise): a ChaCha20 keystream.
 *
 * <p>In secure mode (every DP run's default) the 256-bit key comes from {@link SecureRandom} and is never stored or
 * printed, so neither the batches nor the noise can be reproduced by anyone. In reproducible mode (an explicit
 * opt-in, see {@link Randomness}) the key is SHA-256 of a user seed and the run's unique id: runs can be replayed,
 * which tests and research need, and the ledger records the mode (such a run is only as private as its seed and
 * run id are secret, and both are written down: its ε is not a guarantee).
 */
public final class RandomSource {
    private final int[] key;
    private final boolean secure;
    private final int[] block = new int[16];
    private int n0, n1, n2;
    private int counter;
    private int used = 16;
    private long step;
    private long nextSubstream;

    private RandomSource(byte[] key, boolean secure) {
        this.key = ChaCha20.keyWords(key);
        this.secure = secure;
        seekStep(0);
    }

    /** A generator keyed from the operating system's secure random source. */
    public static RandomSource secure() {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        return new RandomSource(key, true);
    }

    /**
     * A reproducible generator keyed by SHA-256 of the seed and a purpose label. For draws that are not DP decisions
     * (the audit's canary coins, test fixtures); a DP run's noise and batches come from {@link Randomness}.
     */
    public static RandomSource deterministic(long seed, String purpose) {
        return keyed(false, seed, purpose);
    }

    /**
     * A reproducible generator for one DP run: keyed by SHA-256 of the seed, the run's unique id and the purpose, so
     * that two runs (or two cells of a grid) with the same seed never draw the same noise or the same batches.
     */
    static RandomSource reproducible(long seed, String runId, String purpose) {
        if (runId == null || runId.isEmpty()) throw new IllegalArgumentException("reproducible DP randomness needs a run id");
        return keyed(false, seed, runId + "\u0000" + purpose);
    }

    private static RandomSource keyed(boolean secure, long seed, String label) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(ByteBuffer.allocate(8).putLong(seed).array());
            sha.update(label.getBytes(StandardCharsets.UTF_8));
            return new RandomSource(sha.digest(), secure);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 unavailable", e);
        }
    }

    public boolean isSecure() {
        return secure;
    }

    /**
     * Moves to the start of the keystream of training step {@code step} (the step number is the ChaCha20 nonce, the
     * block counter restarts at 0): a resumed run draws exactly what an uninterrupted run would have drawn from that
     * step on. Each step may use up to 2^32 blocks (256 GiB) of keystream.
     */
    public void seekStep(long step) {
        if (step < 0) throw new IllegalArgumentException("seekStep: negative step " + step);
        n0 = (int) step;
        n1 = (int) (step >>> 32);
        n2 = 0;
        this.step = step;
        counter = 0;
        used = 16;
        nextSubstream = 1;
    }


    /**
     * Reserves {@code count} independent substreams of the current step and returns the first one's number. Each is a
     * separate keystream (its own nonce), so parallel workers can draw from them in any order and the result still
     * depends only on (key, step, the order of reservations).
     */
    public long reserveSubstreams(int count) {
        long first = nextSubstream;
        if (first + count > 0xFFFFFFFFL) throw new IllegalStateException("more than 2^32 substreams in step " + step);
        nextSubstream += count;
        return first;
    }

    /**
     * The key words, for the noise operation of a backend ({@link GaussianNoise} passes them with the step and its
     * reserved substreams). Package-private: the key never leaves the noise code except into that call.
     */
    int[] keyWords() {
        return key.clone();
    }

    /** The step {@link #seekStep} moved to. */
    long step() {
        return step;
    }

    public int nextInt() {
        if (used == 16) {
            ChaCha20.block(key, counter++, n0, n1, n2, block);
            used = 0;
        }
        return block[used++];
    }

    public long nextLong() {
        return ((long) nextInt() << 32) | (nextInt() & 0xFFFFFFFFL);
    }

    /** Uniform in [0, 1) with 53 random bits. */
    public double nextDouble() {
        return (nextLong() >>> 11) * 0x1.0p-53;
    }

    /** Uniform in (0, 1]: never 0, so a logarithm of it is finite. */
    public double nextDoubleOpenAtZero() {
        return ((nextLong() >>> 11) + 1) * 0x1.0p-53;
    }
}
