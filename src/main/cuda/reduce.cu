// Reduction family: row sums, and max / argmax along a row. The host first moves the reduced axes last with
// ew_strided_copy (as backend/cpu/CpuBackend.sum does with permute), so every output element reduces one contiguous
// run of `len` floats; one block per row, grid-stride over rows when there are more rows than blocks.
//
// Sums accumulate in double, as the CPU backend does, so both agree to float rounding whatever the order.
// max/argmax keep the CPU's semantics: NaN is the maximum, and ties go to the first index.

extern "C" __global__ void reduce_sum_rows(long long rows, int len, const float* __restrict__ x, float* __restrict__ out) {
    __shared__ double part[1024];
    for (long long r = blockIdx.x; r < rows; r += gridDim.x) {
        const float* row = x + r * len;
        double s = 0.0;
        for (int i = threadIdx.x; i < len; i += blockDim.x) s += row[i];
        part[threadIdx.x] = s;
        __syncthreads();
        for (int w = blockDim.x / 2; w > 0; w >>= 1) {
            if (threadIdx.x < w) part[threadIdx.x] += part[threadIdx.x + w];
            __syncthreads();
        }
        if (threadIdx.x == 0) out[r] = (float) part[0];
        __syncthreads();
    }
}

// True when (v, i) beats (best, bi): larger, or NaN over a number, or equal (or both NaN) at a smaller index.
__device__ __forceinline__ bool better(float v, int i, float best, int bi) {
    bool vn = v != v, bn = best != best;
    if (vn != bn) return vn;
    if (vn || v == best) return i < bi;
    return v > best;
}

extern "C" __global__ void reduce_max_rows(long long rows, int len, int wantIndex, const float* __restrict__ x,
                                           float* __restrict__ out) {
    __shared__ float val[1024];
    __shared__ int idx[1024];
    for (long long r = blockIdx.x; r < rows; r += gridDim.x) {
        const float* row = x + r * len;
        float best = row[0];
        int bi = 0;
        for (int i = threadIdx.x; i < len; i += blockDim.x) {
            if (better(row[i], i, best, bi)) { best = row[i]; bi = i; }
        }
        val[threadIdx.x] = best;
        idx[threadIdx.x] = bi;
        __syncthreads();
        for (int w = blockDim.x / 2; w > 0; w >>= 1) {
            if (threadIdx.x < w && better(val[threadIdx.x + w], idx[threadIdx.x + w], val[threadIdx.x], idx[threadIdx.x])) {
                val[threadIdx.x] = val[threadIdx.x + w];
                idx[threadIdx.x] = idx[threadIdx.x + w];
            }
            __syncthreads();
        }
        if (threadIdx.x == 0) out[r] = wantIndex ? (float) idx[0] : val[0];
        __syncthreads();
    }
}
