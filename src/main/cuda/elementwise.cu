// Elementwise family: broadcasting binary ops, unary ops and their backward, and the strided copy that turns
// any view into a contiguous buffer.
//
// Broadcasting is done with strides, never by materialising the expanded operands: the host (StridedLayout.java)
// collapses the output shape and both operands' strides to at most MAX_RANK axes and passes them by value; a stride
// of 0 repeats an operand along that axis. Each thread turns its linear output index into a multi-index from the
// last axis backwards and dots it with each operand's strides. StridedLayout.emulate runs the same arithmetic in Java
// so CI checks it against the CPU backend without a GPU.
//
// Op codes are KernelCodes.java's; formulas follow backend/cpu/Kernels.java (exact-erf GELU, sign-split sigmoid) in
// single precision with the CUDA math library (≤ 2 ulp), well inside the self-test's 4e-6 tolerance.

#define MAX_RANK 8

// Passed by value: the driver copies kernel arguments, so a fixed-size struct needs no device allocation.
struct Layout {
    int rank;
    int shape[MAX_RANK];
    int strideA[MAX_RANK];
    int strideB[MAX_RANK];
};

__device__ __forceinline__ void offsets(const Layout& l, long long i, long long& oa, long long& ob) {
    oa = 0;
    ob = 0;
    for (int d = l.rank - 1; d >= 0; d--) {
        int s = l.shape[d];
        long long k = i % s;
        i /= s;
        oa += k * l.strideA[d];
        ob += k * l.strideB[d];
    }
}

__device__ __forceinline__ float binary_op(int op, float a, float b) {
    switch (op) {
        case 0: return a + b;
        case 1: return a - b;
        case 2: return a * b;
        case 3: return a / b;
        case 4: return (a != a || b != b) ? a + b : fmaxf(a, b);  // NaN propagates, as Java's Math.max
        case 5: return (a != a || b != b) ? a + b : fminf(a, b);
        case 6: return powf(a, b);
        default: return a > b ? 1.0f : 0.0f;
    }
}

extern "C" __global__ void ew_binary(int op, long long n, Layout l, const float* __restrict__ a, long long aOff,
                                     const float* __restrict__ b, long long bOff, float* __restrict__ out) {
    for (long long i = blockIdx.x * (long long) blockDim.x + threadIdx.x; i < n; i += (long long) gridDim.x * blockDim.x) {
        long long oa, ob;
        offsets(l, i, oa, ob);
        out[i] = binary_op(op, a[aOff + oa], b[bOff + ob]);
    }
}

// Gathers a strided view (strides in strideA; strideB unused) into a contiguous buffer.
extern "C" __global__ void ew_strided_copy(long long n, Layout l, const float* __restrict__ src, long long srcOff,
                                           float* __restrict__ dst) {
    for (long long i = blockIdx.x * (long long) blockDim.x + threadIdx.x; i < n; i += (long long) gridDim.x * blockDim.x) {
        long long oa, ob;
        offsets(l, i, oa, ob);
        dst[i] = src[srcOff + oa];
    }
}

#define SQRT1_2 0.70710678118654752f
#define INV_SQRT_2PI 0.39894228040143268f
#define TWO_OVER_SQRT_PI 1.12837916709551257f

__device__ __forceinline__ float sigmoidf(float v) {
    // Split by sign so expf never overflows.
    if (v >= 0.0f) return 1.0f / (1.0f + expf(-v));
    float e = expf(v);
    return e / (1.0f + e);
}

__device__ __forceinline__ float unary_op(int op, float x, float p) {
    switch (op) {
        case 0: return -x;
        case 1: return expf(x);
        case 2: return logf(x);
        case 3: return sqrtf(x);
        case 4: return 1.0f / sqrtf(x);  // not rsqrtf: its 2-ulp error is avoidable here
        case 5: return 1.0f / x;
        case 6: return fabsf(x);
        case 7: return x * x;
        case 8: return tanhf(x);
        case 9: return sigmoidf(x);
        case 10: return x > 0.0f ? x : (x != x ? x : 0.0f);
        case 11: return x > 0.0f ? x : x * p;
        case 12: return 0.5f * x * (1.0f + erff(x * SQRT1_2));
        case 13: return erff(x);
        case 14: return powf(x, p);
        case 15: return x + p;
        default: return x * p;
    }
}

extern "C" __global__ void ew_unary(int op, float p, long long n, const float* __restrict__ x, float* __restrict__ out) {
    for (long long i = blockIdx.x * (long long) blockDim.x + threadIdx.x; i < n; i += (long long) gridDim.x * blockDim.x) {
        out[i] = unary_op(op, x[i], p);
    }
}

// gradOut · f'(x); x or y may be null where the op's rule does not read it (the host passes whichever exists).
extern "C" __global__ void ew_unary_backward(int op, float p, long long n, const float* __restrict__ x,
                                             const float* __restrict__ y, const float* __restrict__ g,
                                             float* __restrict__ out) {
    for (long long i = blockIdx.x * (long long) blockDim.x + threadIdx.x; i < n; i += (long long) gridDim.x * blockDim.x) {
        float gi = g[i], r;
        switch (op) {
            case 0: r = -gi; break;
            case 1: r = gi * y[i]; break;
            case 2: r = gi / x[i]; break;
            case 3: r = gi * 0.5f / y[i]; break;
            case 4: { float v = y[i]; r = -0.5f * gi * v * v * v; break; }
            case 5: { float v = y[i]; r = -gi * v * v; break; }
            case 6: { float v = x[i]; r = v > 0.0f ? gi : (v < 0.0f ? -gi : gi * v); break; }  // signum keeps ±0 and NaN
            case 7: r = 2.0f * gi * x[i]; break;
            case 8: { float v = y[i]; r = gi * (1.0f - v * v); break; }
            case 9: { float v = y[i]; r = gi * v * (1.0f - v); break; }
            case 10: r = x[i] > 0.0f ? gi : 0.0f; break;
            case 11: r = x[i] > 0.0f ? gi : gi * p; break;
            case 12: {
                float v = x[i];
                float cdf = 0.5f * (1.0f + erff(v * SQRT1_2));
                float pdf = expf(-0.5f * v * v) * INV_SQRT_2PI;
                r = gi * (cdf + v * pdf);
                break;
            }
            case 13: { float v = x[i]; r = gi * TWO_OVER_SQRT_PI * expf(-v * v); break; }
            case 14: r = gi * p * powf(x[i], p - 1.0f); break;
            case 15: r = gi; break;
            default: r = gi * p; break;
        }
        out[i] = r;
    }
}
