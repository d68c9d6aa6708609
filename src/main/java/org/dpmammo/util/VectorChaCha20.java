package org.dpmammo.util;

import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link ChaCha20.Lanes} with the Vector API: one block per int lane of the preferred vector (16 with AVX-512, 8 with
 * AVX2), the lanes differing only in their block counter, so the 20 rounds run once for all of them. Output is
 * word-major, as {@link ChaCha20#blocks} documents: one vector per word, no transpose. The keystream is
 * the scalar block function's, word for word, whatever the width. Loaded by name, so that nothing links
 * jdk.incubator.vector when the module is absent.
 */
final class VectorChaCha20 implements ChaCha20.Lanes {
    private static final VectorSpecies<Integer> S = IntVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final int[] IOTA = new int[L];

    static {
        for (int i = 0; i < L; i++) IOTA[i] = i;
    }

    @Override
    public int lanes() {
        return L;
    }

    /**
     * The state stays in out (word-major, one vector per word) between quarter rounds. Written as one method with the
     * state in 16 vector variables, C2 stopped inlining the vector operations after about two quarter rounds
     * (NodeCountInliningCutoff) and ran the rest boxed, 3× slower than the scalar block; a quarter round per call,
     * each loading and storing its four vectors from L1, compiles whole.
     */
    @Override
    public void blocks(int[] key, int counter, int n0, int n1, int n2, int[] out) {
        initial(key, counter, n0, n1, n2, out);
        for (int r = 0; r < 10; r++) {
            quarter(out, 0, 4, 8, 12);
            quarter(out, 1, 5, 9, 13);
            quarter(out, 2, 6, 10, 14);
            quarter(out, 3, 7, 11, 15);
            quarter(out, 0, 5, 10, 15);
            quarter(out, 1, 6, 11, 12);
            quarter(out, 2, 7, 8, 13);
            quarter(out, 3, 4, 9, 14);
        }
        addInitial(key, counter, n0, n1, n2, out);
    }

    /** The input state: constants, key, counters counter + lane, nonce, each word broadcast across the lanes. */
    private static void initial(int[] key, int counter, int n0, int n1, int n2, int[] st) {
        for (int w = 0; w < 16; w++) {
            if (w == 12) IntVector.fromArray(S, IOTA, 0).add(counter).intoArray(st, 12 * L);
            else IntVector.broadcast(S, word(key, w, n0, n1, n2)).intoArray(st, w * L);
        }
    }

    /** The block function's final addition of the input state. */
    private static void addInitial(int[] key, int counter, int n0, int n1, int n2, int[] st) {
        for (int w = 0; w < 16; w++) {
            IntVector x = IntVector.fromArray(S, st, w * L);
            x = w == 12 ? x.add(IntVector.fromArray(S, IOTA, 0)).add(counter) : x.add(word(key, w, n0, n1, n2));
            x.intoArray(st, w * L);
        }
    }

    /** Input word w of every lane but the counter's (w ≠ 12). */
    private static int word(int[] key, int w, int n0, int n1, int n2) {
        return switch (w) {
            case 0 -> ChaCha20.C0;
            case 1 -> ChaCha20.C1;
            case 2 -> ChaCha20.C2;
            case 3 -> ChaCha20.C3;
            case 13 -> n0;
            case 14 -> n1;
            case 15 -> n2;
            default -> key[w - 4];
        };
    }

    private static void quarter(int[] st, int a, int b, int c, int d) {
        IntVector va = IntVector.fromArray(S, st, a * L), vb = IntVector.fromArray(S, st, b * L),
                vc = IntVector.fromArray(S, st, c * L), vd = IntVector.fromArray(S, st, d * L);
        va = va.add(vb); vd = rol(vd.lanewise(VectorOperators.XOR, va), 16);
        vc = vc.add(vd); vb = rol(vb.lanewise(VectorOperators.XOR, vc), 12);
        va = va.add(vb); vd = rol(vd.lanewise(VectorOperators.XOR, va), 8);
        vc = vc.add(vd); vb = rol(vb.lanewise(VectorOperators.XOR, vc), 7);
        va.intoArray(st, a * L);
        vb.intoArray(st, b * L);
        vc.intoArray(st, c * L);
        vd.intoArray(st, d * L);
    }

    private static IntVector rol(IntVector v, int n) {
        return v.lanewise(VectorOperators.LSHL, n).or(v.lanewise(VectorOperators.LSHR, 32 - n));
    }
}
