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

    /** "expand 32-byte k" as four little-endian words. */
    static final int C0 = 0x61707865, C1 = 0x3320646e, C2 = 0x79622d32, C3 = 0x6b206574;

    /** The 16 output words of one block for a key of 8 little-endian words. */
    public static int[] block(int[] key, int counter, int n0, int n1, int n2) {
        int[] out = new int[16];
        block(key, counter, n0, n1, n2, out);
        return out;
    }

    /** Several consecutive blocks of one nonce per call; {@link VectorChaCha20} is the one with more than one lane. */
    interface Lanes {
        int lanes();

        void blocks(int[] key, int counter, int n0, int n1, int n2, int[] out);
    }

    /** The vector form where the Vector API module is present and -Ddpmammo.simd is not "scalar", else one block a call. */
    private static final Lanes LANES = lanes(System.getProperty("dpmammo.simd", "auto"));

    private static Lanes lanes(String simd) {
        Lanes scalar = new Lanes() {
            @Override
            public int lanes() {
                return 1;
            }

            @Override
            public void blocks(int[] key, int counter, int n0, int n1, int n2, int[] out) {
                block(key, counter, n0, n1, n2, out);
            }
        };
        if (simd.trim().equalsIgnoreCase("scalar") || ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) return scalar;
        try {
            return (Lanes) Class.forName("org.dpmammo.util.VectorChaCha20").getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException | LinkageError e) {
            return scalar;
        }
    }

    /** How many blocks {@link #blocks} computes per call: the int lanes of the Vector API's preferred width, or 1. */
    public static int lanes() {
        return LANES.lanes();
    }

    /**
     * Blocks counter, counter + 1, …, counter + lanes() − 1 of one nonce, word-major: word w of block b lands in
     * out[w·lanes() + b] (out holds at least 16·lanes() words). Each block is {@link #block}'s, bit for bit; the layout
     * is the one that costs the vector form no transpose. The counter wraps modulo 2³² as the block function's does.
     */
    public static void blocks(int[] key, int counter, int n0, int n1, int n2, int[] out) {
        if (key.length != 8) throw new IllegalArgumentException("ChaCha20: key must be 8 words, got " + key.length);
        LANES.blocks(key, counter, n0, n1, n2, out);
    }

    /**
     * Writes the 16 output words of one block into out. The state lives in 16 local variables rather than an array,
     * so it stays in registers and nothing is allocated: DP noise draws half a block per coordinate, and the array
     * version spent more time in this function than the noise spends on its logarithms and sines.
     */
    public static void block(int[] key, int counter, int n0, int n1, int n2, int[] out) {
        if (key.length != 8) throw new IllegalArgumentException("ChaCha20: key must be 8 words, got " + key.length);
        final int k0 = key[0], k1 = key[1], k2 = key[2], k3 = key[3], k4 = key[4], k5 = key[5], k6 = key[6], k7 = key[7];
        int x0 = C0, x1 = C1, x2 = C2, x3 = C3, x4 = k0, x5 = k1, x6 = k2, x7 = k3;
        int x8 = k4, x9 = k5, x10 = k6, x11 = k7, x12 = counter, x13 = n0, x14 = n1, x15 = n2;
        for (int r = 0; r < 10; r++) {
            // Column round: quarter rounds on (0, 4, 8, 12), (1, 5, 9, 13), (2, 6, 10, 14), (3, 7, 11, 15).
            x0 += x4; x12 = Integer.rotateLeft(x12 ^ x0, 16); x8 += x12; x4 = Integer.rotateLeft(x4 ^ x8, 12);
            x0 += x4; x12 = Integer.rotateLeft(x12 ^ x0, 8); x8 += x12; x4 = Integer.rotateLeft(x4 ^ x8, 7);
            x1 += x5; x13 = Integer.rotateLeft(x13 ^ x1, 16); x9 += x13; x5 = Integer.rotateLeft(x5 ^ x9, 12);
            x1 += x5; x13 = Integer.rotateLeft(x13 ^ x1, 8); x9 += x13; x5 = Integer.rotateLeft(x5 ^ x9, 7);
            x2 += x6; x14 = Integer.rotateLeft(x14 ^ x2, 16); x10 += x14; x6 = Integer.rotateLeft(x6 ^ x10, 12);
            x2 += x6; x14 = Integer.rotateLeft(x14 ^ x2, 8); x10 += x14; x6 = Integer.rotateLeft(x6 ^ x10, 7);
            x3 += x7; x15 = Integer.rotateLeft(x15 ^ x3, 16); x11 += x15; x7 = Integer.rotateLeft(x7 ^ x11, 12);
            x3 += x7; x15 = Integer.rotateLeft(x15 ^ x3, 8); x11 += x15; x7 = Integer.rotateLeft(x7 ^ x11, 7);
            // Diagonal round: (0, 5, 10, 15), (1, 6, 11, 12), (2, 7, 8, 13), (3, 4, 9, 14).
            x0 += x5; x15 = Integer.rotateLeft(x15 ^ x0, 16); x10 += x15; x5 = Integer.rotateLeft(x5 ^ x10, 12);
            x0 += x5; x15 = Integer.rotateLeft(x15 ^ x0, 8); x10 += x15; x5 = Integer.rotateLeft(x5 ^ x10, 7);
            x1 += x6; x12 = Integer.rotateLeft(x12 ^ x1, 16); x11 += x12; x6 = Integer.rotateLeft(x6 ^ x11, 12);
            x1 += x6; x12 = Integer.rotateLeft(x12 ^ x1, 8); x11 += x12; x6 = Integer.rotateLeft(x6 ^ x11, 7);
            x2 += x7; x13 = Integer.rotateLeft(x13 ^ x2, 16); x8 += x13; x7 = Integer.rotateLeft(x7 ^ x8, 12);
            x2 += x7; x13 = Integer.rotateLeft(x13 ^ x2, 8); x8 += x13; x7 = Integer.rotateLeft(x7 ^ x8, 7);
            x3 += x4; x14 = Integer.rotateLeft(x14 ^ x3, 16); x9 += x14; x4 = Integer.rotateLeft(x4 ^ x9, 12);
            x3 += x4; x14 = Integer.rotateLeft(x14 ^ x3, 8); x9 += x14; x4 = Integer.rotateLeft(x4 ^ x9, 7);
        }
        out[0] = x0 + C0; out[1] = x1 + C1; out[2] = x2 + C2; out[3] = x3 + C3;
        out[4] = x4 + k0; out[5] = x5 + k1; out[6] = x6 + k2; out[7] = x7 + k3;
        out[8] = x8 + k4; out[9] = x9 + k5; out[10] = x10 + k6; out[11] = x11 + k7;
        out[12] = x12 + counter; out[13] = x13 + n0; out[14] = x14 + n1; out[15] = x15 + n2;
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
}
