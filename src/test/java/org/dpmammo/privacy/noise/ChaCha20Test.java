package org.dpmammo.privacy.noise;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class ChaCha20Test {
    @Test
    void blockFunctionMatchesRfc8439TestVector() {
        // RFC 8439 §2.3.2: key 00 01 … 1f, nonce 00:00:00:09:00:00:00:4a:00:00:00:00, block counter 1.
        byte[] key = new byte[32];
        for (int i = 0; i < 32; i++) key[i] = (byte) i;
        byte[] nonce = HexFormat.of().parseHex("000000090000004a00000000");
        int[] out = new int[16];
        new ChaCha20(key, nonce).block(1, out);
        int[] expected = {
            0xe4e7f110, 0x15593bd1, 0x1fdd0f50, 0xc47120a3, 0xc7f4d1c7, 0x0368c033, 0x9aaa2204, 0x4e6cd4c3,
            0x466482d2, 0x09aa9f07, 0x05d7c214, 0xa2028bd9, 0xd19c12b5, 0xb94e16de, 0xe883d0cb, 0x4e3c50a2};
        assertArrayEquals(expected, out);
    }
}
