// Runs the kernels of src/main/cuda on the CPU behind a byte protocol on stdin/stdout, so the JUnit test
// EmulatedCudaBackendTest can drive the real CudaBackend (its launch code, argument order and types) against them.
// Build: g++ -std=c++20 -O1 -ffp-contract=off -U_FORTIFY_SOURCE -Wno-unknown-pragmas -I tools/kernel-lab -I src/main/cuda tools/kernel-lab/emulator.cpp
//
// Requests (little-endian): 'A' u64 bytes -> u64 address | 'F' u64 address | 'U' u64 address u64 n bytes[n] |
// 'D' u64 address u64 n -> bytes[n] | 'Z' u64 address u64 n | 'C' u64 dst u64 src u64 n |
// 'L' u16 len name[len] u32 gridX gridY gridZ blockX u32 argc {u32 size bytes[size]}* -> u8 status (0 ok,
// 1 unknown kernel) | 'Q'. Kernel arguments arrive exactly as cuLaunchKernel's kernelParams would point at them.
#include "cuda_emu.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <ucontext.h>
#include <algorithm>

#include "elementwise.cu"
#include "reduce.cu"
#include "softmax.cu"
#include "sgemm.cu"
#include "sgemm_tf32.cu"
#include "conv.cu"
#include "index.cu"
#include "dp.cu"
#include "loss.cu"

using Invoker = void (*)(void**);

// Calls a kernel with its parameters read from the kernelParams array, typed by the kernel's own signature.
template <typename... A, std::size_t... I>
void call(void (*k)(A...), void** p, std::index_sequence<I...>) {
    k(*static_cast<std::remove_reference_t<A>*>(p[I])...);
}

template <typename... A>
constexpr std::size_t arity(void (*)(A...)) {
    return sizeof...(A);
}

#define KERNEL(name) {#name, [](void** p) { call(name, p, std::make_index_sequence<arity(name)>{}); }}

static const std::map<std::string, Invoker> kernels = {
    KERNEL(ew_binary), KERNEL(ew_strided_copy), KERNEL(ew_unary), KERNEL(ew_unary_backward),
    KERNEL(reduce_sum_rows), KERNEL(reduce_max_rows), KERNEL(softmax_rows), KERNEL(softmax_backward_rows),
    KERNEL(sgemm_f32), KERNEL(sgemm_tf32), KERNEL(conv_im2col), KERNEL(conv_col2im), KERNEL(conv_add_bias),
    KERNEL(index_select), KERNEL(index_add), KERNEL(concat_part),
    KERNEL(dp_sq_norms), KERNEL(dp_row_dot), KERNEL(dp_ghost_norms), KERNEL(dp_clip_factors), KERNEL(dp_scale_examples),
    KERNEL(dp_gaussian_noise), KERNEL(dp_adamw), KERNEL(loss_bce), KERNEL(loss_bce_backward),
};

static void read_exact(void* dst, std::size_t n) {
    if (n && std::fread(dst, 1, n, stdin) != n) std::exit(0);
}

template <typename T>
static T read() {
    T v;
    read_exact(&v, sizeof v);
    return v;
}

// Each block: one coroutine per lane, resumed in lane order until all have returned. A lane that reaches
// __syncthreads switches back here, so every lane passes a barrier before any lane goes beyond it. Lane t keeps its
// stack and coroutine for the life of the process: it runs the current kernel for the current block, marks itself
// done and yields, and the next resume starts the kernel again for the next block (or the next launch).
static Invoker emu_kernel;
static void** emu_params;
static char* emu_done;
static unsigned emu_current;

struct Lane {
    ucontext_t boot;
    jmp_buf resume;
    std::unique_ptr<char[]> stack;
    bool started = false;
};

static void lane_main() {
    for (;;) {
        emu_kernel(emu_params);
        emu_done[emu_current] = true;
        if (!_setjmp(*emu_lane)) _longjmp(emu_scheduler, 1);
    }
}

