package org.dpmammo.privacy.noise;

/**
 * The ChaCha20 block function (RFC 8439 §2.3): a 256-bit key, a 32-bit block counter and a 96-bit nonce give 64
 * pseudo-random bytes. Used as a counter-mode generator: block i of the stream is independent of every other, so
 * the CPU and a GPU can produce the same noise from the same key, in any order.
 */
public final class ChaCha20 {
    private final int[] key = new int[8];
    private final int[] nonce = new int[3];

    /** @param key32 32 key bytes; @param nonce12 12 nonce bytes */
    public ChaCha20(byte[] key32, byte[] nonce12) {
        if (key32.length != 32 || nonce12.length != 12) throw new IllegalArgumentException("ChaCha20 needs a 32-byte key and a 12-byte nonce");
        for (int i = 0; i < 8; i++) key[i] = le32(key32, 4 * i);
        for (int i = 0; i < 3; i++) nonce[i] = le32(nonce12, 4 * i);
    }

    private static int le32(byte[] b, int o) {
        return (b[o] & 0xff) | (b[o + 1] & 0xff) << 8 | (b[o + 2] & 0xff) << 16 | (b[o + 3] & 0xff) << 24;
    }

    /** Writes the 16 output words of block {@code counter} into out[0..16). */
    public void block(int counter, int[] out) {
        int[] x = new int[16];
        x[0] = 0x61707865;
        x[1] = 0x3320646e;
        x[2] = 0x79622d32;
        x[3] = 0x6b206574;
        System.arraycopy(key, 0, x, 4, 8);
        x[12] = counter;
        System.arraycopy(nonce, 0, x, 13, 3);
        int[] s = x.clone();
        for (int round = 0; round < 10; round++) {
            quarter(s, 0, 4, 8, 12);
            quarter(s, 1, 5, 9, 13);
            quarter(s, 2, 6, 10, 14);
            quarter(s, 3, 7, 11, 15);
            quarter(s, 0, 5, 10, 15);
            quarter(s, 1, 6, 11, 12);
            quarter(s, 2, 7, 8, 13);
            quarter(s, 3, 4, 9, 14);
        }
        for (int i = 0; i < 16; i++) out[i] = s[i] + x[i];
    }

    private static void quarter(int[] s, int a, int b, int c, int d) {
        s[a] += s[b];
        s[d] = Integer.rotateLeft(s[d] ^ s[a], 16);
        s[c] += s[d];
        s[b] = Integer.rotateLeft(s[b] ^ s[c], 12);
        s[a] += s[b];
        s[d] = Integer.rotateLeft(s[d] ^ s[a], 8);
        s[c] += s[d];
        s[b] = Integer.rotateLeft(s[b] ^ s[c], 7);
    }
}
