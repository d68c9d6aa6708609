// Just enough of CUDA C++ for the kernels in src/main/cuda to compile with a host C++20 compiler and run on the
// CPU. Each lane of a block is a coroutine on one OS thread: the block scheduler in emulator.cpp resumes every lane
// in turn until it reaches __syncthreads or ends, so a barrier is a context switch and runs are deterministic. A
// lane gets its own stack once (ucontext), after which every switch is _setjmp/_longjmp, which, unlike
// swapcontext, makes no system call to save the signal mask (that call was 90 % of the emulator's time). Blocks run
// one after another and __shared__ arrays become statics (shared by the block, reused by the next one). It exists
// to check the kernels' index arithmetic and the Java launch code on machines without a GPU, never for speed. Host
// libm replaces CUDA's math library, so log/exp/sin/cos results agree with a GPU to the last bit or so, not bit for
// bit. The TF32 kernel's two inline-PTX helpers are replaced below by C++ that follows the PTX ISA's fragment
// layout; the layout itself is therefore taken on trust here.
#pragma once
#include <cmath>
#include <csetjmp>

// CUDA declares isfinite for device code in the global namespace; <cmath> only in std.
using std::isfinite;

#define __global__
#define __device__
#define __forceinline__ inline
#define __launch_bounds__(n)
#define __shared__ static

struct uint3 {
    unsigned x, y, z;
};

inline uint3 threadIdx;
inline uint3 blockIdx;
inline uint3 blockDim;
inline uint3 gridDim;
// The scheduler's context and the running lane's, for __syncthreads to switch between.
inline jmp_buf emu_scheduler;
inline jmp_buf* emu_lane;

// Not inline-able (it calls _setjmp), so the saved frame is this call's, alive on the lane's stack until resumed.
inline void __syncthreads() {
    if (!_setjmp(*emu_lane)) _longjmp(emu_scheduler, 1);
}

// Lanes never run at the same time, so a plain read-modify-write is atomic here.
inline float atomicAdd(float* address, float value) {
    float old = *address;
    *address = old + value;
    return old;
}

// CUDA's non-contracting double arithmetic: on the host, plain operations (the emulator is built with
// -ffp-contract=off, so nothing is fused here either).
inline double __dadd_rn(double a, double b) {
    return a + b;
}

inline double __dmul_rn(double a, double b) {
    return a * b;
}

// Stand-ins for the TF32 GEMM's inline PTX (see src/main/cuda/sgemm_tf32.cu).
#define DPMAMMO_KERNEL_EMULATOR
#include <cstring>

// cvt.rna.tf32.f32: keep 10 mantissa bits, rounding to nearest with ties away from zero (on the magnitude bits).
inline unsigned to_tf32(float x) {
    unsigned u;
    std::memcpy(&u, &x, 4);
    if ((u & 0x7f800000u) == 0x7f800000u) return u;
    return (u + 0x1000u) & 0xffffe000u;
}

struct EmuMmaLane {
    unsigned a[4], b[2];
};
inline EmuMmaLane emu_mma_lanes[32][32];

inline float emu_tf32_value(unsigned bits) {
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
}

// mma.sync.m16n8k8 .tf32 for one warp: every lane publishes its fragments, then each lane rebuilds the 16×8 A and
// 8×8 B tiles from the PTX ISA fragment layout and accumulates its four outputs. Every lane of the block must call
// it in step, as with the real warp-collective instruction.
inline void mma_tf32(float* d, const unsigned* a, const unsigned* b) {
    unsigned lane = threadIdx.x % 32, warp = threadIdx.x / 32;
    EmuMmaLane& mine = emu_mma_lanes[warp][lane];
    for (int i = 0; i < 4; i++) mine.a[i] = a[i];
    for (int i = 0; i < 2; i++) mine.b[i] = b[i];
    __syncthreads();
    float A[16][8], B[8][8];
    for (unsigned l = 0; l < 32; l++) {
        const EmuMmaLane& f = emu_mma_lanes[warp][l];
        unsigned g = l / 4, t = l % 4;
        A[g][t] = emu_tf32_value(f.a[0]);
        A[g + 8][t] = emu_tf32_value(f.a[1]);
        A[g][t + 4] = emu_tf32_value(f.a[2]);
        A[g + 8][t + 4] = emu_tf32_value(f.a[3]);
        B[t][g] = emu_tf32_value(f.b[0]);
        B[t + 4][g] = emu_tf32_value(f.b[1]);
    }
    unsigned g = lane / 4, t = lane % 4;
    for (int q = 0; q < 4; q++) {
        unsigned row = g + (q >= 2 ? 8 : 0), col = 2 * t + (q & 1);
        float s = 0;
        for (int k = 0; k < 8; k++) s += A[row][k] * B[k][col];
        d[q] += s;
    }
    __syncthreads();
}
