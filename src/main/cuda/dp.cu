// nvcc-flags: -fmad=false
// DP family: what one DP-SGD step needs on the device, each with a plain-Java twin in
// org/dpmammo/backend/cuda/DpReference.java that the GPU self-test compares against.
//
//   dp_sq_norms        ‖g_i‖² of materialised per-example gradients g [B, D]
//   dp_row_dot         Σ_j a_ij·b_ij per example of a, b [B, D]: the ghost norm's ⟨AAᵀ, GGᵀ⟩ from two Gram matrices
//   dp_ghost_norms     ‖g_i‖² of a linear layer's weight gradient without materialising it, from its input
//                      A [B, T, Din] and output gradient G [B, T, Dout]: Σ_{t,s} (a_t·a_s)(g_t·g_s)
//   dp_clip_factors    c_i = min(1, C / (‖g_i‖ + 1e-6)), from summed squared norms; 0 for a non-finite norm, which
//                      drops the example as DpSgd does (fmin would return 1 for a NaN and keep it unclipped)
//   dp_scale_examples  x_i · c_i per example; followed by one transposed SGEMM this gives the clipped sum
//                      Aᵀ·diag(c)·G with no second backward
//   dp_gaussian_noise  the CPU's hardened, snapped N(0, σ²) from its ChaCha20 stream (see below), written or added
//   dp_adamw           the fused AdamW update (decoupled weight decay, bias-corrected moments)
// Norms and the ghost sums accumulate in double; one block per example, grid-stride over examples.
//
// Noise: the CPU's generator, element for element (org/dpmammo/privacy/noise/GaussianNoise.java and
// RandomSource.java), so a seeded run draws the same noise on either backend:
//  * Keystream: ChaCha20 (RFC 8439) under the run's 256-bit key. A noise call of n coordinates in training step s
//    is cut into chunks of 8192; chunk c reads substream (first + c) of step s, i.e. nonce (s low, s high,
//    first + c) with the block counter restarting at 0. Coordinate k of a chunk reads 64-bit words 4k .. 4k + 3
//    of that stream (block k/2, words 8(k mod 2) ..), each word taken high 32 bits first. Coordinates are 64-bit
//    and chunks are counted in 64 bits; the host guarantees first + chunks < 2^32, so no (nonce, counter) repeats
//    however long the call.
//  * Uniforms: u₁ = (⌊w/2^11⌋ + 1)·2^-53 in (0, 1] (so ln u₁ is finite) and u₂ = ⌊w/2^11⌋·2^-53 in [0, 1).
//  * Normal: two Box–Muller pairs in double, each giving both its cosine and its sine draw:
//    z = (r₁(cos θ₁ + sin θ₁) + r₂(cos θ₂ + sin θ₂))/2 with r = √(−2 ln u₁), θ = 2π·u₂ — the sum of four N(0, 1)
//    halved, which fills the holes a single Box–Muller draw leaves (Holohan & Braghin, arXiv 2107.10138, §5.1).
//  * Snapping (Mironov 2012): x + σz is formed in double and rounded to a multiple of the power-of-two resolution
//    the host passes (2^(⌊log₂ σ⌋ − 12), GaussianNoise.resolution), then to float32.
// Every double operation is written with __dadd_rn/__dmul_rn so nvcc cannot fuse a multiply and an add into an
// FMA (Java never does), and the order of operations is the Java code's; the family is compiled with -fmad=false
// (tools/build-ptx.sh reads the first line), so libdevice's log, sin and cos inlined here keep exactly their own
// fma() calls too, and the result does not depend on what ptxas would fuse. What can still differ is the last bit
// of log, cos and sin (libdevice and the JVM's intrinsics are different approximations); that changes a snapped
// output only when x + σz lies within a few ulps of a grid midpoint: below 1e-10 per coordinate, and none in 16
// million measured against libdevice run on the host (tools/kernel-lab/README.md). EmulatedNoiseTest checks it.

extern "C" __global__ void dp_sq_norms(int nEx, long long d, const float* __restrict__ g, float* __restrict__ out) {
    __shared__ double part[256];
    for (int i = blockIdx.x; i < nEx; i += gridDim.x) {
        const float* row = g + i * d;
        double s = 0.0;
        for (long long j = threadIdx.x; j < d; j += blockDim.x) s += (double) row[j] * row[j];
        part[threadIdx.x] = s;
        __syncthreads();
        for (int w = blockDim.x / 2; w > 0; w >>= 1) {
            if (threadIdx.x < w) part[threadIdx.x] += part[threadIdx.x + w];
            __syncthreads();
        }
        if (threadIdx.x == 0) out[i] = (float) part[0];
        __syncthreads();
    }
}

