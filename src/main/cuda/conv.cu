// Convolution family: im2col and col2im for NCHW images, batched over N. Convolution itself is im2col followed by
// a batched sgemm_f32 (weight [O, C·kH·kW] times columns [C·kH·kW, OH·OW] per image), exactly the layout of
// backend/cpu/Conv2dKernels.im2col, so the DP per-example rules can reuse the same columns on either device.
//
// im2col: one thread per column entry cols[n][(c·kH + i)·kW + j][oh·OW + ow], zero in the padding.
// col2im: one thread per image pixel, gathering every column entry that came from it, so no two threads write the
// same address: deterministic, unlike a scatter with atomicAdd.

extern "C" __global__ void conv_im2col(int nImg, int c, int h, int w, int kH, int kW, int strideH, int strideW, int padH,
                                       int padW, int oh, int ow, const float* __restrict__ x, float* __restrict__ cols) {
    long long plane = (long long) oh * ow, rowsPer = (long long) c * kH * kW;
    long long total = nImg * rowsPer * plane;
    for (long long e = blockIdx.x * (long long) blockDim.x + threadIdx.x; e < total; e += (long long) gridDim.x * blockDim.x) {
        long long pos = e % plane, row = (e / plane) % rowsPer, img = e / (plane * rowsPer);
        int kj = row % kW, ki = (row / kW) % kH, ch = row / (kW * kH);
        int y = pos / ow, xx = pos % ow;
        int iy = y * strideH - padH + ki, ix = xx * strideW - padW + kj;
        cols[e] = iy >= 0 && iy < h && ix >= 0 && ix < w ? x[((img * c + ch) * h + iy) * w + ix] : 0.0f;
    }
}

extern "C" __global__ void conv_col2im(int nImg, int c, int h, int w, int kH, int kW, int strideH, int strideW, int padH,
                                       int padW, int oh, int ow, const float* __restrict__ cols, float* __restrict__ x) {
    long long plane = (long long) oh * ow, rowsPer = (long long) c * kH * kW;
    long long total = (long long) nImg * c * h * w;
    for (long long e = blockIdx.x * (long long) blockDim.x + threadIdx.x; e < total; e += (long long) gridDim.x * blockDim.x) {
        int ix = e % w, iy = (e / w) % h, ch = (e / ((long long) w * h)) % c;
        long long img = e / ((long long) w * h * c);
        const float* base = cols + img * rowsPer * plane;
        float s = 0.0f;
        for (int ki = 0; ki < kH; ki++) {
            int ty = iy + padH - ki;  // = y·strideH for the output row y that read this pixel through tap ki
            if (ty < 0 || ty % strideH != 0) continue;
            int y = ty / strideH;
            if (y >= oh) continue;
            for (int kj = 0; kj < kW; kj++) {
                int tx = ix + padW - kj;
                if (tx < 0 || tx % strideW != 0) continue;
                int xx = tx / strideW;
                if (xx >= ow) continue;
                s += base[((long long) (ch * kH + ki) * kW + kj) * plane + (long long) y * ow + xx];
            }
        }
        x[e] = s;
    }
}

// out[n][o][p] += bias[o]: the bias of a convolution, added in place after the GEMM.
extern "C" __global__ void conv_add_bias(long long total, int o, int plane, const float* __restrict__ bias, float* __restrict__ out) {
    for (long long e = blockIdx.x * (long long) blockDim.x + threadIdx.x; e < total; e += (long long) gridDim.x * blockDim.x) {
        out[e] += bias[(e / plane) % o];
    }
}