static void run(Invoker k, void** params, uint3 grid, unsigned block) {
    constexpr std::size_t stack_bytes = 64 * 1024;
    static std::vector<Lane> lanes(1024);
    gridDim = grid;
    blockDim = {block, 1, 1};
    emu_kernel = k;
    emu_params = params;
    std::vector<char> done(block);
    emu_done = done.data();
    for (unsigned z = 0; z < grid.z; z++)
        for (unsigned y = 0; y < grid.y; y++)
            for (unsigned x = 0; x < grid.x; x++) {
                blockIdx = {x, y, z};
                std::fill(done.begin(), done.end(), 0);
                for (bool running = true; running;) {
                    running = false;
                    for (unsigned t = 0; t < block; t++) {
                        if (done[t]) continue;
                        Lane& lane = lanes[t];
                        threadIdx = {t, 0, 0};
                        emu_current = t;
                        emu_lane = &lane.resume;
                        if (!_setjmp(emu_scheduler)) {
                            if (lane.started) _longjmp(lane.resume, 1);
                            // First use of this lane: give it a stack and enter lane_main there; it comes back here
                            // through _longjmp(emu_scheduler) at its first barrier or end, never through boot.
                            lane.stack.reset(new char[stack_bytes]);
                            getcontext(&lane.boot);
                            lane.boot.uc_stack.ss_sp = lane.stack.get();
                            lane.boot.uc_stack.ss_size = stack_bytes;
                            lane.boot.uc_link = nullptr;
                            makecontext(&lane.boot, lane_main, 0);
                            lane.started = true;
                            ucontext_t here;
                            swapcontext(&here, &lane.boot);
                        }
                        running = running || !done[t];
                    }
                }
            }
}

int main() {
    for (;;) {
        int op = std::fgetc(stdin);
        if (op == EOF || op == 'Q') return 0;
        if (op == 'A') {
            auto bytes = read<uint64_t>();
            // Poison fresh memory, as a GPU gives no zeroed allocations: kernels must not read what they did not write.
            void* p = std::malloc(bytes);
            std::memset(p, 0xff, bytes);
            auto addr = reinterpret_cast<uint64_t>(p);
            std::fwrite(&addr, 8, 1, stdout);
        } else if (op == 'F') {
            std::free(reinterpret_cast<void*>(read<uint64_t>()));
        } else if (op == 'U') {
            auto addr = read<uint64_t>();
            auto n = read<uint64_t>();
            read_exact(reinterpret_cast<void*>(addr), n);
        } else if (op == 'D') {
            auto addr = read<uint64_t>();
            auto n = read<uint64_t>();
            std::fwrite(reinterpret_cast<void*>(addr), 1, n, stdout);
        } else if (op == 'Z') {
            auto addr = read<uint64_t>();
            std::memset(reinterpret_cast<void*>(addr), 0, read<uint64_t>());
        } else if (op == 'C') {
            auto dst = read<uint64_t>();
            auto src = read<uint64_t>();
            std::memmove(reinterpret_cast<void*>(dst), reinterpret_cast<void*>(src), read<uint64_t>());
        } else if (op == 'L') {
            std::string name(read<uint16_t>(), '\0');
            read_exact(name.data(), name.size());
            uint3 grid{read<uint32_t>(), read<uint32_t>(), read<uint32_t>()};
            unsigned block = read<uint32_t>();
            unsigned argc = read<uint32_t>();
            std::vector<std::vector<char>> storage(argc);
            std::vector<void*> params(argc);
            for (unsigned i = 0; i < argc; i++) {
                storage[i].resize(read<uint32_t>() + 16);
                read_exact(storage[i].data(), storage[i].size() - 16);
                params[i] = storage[i].data();
            }
            auto it = kernels.find(name);
            uint8_t status = it == kernels.end() ? 1 : 0;
            if (status == 0) run(it->second, params.data(), grid, block);
            std::fwrite(&status, 1, 1, stdout);
        } else {
            std::fprintf(stderr, "emulator: unknown request %d\n", op);
            return 2;
        }
        std::fflush(stdout);
    }
}
