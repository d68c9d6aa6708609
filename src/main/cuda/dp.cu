// DP family: what one DP-SGD step needs on the device, each with a plain-Java twin in
// org/dpmammo/backend/cuda/DpReference.java that the GPU self-test compares against.
//
//   dp_sq_norms        ‖g_i‖² of materialised per-example gradients g [B, D]
//   dp_ghost_norms     ‖g_i‖² of a linear layer's weight gradient without materialising it, from its input
//                      A [B, T, Din] and output gradient G [B, T, Dout]: Σ_{t,s} (a_t·a_s)(g_t·g_s)
//   dp_clip_factors    c_i = min(1, C / (‖g_i‖ + 1e-6)), from summed squared norms
//   dp_scale_examples  x_i · c_i per example; followed by one transposed SGEMM this gives the clipped sum
//                      Aᵀ·diag(c)·G with no second backward
//   dp_gaussian_noise  N(0, σ²) from a counter-based ChaCha20 stream (see below), written or added in place
//   dp_adamw           the fused AdamW update (decoupled weight decay, bias-corrected moments)
// Norms and the ghost sums accumulate in double; one block per example, grid-stride over examples.
//
// Noise generator and floating-point-attack mitigation (to be matched by the CPU path in privacy.noise):
//  * Randomness: ChaCha20 block function (RFC 8439, 20 rounds) keyed by 256 bits the host draws from
//    java.security.SecureRandom (never from a user seed outside tests). Element i of a call uses block counter i
//    and a 96-bit nonce chosen by the host so that (key, nonce, counter) never repeats: nonce = (purpose word,
//    call number low word, call number high word). So noise is independent of launch shape and thread order.
//  * Uniforms: each block's 512 bits give 8 uniforms u = (⌊w64 / 2^11⌋ + 1)·2^-53 with 53 random bits each,
//    in (0, 1], so log(u) is finite and no uniform is coarser than a double allows.
//  * Gaussians: Box–Muller in double precision, cosine branch only: z = √(−2 ln u₁)·cos(2π u₂), four times.
//  * Hardening against the Holohan–Braghin/Jin et al. attacks on textbook samplers: the output is
//    (z₁ + z₂ + z₃ + z₄)/2, which is N(0, 1) again but whose set of reachable values has no exploitable holes at
//    the precision of a single Box–Muller draw (the n = 2 variant of Holohan & Braghin §5.1, as Opacus'
//    secure mode does). Then σ·z is formed in double and, when adding to a gradient, x + σ·z is computed in
//    double and rounded to float32 once.
//  * Known limit: this is hardening, not a proof. Precision-based attacks on the final float32 addition (Haney et
//    al. 2022) are not closed by it; closing them needs snapping the result to a power-of-two grid chosen from σ
//    (Mironov 2012) or integer noise on a grid (Google's secure noise), which belongs to privacy.noise.

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
        out[i] = (float) fmin(1.0, (double) clip / (sqrt((double) sqNorms[i]) + 1e-6));
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

#define TWO_PI 6.283185307179586476925286766559

extern "C" __global__ void dp_gaussian_noise(long long n, Key key, unsigned n0, unsigned n1, unsigned n2, double sigma,
                                             int accumulate, float* __restrict__ out) {
    for (long long i = blockIdx.x * (long long) blockDim.x + threadIdx.x; i < n; i += (long long) gridDim.x * blockDim.x) {
        unsigned w[16];
        chacha20_block(key.w, (unsigned) i, n0, n1, n2, w);
        double z = 0.0;
#pragma unroll
        for (int j = 0; j < 4; j++) {
            unsigned long long r1 = ((unsigned long long) w[4 * j + 1] << 32) | w[4 * j];
            unsigned long long r2 = ((unsigned long long) w[4 * j + 3] << 32) | w[4 * j + 2];
            double u1 = (double) ((r1 >> 11) + 1) * 0x1p-53;
            double u2 = (double) ((r2 >> 11) + 1) * 0x1p-53;
            z += sqrt(-2.0 * log(u1)) * cos(TWO_PI * u2);
        }
        double noise = sigma * (0.5 * z);
        out[i] = accumulate ? (float) ((double) out[i] + noise) : (float) noise;
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
