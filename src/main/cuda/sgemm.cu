// SGEMM family, float32: C = alpha·op(A)·op(B) + beta·C, row-major, batched over blockIdx.z with element strides
// between batch entries (a stride of 0 shares one operand across the batch, as a layer's weight is shared).
//
// v1 (this file): 64×64 block tile, 16-deep K slab in shared memory, 256 threads each holding a 4×4 register
// block. Each thread's rows and columns are spread 16 apart rather than adjacent, so a warp's global stores and
// shared-memory reads hit consecutive addresses. A is stored k-major in shared memory so the inner loop reads
// both operands along rows. Transposes are handled at load time (the element (i, p) of op(A) is read from
// A[p·lda + i] when transA), so no transposed copy is ever made.
// Not yet measured on a GPU: the kernel lab numbers in docs/BENCHMARKS.md say "not measured".
// sgemm_tf32.cu holds the tensor-core variant.

#define BM 64
#define BN 64
#define BK 16

extern "C" __global__ void __launch_bounds__(256)
sgemm_f32(int m, int n, int k, int transA, int transB, float alpha, const float* __restrict__ a, int lda, long long strideA,
          const float* __restrict__ b, int ldb, long long strideB, float beta, float* __restrict__ c, int ldc,
          long long strideC, int batch) {
    __shared__ float As[BK][BM];
    __shared__ float Bs[BK][BN];
    const int tx = threadIdx.x % 16, ty = threadIdx.x / 16;
    const int row0 = blockIdx.y * BM, col0 = blockIdx.x * BN;
    for (int z = blockIdx.z; z < batch; z += gridDim.z) {
        const float* A = a + z * strideA;
        const float* B = b + z * strideB;
        float* C = c + z * strideC;
        float acc[4][4] = {};
        for (int p0 = 0; p0 < k; p0 += BK) {
            // 1024 elements per tile, 4 per thread; out-of-range elements load as 0 so edge tiles need no branches.
            for (int e = threadIdx.x; e < BM * BK; e += 256) {
                int i = e / BK, p = e % BK;
                int gi = row0 + i, gp = p0 + p;
                As[p][i] = gi < m && gp < k ? (transA ? A[(long long) gp * lda + gi] : A[(long long) gi * lda + gp]) : 0.0f;
                int q = e / BN, j = e % BN;
                int gq = p0 + q, gj = col0 + j;
                Bs[q][j] = gq < k && gj < n ? (transB ? B[(long long) gj * ldb + gq] : B[(long long) gq * ldb + gj]) : 0.0f;
            }
            __syncthreads();
#pragma unroll
            for (int p = 0; p < BK; p++) {
                float ar[4], br[4];
#pragma unroll
                for (int r = 0; r < 4; r++) ar[r] = As[p][ty + 16 * r];
#pragma unroll
                for (int s = 0; s < 4; s++) br[s] = Bs[p][tx + 16 * s];
#pragma unroll
                for (int r = 0; r < 4; r++)
#pragma unroll
                    for (int s = 0; s < 4; s++) acc[r][s] = fmaf(ar[r], br[s], acc[r][s]);
            }
            __syncthreads();
        }
#pragma unroll
        for (int r = 0; r < 4; r++) {
            int gi = row0 + ty + 16 * r;
            if (gi >= m) continue;
#pragma unroll
            for (int s = 0; s < 4; s++) {
                int gj = col0 + tx + 16 * s;
                if (gj >= n) continue;
                float* dst = C + (long long) gi * ldc + gj;
                // beta == 0 must not read C: fresh buffers from the allocator hold stale values, possibly NaN.
                *dst = beta == 0.0f ? alpha * acc[r][s] : alpha * acc[r][s] + beta * *dst;
            }
        }
    }
}
