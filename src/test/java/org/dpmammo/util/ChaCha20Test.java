package org.dpmammo.util;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import org.junit.jupiter.api.Test;

class ChaCha20Test {
    /** RFC 8439 §2.3.2: key 00..1f, counter 1, nonce 00:00:00:09:00:00:00:4a:00:00:00:00. */
    @Test
    void rfc8439BlockFunctionTestVector() {
        int[] key = new int[8];
        for (int i = 0; i < 8; i++) {
            key[i] = (4 * i) | (4 * i + 1) << 8 | (4 * i + 2) << 16 | (4 * i + 3) << 24;
        }
        int[] expected = {
            0xe4e7f110, 0x15593bd1, 0x1fdd0f50, 0xc47120a3, 0xc7f4d1c7, 0x0368c033, 0x9aaa2204, 0x4e6cd4c3,
            0x466482d2, 0x09aa9f07, 0x05d7c214, 0xa2028bd9, 0xd19c12b5, 0xb94e16de, 0xe883d0cb, 0x4e3c50a2};
        assertArrayEquals(expected, ChaCha20.block(key, 1, 0x09000000, 0x4a000000, 0));
        byte[] bytes = new byte[32];
        for (int i = 0; i < 32; i++) bytes[i] = (byte) i;
        assertArrayEquals(key, ChaCha20.keyWords(bytes));
    }

    /**
     * The block function in its textbook form (RFC 8439 §2.3: state array, quarter rounds on indices), the reference
     * for the register form that ChaCha20.block uses.
     */
    private static int[] textbookBlock(int[] key, int counter, int n0, int n1, int n2) {
        int[] s = {0x61707865, 0x3320646e, 0x79622d32, 0x6b206574, key[0], key[1], key[2], key[3], key[4], key[5], key[6], key[7],
            counter, n0, n1, n2};
        int[] x = s.clone();
        int[][] rounds = {{0, 4, 8, 12}, {1, 5, 9, 13}, {2, 6, 10, 14}, {3, 7, 11, 15}, {0, 5, 10, 15}, {1, 6, 11, 12}, {2, 7, 8, 13}, {3, 4, 9, 14}};
        for (int r = 0; r < 10; r++) {
            for (int[] q : rounds) {
                int a = q[0], b = q[1], c = q[2], d = q[3];
                x[a] += x[b]; x[d] = Integer.rotateLeft(x[d] ^ x[a], 16);
                x[c] += x[d]; x[b] = Integer.rotateLeft(x[b] ^ x[c], 12);
                x[a] += x[b]; x[d] = Integer.rotateLeft(x[d] ^ x[a], 8);
                x[c] += x[d]; x[b] = Integer.rotateLeft(x[b] ^ x[c], 7);
            }
        }
        for (int i = 0; i < 16; i++) x[i] += s[i];
        return x;
    }

    /** The register form and the lane form (vector where the module is present, as under test) against the textbook one. */
    @Test
    void blockAndLanesMatchTheTextbookFormOnRandomInputs() {
        java.util.SplittableRandom r = new java.util.SplittableRandom(19);
        int lanes = ChaCha20.lanes();
        int[] words = new int[16 * lanes];
        for (int t = 0; t < 300; t++) {
            int[] key = new int[8];
            for (int i = 0; i < 8; i++) key[i] = r.nextInt();
            // Every few trials a counter just below 2^32, so the lanes wrap as the block counter does.
            int counter = t % 5 == 0 ? -1 - r.nextInt(lanes) : r.nextInt(), n0 = r.nextInt(), n1 = r.nextInt(), n2 = r.nextInt();
            assertArrayEquals(textbookBlock(key, counter, n0, n1, n2), ChaCha20.block(key, counter, n0, n1, n2));
            ChaCha20.blocks(key, counter, n0, n1, n2, words);
            for (int b = 0; b < lanes; b++) {
                int[] expected = textbookBlock(key, counter + b, n0, n1, n2);
                for (int w = 0; w < 16; w++) org.junit.jupiter.api.Assertions.assertEquals(expected[w], words[w * lanes + b], "block " + b + " word " + w);
            }
        }
    }

    @Test
    void secureKeysAreFreshEachTime() {
        int[] a = ChaCha20.secureKey(), b = ChaCha20.secureKey();
        org.junit.jupiter.api.Assertions.assertEquals(8, a.length);
        org.junit.jupiter.api.Assertions.assertFalse(java.util.Arrays.equals(a, b));
    }
}
