// Writes the hardened normals z of dp.cu's hardened_normal for coordinates 0..n-1 of key 1..8, step 0, substreams
// 1.. as raw doubles, computed with CUDA's own log/sin/cos: libdevice's __nv_log/__nv_sin/__nv_cos compiled for the
// host by measure.sh. For comparison with the JVM (NoiseDiff.java).
#include "cuda_emu.h"
#include <cstdio>
#include <cstdlib>
extern "C" double __nv_log(double), __nv_sin(double), __nv_cos(double);
#define log(x) __nv_log(x)
#define sin(x) __nv_sin(x)
#define cos(x) __nv_cos(x)
#include "dp.cu"

int main(int argc, char** argv) {
    long long n = atoll(argv[1]);
    unsigned key[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    for (long long i = 0; i < n; i += 2) {
        unsigned w[16];
        chacha20_block(key, (unsigned) ((i % 8192) / 2), 0, 0, (unsigned) (1 + i / 8192), w);
        for (int h = 0; h < 2; h++) {
            double z = hardened_normal(w + 8 * h);
            fwrite(&z, 8, 1, stdout);
        }
    }
}
