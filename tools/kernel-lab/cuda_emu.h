// Just enough of CUDA C++ for the kernels in src/main/cuda to compile with a host C++20 compiler and run on the
// CPU: each block's threads are real threads meeting at a std::barrier for __syncthreads, blocks run one after
// another, __shared__ arrays become statics (shared by the block, reused by the next one), and atomicAdd takes a
// lock. Slow and single-block-at-a-time on purpose: it exists to check the kernels' index arithmetic and the
// Java launch code on machines without a GPU, never for speed. Host libm replaces CUDA's math library, so
// results agree with a GPU to rounding, not bit for bit. Inline PTX (the TF32 kernel) cannot run here.
#pragma once
#include <barrier>
#include <cmath>
#include <mutex>

#define __global__
#define __device__
#define __forceinline__ inline
#define __launch_bounds__(n)
#define __shared__ static

struct uint3 {
    unsigned x, y, z;
};

inline thread_local uint3 threadIdx;
inline thread_local uint3 blockIdx;
inline uint3 blockDim;
inline uint3 gridDim;
inline std::barrier<>* emu_block_barrier;
inline std::mutex emu_atomic_lock;

inline void __syncthreads() {
    emu_block_barrier->arrive_and_wait();
}

inline float atomicAdd(float* address, float value) {
    std::lock_guard<std::mutex> guard(emu_atomic_lock);
    float old = *address;
    *address = old + value;
    return old;
}
