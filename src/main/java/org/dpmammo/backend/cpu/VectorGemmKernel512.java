package org.dpmammo.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API micro-kernel for CPUs with 512-bit vectors (AVX-512): a 14×32 register tile held in 28 512-bit
 * accumulators, fed per k step by two vector loads of B and fourteen broadcasts of A (31 of the 32 zmm registers).
 * Loaded by name like {@link VectorGemmKernel}, and written out the same way (no helpers taking vectors, no
 * branches) for the same reasons; the unrolled body is regular enough to read one row of C at a time.
 *
 * <p>Kernel lab (Intel Xeon, AVX-512, two 512-bit FMA ports; one core; this kernel alone on L1-resident panels; best
 * of 6 per shape, shapes alternated within one run because the shared VM's speed moved ±30% between runs), in
 * GFLOP/s at kc = 256: 14×32 114–134, kept; 12×32 98–122; 9×48 108–117; 8×48 101–117; 7×64 105–107; 8×32 68–131;
 * 6×32 90–101, 4×64 87–97; the 256-bit 6×16 ran 94–101 in the same runs. 14×32 also led at kc = 128 and 192.
 * Blocking: KC = 256 keeps a KC×NR B panel (32 KiB) in the 48 KiB L1; MC = 280 rows of A (280 KiB) in the
 * 2 MiB L2.
 */
final class VectorGemmKernel512 implements GemmKernel {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_512;
    private static final int MR = 14, NR = 32;

    /** Whether this JVM runs 512-bit vectors natively rather than emulating them (lane by lane, in Java). */
    static boolean nativeWidthOk() {
        return FloatVector.SPECIES_PREFERRED.vectorBitSize() >= 512;
    }

    @Override
    public String name() {
        return "vector512-" + MR + "x" + NR;
    }

    @Override
    public int mr() {
        return MR;
    }

    @Override
    public int nr() {
        return NR;
    }

    @Override
    public int kc() {
        return 256;
    }

    @Override
    public int mc() {
        return 280;
    }

    /** C = alpha·A·B, C not read. */
    @Override
    public void multiply(int kc, float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int ldc, float alpha) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c000 = z, c001 = z;
        FloatVector c010 = z, c011 = z;
        FloatVector c020 = z, c021 = z;
        FloatVector c030 = z, c031 = z;
        FloatVector c040 = z, c041 = z;
        FloatVector c050 = z, c051 = z;
        FloatVector c060 = z, c061 = z;
        FloatVector c070 = z, c071 = z;
        FloatVector c080 = z, c081 = z;
        FloatVector c090 = z, c091 = z;
        FloatVector c100 = z, c101 = z;
        FloatVector c110 = z, c111 = z;
        FloatVector c120 = z, c121 = z;
        FloatVector c130 = z, c131 = z;
        for (int p = 0; p < kc; p++) {
            int ap = aOff + p * MR, bp = bOff + p * NR;
            FloatVector b0 = FloatVector.fromArray(S, b, bp);
            FloatVector b1 = FloatVector.fromArray(S, b, bp + 16);
            FloatVector a0 = FloatVector.broadcast(S, a[ap + 0]);
            c000 = a0.fma(b0, c000); c001 = a0.fma(b1, c001);
            FloatVector a1 = FloatVector.broadcast(S, a[ap + 1]);
            c010 = a1.fma(b0, c010); c011 = a1.fma(b1, c011);
            FloatVector a2 = FloatVector.broadcast(S, a[ap + 2]);
            c020 = a2.fma(b0, c020); c021 = a2.fma(b1, c021);
            FloatVector a3 = FloatVector.broadcast(S, a[ap + 3]);
            c030 = a3.fma(b0, c030); c031 = a3.fma(b1, c031);
            FloatVector a4 = FloatVector.broadcast(S, a[ap + 4]);
            c040 = a4.fma(b0, c040); c041 = a4.fma(b1, c041);
            FloatVector a5 = FloatVector.broadcast(S, a[ap + 5]);
            c050 = a5.fma(b0, c050); c051 = a5.fma(b1, c051);
            FloatVector a6 = FloatVector.broadcast(S, a[ap + 6]);
            c060 = a6.fma(b0, c060); c061 = a6.fma(b1, c061);
            FloatVector a7 = FloatVector.broadcast(S, a[ap + 7]);
            c070 = a7.fma(b0, c070); c071 = a7.fma(b1, c071);
            FloatVector a8 = FloatVector.broadcast(S, a[ap + 8]);
            c080 = a8.fma(b0, c080); c081 = a8.fma(b1, c081);
            FloatVector a9 = FloatVector.broadcast(S, a[ap + 9]);
            c090 = a9.fma(b0, c090); c091 = a9.fma(b1, c091);
            FloatVector a10 = FloatVector.broadcast(S, a[ap + 10]);
            c100 = a10.fma(b0, c100); c101 = a10.fma(b1, c101);
            FloatVector a11 = FloatVector.broadcast(S, a[ap + 11]);
            c110 = a11.fma(b0, c110); c111 = a11.fma(b1, c111);
            FloatVector a12 = FloatVector.broadcast(S, a[ap + 12]);
            c120 = a12.fma(b0, c120); c121 = a12.fma(b1, c121);
            FloatVector a13 = FloatVector.broadcast(S, a[ap + 13]);
            c130 = a13.fma(b0, c130); c131 = a13.fma(b1, c131);
        }
        FloatVector va = FloatVector.broadcast(S, alpha);
        c000.mul(va).intoArray(c, cOff + 0 * ldc);
        c001.mul(va).intoArray(c, cOff + 0 * ldc + 16);
        c010.mul(va).intoArray(c, cOff + 1 * ldc);
        c011.mul(va).intoArray(c, cOff + 1 * ldc + 16);
        c020.mul(va).intoArray(c, cOff + 2 * ldc);
        c021.mul(va).intoArray(c, cOff + 2 * ldc + 16);
        c030.mul(va).intoArray(c, cOff + 3 * ldc);
        c031.mul(va).intoArray(c, cOff + 3 * ldc + 16);
        c040.mul(va).intoArray(c, cOff + 4 * ldc);
        c041.mul(va).intoArray(c, cOff + 4 * ldc + 16);
        c050.mul(va).intoArray(c, cOff + 5 * ldc);
        c051.mul(va).intoArray(c, cOff + 5 * ldc + 16);
        c060.mul(va).intoArray(c, cOff + 6 * ldc);
        c061.mul(va).intoArray(c, cOff + 6 * ldc + 16);
        c070.mul(va).intoArray(c, cOff + 7 * ldc);
        c071.mul(va).intoArray(c, cOff + 7 * ldc + 16);
        c080.mul(va).intoArray(c, cOff + 8 * ldc);
        c081.mul(va).intoArray(c, cOff + 8 * ldc + 16);
        c090.mul(va).intoArray(c, cOff + 9 * ldc);
        c091.mul(va).intoArray(c, cOff + 9 * ldc + 16);
        c100.mul(va).intoArray(c, cOff + 10 * ldc);
        c101.mul(va).intoArray(c, cOff + 10 * ldc + 16);
        c110.mul(va).intoArray(c, cOff + 11 * ldc);
        c111.mul(va).intoArray(c, cOff + 11 * ldc + 16);
        c120.mul(va).intoArray(c, cOff + 12 * ldc);
        c121.mul(va).intoArray(c, cOff + 12 * ldc + 16);
        c130.mul(va).intoArray(c, cOff + 13 * ldc);
        c131.mul(va).intoArray(c, cOff + 13 * ldc + 16);
    }

    /** C += alpha·A·B. */
    @Override
    public void multiplyAdd(int kc, float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int ldc, float alpha) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c000 = z, c001 = z;
        FloatVector c010 = z, c011 = z;
        FloatVector c020 = z, c021 = z;
        FloatVector c030 = z, c031 = z;
        FloatVector c040 = z, c041 = z;
        FloatVector c050 = z, c051 = z;
        FloatVector c060 = z, c061 = z;
        FloatVector c070 = z, c071 = z;
        FloatVector c080 = z, c081 = z;
        FloatVector c090 = z, c091 = z;
        FloatVector c100 = z, c101 = z;
        FloatVector c110 = z, c111 = z;
        FloatVector c120 = z, c121 = z;
        FloatVector c130 = z, c131 = z;
        for (int p = 0; p < kc; p++) {
            int ap = aOff + p * MR, bp = bOff + p * NR;
            FloatVector b0 = FloatVector.fromArray(S, b, bp);
            FloatVector b1 = FloatVector.fromArray(S, b, bp + 16);
            FloatVector a0 = FloatVector.broadcast(S, a[ap + 0]);
            c000 = a0.fma(b0, c000); c001 = a0.fma(b1, c001);
            FloatVector a1 = FloatVector.broadcast(S, a[ap + 1]);
            c010 = a1.fma(b0, c010); c011 = a1.fma(b1, c011);
            FloatVector a2 = FloatVector.broadcast(S, a[ap + 2]);
            c020 = a2.fma(b0, c020); c021 = a2.fma(b1, c021);
            FloatVector a3 = FloatVector.broadcast(S, a[ap + 3]);
            c030 = a3.fma(b0, c030); c031 = a3.fma(b1, c031);
            FloatVector a4 = FloatVector.broadcast(S, a[ap + 4]);
            c040 = a4.fma(b0, c040); c041 = a4.fma(b1, c041);
            FloatVector a5 = FloatVector.broadcast(S, a[ap + 5]);
            c050 = a5.fma(b0, c050); c051 = a5.fma(b1, c051);
            FloatVector a6 = FloatVector.broadcast(S, a[ap + 6]);
            c060 = a6.fma(b0, c060); c061 = a6.fma(b1, c061);
            FloatVector a7 = FloatVector.broadcast(S, a[ap + 7]);
            c070 = a7.fma(b0, c070); c071 = a7.fma(b1, c071);
            FloatVector a8 = FloatVector.broadcast(S, a[ap + 8]);
            c080 = a8.fma(b0, c080); c081 = a8.fma(b1, c081);
            FloatVector a9 = FloatVector.broadcast(S, a[ap + 9]);
            c090 = a9.fma(b0, c090); c091 = a9.fma(b1, c091);
            FloatVector a10 = FloatVector.broadcast(S, a[ap + 10]);
            c100 = a10.fma(b0, c100); c101 = a10.fma(b1, c101);
            FloatVector a11 = FloatVector.broadcast(S, a[ap + 11]);
            c110 = a11.fma(b0, c110); c111 = a11.fma(b1, c111);
            FloatVector a12 = FloatVector.broadcast(S, a[ap + 12]);
            c120 = a12.fma(b0, c120); c121 = a12.fma(b1, c121);
            FloatVector a13 = FloatVector.broadcast(S, a[ap + 13]);
            c130 = a13.fma(b0, c130); c131 = a13.fma(b1, c131);
        }
        FloatVector va = FloatVector.broadcast(S, alpha);
        c000.fma(va, FloatVector.fromArray(S, c, cOff + 0 * ldc)).intoArray(c, cOff + 0 * ldc);
        c001.fma(va, FloatVector.fromArray(S, c, cOff + 0 * ldc + 16)).intoArray(c, cOff + 0 * ldc + 16);
        c010.fma(va, FloatVector.fromArray(S, c, cOff + 1 * ldc)).intoArray(c, cOff + 1 * ldc);
        c011.fma(va, FloatVector.fromArray(S, c, cOff + 1 * ldc + 16)).intoArray(c, cOff + 1 * ldc + 16);
        c020.fma(va, FloatVector.fromArray(S, c, cOff + 2 * ldc)).intoArray(c, cOff + 2 * ldc);
        c021.fma(va, FloatVector.fromArray(S, c, cOff + 2 * ldc + 16)).intoArray(c, cOff + 2 * ldc + 16);
        c030.fma(va, FloatVector.fromArray(S, c, cOff + 3 * ldc)).intoArray(c, cOff + 3 * ldc);
        c031.fma(va, FloatVector.fromArray(S, c, cOff + 3 * ldc + 16)).intoArray(c, cOff + 3 * ldc + 16);
        c040.fma(va, FloatVector.fromArray(S, c, cOff + 4 * ldc)).intoArray(c, cOff + 4 * ldc);
        c041.fma(va, FloatVector.fromArray(S, c, cOff + 4 * ldc + 16)).intoArray(c, cOff + 4 * ldc + 16);
        c050.fma(va, FloatVector.fromArray(S, c, cOff + 5 * ldc)).intoArray(c, cOff + 5 * ldc);
        c051.fma(va, FloatVector.fromArray(S, c, cOff + 5 * ldc + 16)).intoArray(c, cOff + 5 * ldc + 16);
        c060.fma(va, FloatVector.fromArray(S, c, cOff + 6 * ldc)).intoArray(c, cOff + 6 * ldc);
        c061.fma(va, FloatVector.fromArray(S, c, cOff + 6 * ldc + 16)).intoArray(c, cOff + 6 * ldc + 16);
        c070.fma(va, FloatVector.fromArray(S, c, cOff + 7 * ldc)).intoArray(c, cOff + 7 * ldc);
        c071.fma(va, FloatVector.fromArray(S, c, cOff + 7 * ldc + 16)).intoArray(c, cOff + 7 * ldc + 16);
        c080.fma(va, FloatVector.fromArray(S, c, cOff + 8 * ldc)).intoArray(c, cOff + 8 * ldc);
        c081.fma(va, FloatVector.fromArray(S, c, cOff + 8 * ldc + 16)).intoArray(c, cOff + 8 * ldc + 16);
        c090.fma(va, FloatVector.fromArray(S, c, cOff + 9 * ldc)).intoArray(c, cOff + 9 * ldc);
        c091.fma(va, FloatVector.fromArray(S, c, cOff + 9 * ldc + 16)).intoArray(c, cOff + 9 * ldc + 16);
        c100.fma(va, FloatVector.fromArray(S, c, cOff + 10 * ldc)).intoArray(c, cOff + 10 * ldc);
        c101.fma(va, FloatVector.fromArray(S, c, cOff + 10 * ldc + 16)).intoArray(c, cOff + 10 * ldc + 16);
        c110.fma(va, FloatVector.fromArray(S, c, cOff + 11 * ldc)).intoArray(c, cOff + 11 * ldc);
        c111.fma(va, FloatVector.fromArray(S, c, cOff + 11 * ldc + 16)).intoArray(c, cOff + 11 * ldc + 16);
        c120.fma(va, FloatVector.fromArray(S, c, cOff + 12 * ldc)).intoArray(c, cOff + 12 * ldc);
        c121.fma(va, FloatVector.fromArray(S, c, cOff + 12 * ldc + 16)).intoArray(c, cOff + 12 * ldc + 16);
        c130.fma(va, FloatVector.fromArray(S, c, cOff + 13 * ldc)).intoArray(c, cOff + 13 * ldc);
        c131.fma(va, FloatVector.fromArray(S, c, cOff + 13 * ldc + 16)).intoArray(c, cOff + 13 * ldc + 16);
    }
}
