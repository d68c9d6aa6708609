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

    @Test
    void secureKeysAreFreshEachTime() {
        int[] a = ChaCha20.secureKey(), b = ChaCha20.secureKey();
        org.junit.jupiter.api.Assertions.assertEquals(8, a.length);
        org.junit.jupiter.api.Assertions.assertFalse(java.util.Arrays.equals(a, b));
    }
}
