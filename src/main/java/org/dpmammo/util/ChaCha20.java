package org.dpmammo.util;

import java.security.SecureRandom;

/**
 * The ChaCha20 block function of RFC 8439 (20 rounds, 32-bit counter, 96-bit nonce): the keystream behind every
 * private random decision (privacy.noise.RandomSource on the CPU, dp_gaussian_noise in src/main/cuda/dp.cu on the
 * GPU). Counter mode: any block can be computed on its own, so threads and devices can share one stream.
 */
public final class ChaCha20 {
    private ChaCha20() {}

    /**
     * A fresh 256-bit key from {@link SecureRandom} (the OS generator, /dev/urandom on Linux, as Opacus' secure
     * mode uses): the only way keys for DP noise should be made. Never derive one from a user seed.
     */
    public static int[] secureKey() {
        SecureRandom r = new SecureRandom();
        int[] key = new int[8];
        for (int i = 0; i < 8; i++) key[i] = r.nextInt();
        return key;
    }

    private static final int[] CONSTANTS = {0x61707865, 0x3320646e, 0x79622d32, 0x6b206574};

    /** The 16 output words of one block for a key of 8 little-endian words. */
    public static int[] block(int[] key, int counter, int n0, int n1, int n2) {
        int[] out = new int[16];
        block(key, counter, n0, n1, n2, out);
        return out;
    }

    /** Writes the 16 output words of one block into out (no allocation beyond the state copy). */
    public static void block(int[] key, int counter, int n0, int n1, int n2, int[] out) {
        if (key.length != 8) throw new IllegalArgumentException("ChaCha20: key must be 8 words, got " + key.length);
        int[] s = new int[16];
        System.arraycopy(CONSTANTS, 0, s, 0, 4);
        System.arraycopy(key, 0, s, 4, 8);
        s[12] = counter;
        s[13] = n0;
        s[14] = n1;
        s[15] = n2;
        int[] x = s.clone();
        for (int r = 0; r < 10; r++) {
            quarter(x, 0, 4, 8, 12);
            quarter(x, 1, 5, 9, 13);
            quarter(x, 2, 6, 10, 14);
            quarter(x, 3, 7, 11, 15);
            quarter(x, 0, 5, 10, 15);
            quarter(x, 1, 6, 11, 12);
            quarter(x, 2, 7, 8, 13);
            quarter(x, 3, 4, 9, 14);
        }
        for (int i = 0; i < 16; i++) out[i] = x[i] + s[i];
    }

    /** 32 key bytes as the 8 little-endian words the block function takes. */
    public static int[] keyWords(byte[] key32) {
        if (key32.length != 32) throw new IllegalArgumentException("ChaCha20: key must be 32 bytes, got " + key32.length);
        int[] w = new int[8];
        for (int i = 0; i < 8; i++) {
            int o = 4 * i;
            w[i] = (key32[o] & 0xff) | (key32[o + 1] & 0xff) << 8 | (key32[o + 2] & 0xff) << 16 | (key32[o + 3] & 0xff) << 24;
        }
        return w;
    }

    private static void quarter(int[] x, int a, int b, int c, int d) {
        x[a] += x[b]; x[d] = Integer.rotateLeft(x[d] ^ x[a], 16);
        x[c] += x[d]; x[b] = Integer.rotateLeft(x[b] ^ x[c], 12);
        x[a] += x[b]; x[d] = Integer.rotateLeft(x[d] ^ x[a], 8);
        x[c] += x[d]; x[b] = Integer.rotateLeft(x[b] ^ x[c], 7);
    }
}