extern "C" __global__ void dp_row_dot(int nEx, long long d, const float* __restrict__ a, const float* __restrict__ b,
                                      float* __restrict__ out) {
    __shared__ double part[256];
    for (int i = blockIdx.x; i < nEx; i += gridDim.x) {
        const float* ra = a + i * d;
        const float* rb = b + i * d;
        double s = 0.0;
        for (long long j = threadIdx.x; j < d; j += blockDim.x) s += (double) ra[j] * rb[j];
        part[threadIdx.x] = s;
        __syncthreads();
        for (int w = blockDim.x / 2; w > 0; w >>= 1) {
            if (threadIdx.x < w) part[threadIdx.x] += part[threadIdx.x + w];
            __syncthreads();
        }
        if (threadIdx.x == 0) out[i] = (float) part[0];
        __syncthreads();
    }
}

// Pairs (t, s) with t ≤ s cover the symmetric double sum; off-diagonal pairs count twice. Cost per example is
// T²·(Din + Dout) instead of Din·Dout for the materialised gradient: the host picks whichever is cheaper.
extern "C" __global__ void dp_ghost_norms(int nEx, int t, int din, int dout, const float* __restrict__ a,
                                          const float* __restrict__ g, float* __restrict__ out) {
    __shared__ double part[256];
    long long pairs = (long long) t * t;
    for (int i = blockIdx.x; i < nEx; i += gridDim.x) {
        const float* A = a + (long long) i * t * din;
        const float* G = g + (long long) i * t * dout;
        double s = 0.0;
        for (long long q = threadIdx.x; q < pairs; q += blockDim.x) {
            int r = q / t, c = q % t;
            if (c < r) continue;
            double aa = 0.0, gg = 0.0;
            for (int j = 0; j < din; j++) aa += (double) A[(long long) r * din + j] * A[(long long) c * din + j];
            for (int j = 0; j < dout; j++) gg += (double) G[(long long) r * dout + j] * G[(long long) c * dout + j];
            s += (r == c ? 1.0 : 2.0) * aa * gg;
        }
        part[threadIdx.x] = s;
        __syncthreads();
        for (int w = blockDim.x / 2; w > 0; w >>= 1) {
            if (threadIdx.x < w) part[threadIdx.x] += part[threadIdx.x + w];
            __syncthreads();
        }
        if (threadIdx.x == 0) out[i] = (float) part[0];
        __syncthreads();
    }
}

extern "C" __global__ void dp_clip_factors(int nEx, const float* __restrict__ sqNorms, float clip, float* __restrict__ out) {
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < nEx; i += gridDim.x * blockDim.x) {
        double norm = sqrt((double) sqNorms[i]);
        out[i] = isfinite(norm) ? (float) fmin(1.0, (double) clip / (norm + 1e-6)) : 0.0f;
    }
}

extern "C" __global__ void dp_scale_examples(int nEx, long long per, const float* __restrict__ c, const float* __restrict__ x,
                                             float* __restrict__ out) {
    long long total = nEx * per;
    for (long long e = blockIdx.x * (long long) blockDim.x + threadIdx.x; e < total; e += (long long) gridDim.x * blockDim.x) {
        out[e] = x[e] * c[e / per];
    }
}

__device__ __forceinline__ unsigned rotl(unsigned v, int n) {
    return (v << n) | (v >> (32 - n));
}

#define QR(a, b, c, d)                \
    a += b; d ^= a; d = rotl(d, 16);  \
    c += d; b ^= c; b = rotl(b, 12);  \
    a += b; d ^= a; d = rotl(d, 8);   \
    c += d; b ^= c; b = rotl(b, 7);

