package org.dpmammo.backend.cuda;

import org.dpmammo.util.ChaCha20;

/**
 * Plain-Java twins of the DP kernels in src/main/cuda/dp.cu, written for obviousness: the GPU self-test compares
 * the device against these, and the noise function defines the stream the CPU noise path must reproduce.
 * Arrays are row-major; B = examples, T = positions per example, Din/Dout = a linear layer's widths.
 */
public final class DpReference {
    private DpReference() {}

    /** ‖g_i‖² of per-example gradients g [B, D]. */
    public static float[] sqNorms(float[] g, int examples, int d) {
        float[] out = new float[examples];
        for (int i = 0; i < examples; i++) {
            double s = 0;
            for (int j = 0; j < d; j++) s += (double) g[i * d + j] * g[i * d + j];
            out[i] = (float) s;
        }
        return out;
    }

    /** ‖Σ_t a_t g_tᵀ‖² per example by materialising the per-example weight gradient: the ghost norm's definition. */
    public static float[] ghostNormsMaterialised(float[] a, float[] g, int examples, int t, int din, int dout) {
        float[] out = new float[examples];
        for (int i = 0; i < examples; i++) {
            double s = 0;
            for (int j = 0; j < din; j++) {
                for (int k = 0; k < dout; k++) {
                    double w = 0;
                    for (int p = 0; p < t; p++) w += (double) a[(i * t + p) * din + j] * g[(i * t + p) * dout + k];
                    s += w * w;
                }
            }
            out[i] = (float) s;
        }
        return out;
    }

    /** c_i = min(1, C / (‖g_i‖ + 1e-6)); 0 for a non-finite norm (the example is dropped, as DpSgd drops it). */
    public static float[] clipFactors(float[] sqNorms, float clip) {
        float[] out = new float[sqNorms.length];
        for (int i = 0; i < out.length; i++) {
            double norm = Math.sqrt(sqNorms[i]);
            out[i] = Double.isFinite(norm) ? (float) Math.min(1.0, clip / (norm + 1e-6)) : 0f;
        }
        return out;
    }

    /** Σ_i c_i Σ_t a_t g_tᵀ = Aᵀ·diag(c)·G as a [Din, Dout] matrix. */
    public static float[] clippedSum(float[] a, float[] g, float[] c, int examples, int t, int din, int dout) {
        float[] out = new float[din * dout];
        for (int j = 0; j < din; j++) {
            for (int k = 0; k < dout; k++) {
                double s = 0;
                for (int i = 0; i < examples; i++) {
                    for (int p = 0; p < t; p++) s += (double) c[i] * a[(i * t + p) * din + j] * g[(i * t + p) * dout + k];
                }
                out[j * dout + k] = (float) s;
            }
        }
        return out;
    }

    /**
     * What dp_gaussian_noise adds to x (or writes, for x = null): coordinate i draws from ChaCha20 substream
     * (first + i / chunk) of the step, block (i mod chunk)/2, and its 8 words (i mod 2)·8 .. are four 64-bit words
     * (high half first) giving two Box–Muller pairs; the value x + σ·z is snapped to the resolution in double, then
     * rounded to float. Written coordinate by coordinate, independently of GaussianNoise's sequential streams, so
     * that a test finding the two equal checks the kernel's addressing, not a shared implementation. See dp.cu.
     */
    public static float[] gaussianNoise(int[] key, long step, long firstSubstream, double sigma, double resolution, float[] x, int n) {
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            int[] w = ChaCha20.block(key, (i % CudaBackend.NOISE_CHUNK) / 2, (int) step, (int) (step >>> 32),
                    (int) (firstSubstream + i / CudaBackend.NOISE_CHUNK));
            int o = 8 * (i % 2);
            double sum = 0;
            for (int pair = 0; pair < 2; pair++) {
                double u1 = ((word(w, o + 4 * pair) >>> 11) + 1) * 0x1p-53;
                double u2 = (word(w, o + 4 * pair + 2) >>> 11) * 0x1p-53;
                double radius = Math.sqrt(-2 * Math.log(u1));
                double angle = 2 * Math.PI * u2;
                sum += radius * (Math.cos(angle) + Math.sin(angle));
            }
            double noisy = (x == null ? 0 : x[i]) + sigma * (sum / 2);
            out[i] = (float) (Math.rint(noisy / resolution) * resolution);
        }
        return out;
    }

    /** The 64-bit word whose high half is w[j] and low half w[j + 1]. */
    static long word(int[] w, int j) {
        return ((long) w[j] << 32) | (w[j + 1] & 0xffffffffL);
    }

    /** One AdamW step in place, in the kernel's float order. bc1 = 1 − β₁ᵗ, bc2 = 1 − β₂ᵗ. */
    public static void adamw(float[] p, float[] g, float[] m, float[] v, float lr, float beta1, float beta2, float eps,
            float wd, float bc1, float bc2) {
        for (int i = 0; i < p.length; i++) {
            float pi = p[i] * (1f - lr * wd);
            float mi = beta1 * m[i] + (1f - beta1) * g[i];
            float vi = beta2 * v[i] + (1f - beta2) * g[i] * g[i];
            m[i] = mi;
            v[i] = vi;
            p[i] = pi - lr * (mi / bc1) / ((float) Math.sqrt(vi / bc2) + eps);
        }
    }
}
