package org.dpmammo.privacy.noise;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;

/**
 * The randomness behind every private decision (Poisson sampling and Gaussian noise): a ChaCha20 keystream.
 *
 * <p>In secure mode the 256-bit key comes from {@link SecureRandom} and is never stored or printed, so neither
 * the batches nor the noise can be reproduced by anyone. In deterministic mode the key is SHA-256 of a user seed:
 * runs are reproducible, which is what tests and crash-resume checks need, and the ledger records that the run
 * used this mode (such a run is only as private as its seed is secret).
 */
public final class RandomSource {
    private final byte[] key;
    private final boolean secure;
    private final int[] block = new int[16];
    private ChaCha20 cipher;
    private int counter;
    private int used = 16;

    private RandomSource(byte[] key, boolean secure) {
        this.key = key;
        this.secure = secure;
        seekStep(0);
    }

    /** A generator keyed from the operating system's secure random source. */
    public static RandomSource secure() {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        return new RandomSource(key, true);
    }

    /** A reproducible generator keyed by SHA-256 of the seed and a purpose label (e.g. "noise", "sampler"). */
    public static RandomSource deterministic(long seed, String purpose) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(ByteBuffer.allocate(8).putLong(seed).array());
            sha.update(purpose.getBytes(StandardCharsets.UTF_8));
            return new RandomSource(sha.digest(), false);
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
        byte[] nonce = ByteBuffer.allocate(12).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(step).array();
        cipher = new ChaCha20(key, nonce);
        counter = 0;
        used = 16;
    }

    public int nextInt() {
        if (used == 16) {
            cipher.block(counter++, block);
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
