// Indexing family: indexSelect (gather), indexAdd (scatter-add with atomicAdd, since indices may repeat) and the
// concat copy. The tensor is viewed as [outer, len, inner] around the indexed axis, as in
// backend/cpu/CpuBackend; index bounds are checked on the host before launch, so kernels trust them.
// indexAdd's atomics make its float sums order-dependent (differences of a few ulp between runs); the CPU adds in
// index order. The self-test tolerance (1e-6 relative) covers the difference.

extern "C" __global__ void index_select(long long outer, int len, int nIdx, int inner, const int* __restrict__ idx,
                                        const float* __restrict__ x, float* __restrict__ out) {
    long long total = outer * nIdx * inner;
    for (long long e = blockIdx.x * (long long) blockDim.x + threadIdx.x; e < total; e += (long long) gridDim.x * blockDim.x) {
        long long t = e % inner, j = (e / inner) % nIdx, o = e / ((long long) inner * nIdx);
        out[e] = x[(o * len + idx[j]) * inner + t];
    }
}

// out must be zeroed by the host (cuMemsetD32Async) before the launch.
extern "C" __global__ void index_add(long long outer, int axisSize, int nIdx, int inner, const int* __restrict__ idx,
                                     const float* __restrict__ src, float* __restrict__ out) {
    long long total = outer * nIdx * inner;
    for (long long e = blockIdx.x * (long long) blockDim.x + threadIdx.x; e < total; e += (long long) gridDim.x * blockDim.x) {
        long long t = e % inner, j = (e / inner) % nIdx, o = e / ((long long) inner * nIdx);
        atomicAdd(&out[(o * axisSize + idx[j]) * inner + t], src[e]);
    }
}

// Copies one part [outer, rowPart] into the output [outer, rowOut] at column `at`: one launch per concatenated part.
extern "C" __global__ void concat_part(long long outer, int rowPart, int rowOut, int at, const float* __restrict__ part,
                                       float* __restrict__ out) {
    long long total = outer * rowPart;
    for (long long e = blockIdx.x * (long long) blockDim.x + threadIdx.x; e < total; e += (long long) gridDim.x * blockDim.x) {
        long long o = e / rowPart, r = e % rowPart;
        out[o * rowOut + at + r] = part[e];
    }
}