// The RFC 8439 block function: 16 output words for (key, counter, nonce).
__device__ void chacha20_block(const unsigned* key, unsigned counter, unsigned n0, unsigned n1, unsigned n2, unsigned* out) {
    unsigned s[16] = {0x61707865u, 0x3320646eu, 0x79622d32u, 0x6b206574u, key[0], key[1], key[2], key[3],
                      key[4], key[5], key[6], key[7], counter, n0, n1, n2};
    unsigned x[16];
#pragma unroll
    for (int i = 0; i < 16; i++) x[i] = s[i];
#pragma unroll
    for (int r = 0; r < 10; r++) {
        QR(x[0], x[4], x[8], x[12]) QR(x[1], x[5], x[9], x[13]) QR(x[2], x[6], x[10], x[14]) QR(x[3], x[7], x[11], x[15])
        QR(x[0], x[5], x[10], x[15]) QR(x[1], x[6], x[11], x[12]) QR(x[2], x[7], x[8], x[13]) QR(x[3], x[4], x[9], x[14])
    }
#pragma unroll
    for (int i = 0; i < 16; i++) out[i] = x[i] + s[i];
}

struct Key {
    unsigned w[8];
};

// Math.PI·2 in double (exact: doubling is exact), the constant the Java code multiplies by.
#define TWO_PI 6.283185307179586

// The 64-bit word j of a block, high half first, as RandomSource.Stream.nextLong reads it.
__device__ __forceinline__ unsigned long long word64(const unsigned* w, int j) {
    return ((unsigned long long) w[2 * j] << 32) | w[2 * j + 1];
}

// GaussianNoise.hardenedNormal over the four 64-bit words w64[0..3] of one coordinate.
__device__ double hardened_normal(const unsigned* w) {
    double sum = 0.0;
    for (int pair = 0; pair < 2; pair++) {
        double u1 = (double) ((word64(w, 2 * pair) >> 11) + 1) * 0x1p-53;
        double u2 = (double) (word64(w, 2 * pair + 1) >> 11) * 0x1p-53;
        double radius = sqrt(__dmul_rn(-2.0, log(u1)));
        double angle = __dmul_rn(TWO_PI, u2);
        sum = __dadd_rn(sum, __dmul_rn(radius, __dadd_rn(cos(angle), sin(angle))));
    }
    return sum / 2;
}

#define NOISE_CHUNK 8192LL

// One thread per pair of coordinates (2p, 2p + 1), which share a ChaCha20 block; a chunk never splits a pair.
// accumulate = 0 writes the snapped noise alone (the CPU adding noise to zeros), 1 adds it to out in place.
extern "C" __global__ void dp_gaussian_noise(long long n, Key key, unsigned stepLo, unsigned stepHi, long long firstSubstream,
                                             double sigma, double resolution, int accumulate, float* __restrict__ out) {
    long long pairs = (n + 1) / 2;
    for (long long p = blockIdx.x * (long long) blockDim.x + threadIdx.x; p < pairs; p += (long long) gridDim.x * blockDim.x) {
        long long i = 2 * p;
        unsigned w[16];
        chacha20_block(key.w, (unsigned) ((i % NOISE_CHUNK) / 2), stepLo, stepHi, (unsigned) (firstSubstream + i / NOISE_CHUNK), w);
        for (int half = 0; half < 2 && i + half < n; half++) {
            double x = accumulate ? (double) out[i + half] : 0.0;
            double noisy = __dadd_rn(x, __dmul_rn(sigma, hardened_normal(w + 8 * half)));
            out[i + half] = (float) __dmul_rn(rint(noisy / resolution), resolution);
        }
    }
}

// PyTorch's AdamW order: decay the weight first, then the Adam step with bias-corrected moments. bc1 = 1 − β₁ᵗ and
// bc2 = 1 − β₂ᵗ come from the host, so the kernel holds no step counter.
extern "C" __global__ void dp_adamw(long long n, float* __restrict__ p, const float* __restrict__ g, float* __restrict__ m,
                                    float* __restrict__ v, float lr, float beta1, float beta2, float eps, float wd, float bc1,
                                    float bc2) {
    for (long long i = blockIdx.x * (long long) blockDim.x + threadIdx.x; i < n; i += (long long) gridDim.x * blockDim.x) {
        float gi = g[i];
        float pi = p[i] * (1.0f - lr * wd);
        float mi = beta1 * m[i] + (1.0f - beta1) * gi;
        float vi = beta2 * v[i] + (1.0f - beta2) * gi * gi;
        m[i] = mi;
        v[i] = vi;
        p[i] = pi - lr * (mi / bc1) / (sqrtf(vi / bc2) + eps);
    }
}
