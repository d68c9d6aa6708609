// nvcc-flags: -fmad=false
// Loss family: PyTorch's BCELoss elementwise and its backward, in double as the CPU backend computes them
// (org/dpmammo/backend/Backend.java, binaryCrossEntropy), so the GAN's losses and their gradients stay on the device.
//
//   loss_bce           −(t·max(ln p, −100) + (1 − t)·max(ln(1 − p), −100)) per element
//   loss_bce_backward  g·(p − t) / max(p(1 − p), 1e-12): the float product g·(p − t) divided in double
// p, t and g are contiguous tensors of one shape. Compiled without FMA contraction, as Java evaluates each
// operation on its own; what can differ from the CPU is the last bit of log and log1p.

extern "C" __global__ void loss_bce(long long n, const float* __restrict__ p, const float* __restrict__ t, float* __restrict__ out) {
    for (long long i = blockIdx.x * (long long) blockDim.x + threadIdx.x; i < n; i += (long long) gridDim.x * blockDim.x) {
        double pi = p[i];
        double lp = fmax(log(pi), -100.0), l1p = fmax(log1p(-pi), -100.0);
        // 1 − t in float, as the Java expression (1 - t[i]) is evaluated.
        out[i] = (float) -((double) t[i] * lp + (double) (1.0f - t[i]) * l1p);
    }
}

extern "C" __global__ void loss_bce_backward(long long n, const float* __restrict__ p, const float* __restrict__ t,
                                             const float* __restrict__ g, float* __restrict__ out) {
    for (long long i = blockIdx.x * (long long) blockDim.x + threadIdx.x; i < n; i += (long long) gridDim.x * blockDim.x) {
        float pi = p[i];
        double denom = fmax((1.0 - pi) * pi, 1e-12);
        out[i] = (float) ((double) (g[i] * (pi - t[i])) / denom);
    }
}
