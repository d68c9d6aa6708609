// ptx-arch: compute_80 (mma.sync with .tf32 operands needs sm_80; every other family targets compute_75)
// SGEMM family, TF32 tensor cores: same contract and arguments as sgemm_f32 in sgemm.cu, selected by the host
// flag CudaBackend.useTf32 (off by default; self-test tolerance 3e-3 instead of 1e-5 relative, since TF32 keeps
// 10 mantissa bits). Needs sm_80 or newer, so this file alone is compiled for compute_80.
//
// v1: 64×64 block tile, K slabs of 16, 4 warps in a 2×2 arrangement, each warp a 32×32 tile made of 2×4
// mma.sync.m16n8k8 tiles (32 float accumulators per thread). Operands are rounded to TF32 with cvt.rna (round to
// nearest, ties away) when read from shared memory. Shared rows are padded by 4 floats so the fragment reads of a
// warp fall in distinct banks. Fragment ownership per lane (g = lane/4, t = lane%4), from the PTX ISA's
// m16n8k8 .tf32 layout: a0 (g, t), a1 (g+8, t), a2 (g, t+4), a3 (g+8, t+4); b0 (k=t, n=g), b1 (k=t+4, n=g);
// c0 (g, 2t), c1 (g, 2t+1), c2 (g+8, 2t), c3 (g+8, 2t+1).
// Not yet measured or validated on a GPU.

#define BM 64
#define BN 64
#define BK 16
#define PAD 4

// The only inline PTX, kept in two small functions so tools/kernel-lab/cuda_emu.h can stand in for them on a CPU.
#ifndef DPMAMMO_KERNEL_EMULATOR
__device__ __forceinline__ unsigned to_tf32(float x) {
    unsigned r;
    asm("cvt.rna.tf32.f32 %0, %1;" : "=r"(r) : "f"(x));
    return r;
}

// d += A·B for one 16×8×8 tile held in this lane's fragments (layout in the header).
__device__ __forceinline__ void mma_tf32(float* d, const unsigned* a, const unsigned* b) {
    asm volatile(
        "mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 "
        "{%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}
#endif

extern "C" __global__ void __launch_bounds__(128)
sgemm_tf32(int m, int n, int k, int transA, int transB, float alpha, const float* __restrict__ a, int lda, long long strideA,
           const float* __restrict__ b, int ldb, long long strideB, float beta, float* __restrict__ c, int ldc,
           long long strideC, int batch) {
    __shared__ float As[BM][BK + PAD];
    __shared__ float Bs[BK][BN + PAD];
    const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
    const int g = lane / 4, t = lane % 4;
    const int wm = (warp / 2) * 32, wn = (warp % 2) * 32;
    const int row0 = blockIdx.y * BM, col0 = blockIdx.x * BN;
    for (int z = blockIdx.z; z < batch; z += gridDim.z) {
        const float* A = a + z * strideA;
        const float* B = b + z * strideB;
        float* C = c + z * strideC;
        float acc[2][4][4] = {};
        for (int p0 = 0; p0 < k; p0 += BK) {
            for (int e = threadIdx.x; e < BM * BK; e += 128) {
                int i = e / BK, p = e % BK;
                int gi = row0 + i, gp = p0 + p;
                As[i][p] = gi < m && gp < k ? (transA ? A[(long long) gp * lda + gi] : A[(long long) gi * lda + gp]) : 0.0f;
                int q = e / BN, j = e % BN;
                int gq = p0 + q, gj = col0 + j;
                Bs[q][j] = gq < k && gj < n ? (transB ? B[(long long) gj * ldb + gq] : B[(long long) gq * ldb + gj]) : 0.0f;
            }
            __syncthreads();
#pragma unroll
            for (int kk = 0; kk < BK; kk += 8) {
                unsigned af[2][4], bf[4][2];
#pragma unroll
                for (int mi = 0; mi < 2; mi++) {
                    int r = wm + mi * 16 + g;
                    af[mi][0] = to_tf32(As[r][kk + t]);
                    af[mi][1] = to_tf32(As[r + 8][kk + t]);
                    af[mi][2] = to_tf32(As[r][kk + t + 4]);
                    af[mi][3] = to_tf32(As[r + 8][kk + t + 4]);
                }
#pragma unroll
                for (int ni = 0; ni < 4; ni++) {
                    int col = wn + ni * 8 + g;
                    bf[ni][0] = to_tf32(Bs[kk + t][col]);
                    bf[ni][1] = to_tf32(Bs[kk + t + 4][col]);
                }
#pragma unroll
                for (int mi = 0; mi < 2; mi++)
#pragma unroll
                    for (int ni = 0; ni < 4; ni++) mma_tf32(acc[mi][ni], af[mi], bf[ni]);
            }
            __syncthreads();
        }
#pragma unroll
        for (int mi = 0; mi < 2; mi++)
#pragma unroll
            for (int ni = 0; ni < 4; ni++)
#pragma unroll
                for (int q = 0; q < 4; q++) {
                    int gi = row0 + wm + mi * 16 + g + (q >= 2 ? 8 : 0);
                    int gj = col0 + wn + ni * 8 + 2 * t + (q & 1);
                    if (gi < m && gj < n) {
                        float* dst = C + (long long) gi * ldc + gj;
                        *dst = beta == 0.0f ? alpha * acc[mi][ni][q] : alpha * acc[mi][ni][q] + beta * *dst;
                    }
                }
    }
}
