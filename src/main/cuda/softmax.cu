// Softmax family: softmax / log-softmax over the last axis and their backward, one block per row (grid-stride over
// rows). Stable form: subtract the row maximum before exp. The normaliser and the backward's Σ accumulate in
// double, as backend/cpu/CpuBackend.softmax does; exp itself is single precision (expf, ≤ 2 ulp).

__device__ double block_sum(double v, double* part) {
    part[threadIdx.x] = v;
    __syncthreads();
    for (int w = blockDim.x / 2; w > 0; w >>= 1) {
        if (threadIdx.x < w) part[threadIdx.x] += part[threadIdx.x + w];
        __syncthreads();
    }
    double s = part[0];
    __syncthreads();
    return s;
}

__device__ float block_max(float v, float* part) {
    part[threadIdx.x] = v;
    __syncthreads();
    for (int w = blockDim.x / 2; w > 0; w >>= 1) {
        if (threadIdx.x < w) part[threadIdx.x] = fmaxf(part[threadIdx.x], part[threadIdx.x + w]);
        __syncthreads();
    }
    float m = part[0];
    __syncthreads();
    return m;
}

extern "C" __global__ void softmax_rows(long long rows, int len, int logOut, const float* __restrict__ x, float* __restrict__ y) {
    __shared__ double dpart[1024];
    __shared__ float fpart[1024];
    for (long long r = blockIdx.x; r < rows; r += gridDim.x) {
        const float* xr = x + r * len;
        float* yr = y + r * len;
        float m = -INFINITY;
        for (int i = threadIdx.x; i < len; i += blockDim.x) m = fmaxf(m, xr[i]);
        m = block_max(m, fpart);
        double s = 0.0;
        for (int i = threadIdx.x; i < len; i += blockDim.x) s += (double) expf(xr[i] - m);
        s = block_sum(s, dpart);
        if (logOut) {
            float lse = (float) ((double) m + log(s));
            for (int i = threadIdx.x; i < len; i += blockDim.x) yr[i] = xr[i] - lse;
        } else {
            double inv = 1.0 / s;
            for (int i = threadIdx.x; i < len; i += blockDim.x) yr[i] = (float) ((double) expf(xr[i] - m) * inv);
        }
    }
}

// log-softmax: g − softmax·Σg; softmax: y·(g − Σ g·y).
extern "C" __global__ void softmax_backward_rows(long long rows, int len, int logOut, const float* __restrict__ y,
                                                 const float* __restrict__ g, float* __restrict__ dx) {
    __shared__ double dpart[1024];
    for (long long r = blockIdx.x; r < rows; r += gridDim.x) {
        const float* yr = y + r * len;
        const float* gr = g + r * len;
        float* dr = dx + r * len;
        double s = 0.0;
        for (int i = threadIdx.x; i < len; i += blockDim.x) s += logOut ? (double) gr[i] : (double) gr[i] * yr[i];
        s = block_sum(s, dpart);
        for (int i = threadIdx.x; i < len; i += blockDim.x) {
            dr[i] = logOut ? (float) (gr[i] - (double) expf(yr[i]) * s) : (float) (yr[i] * (gr[i] - s));
        }
    }
}
