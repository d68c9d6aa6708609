#!/usr/bin/python3
"""Peer numbers for `dpmammo bench gemm` and `dpmammo bench conv`: the same shapes through OpenBLAS (numpy) and
PyTorch CPU, timed the same way (warm-up, then the median and the best of runs that each last at least 0.2 s).

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=2 /usr/bin/python3 tools/bench_peer.py gemm
    /usr/bin/python3 tools/bench_peer.py conv --json

Debian's python3-numpy and python3-torch; numpy reaches OpenBLAS through libblas.so.3 when libopenblas0 is
installed (the script prints which BLAS it found, its core type and thread count). Threads: --threads (default 2)
sets OPENBLAS_NUM_THREADS / OMP_NUM_THREADS before the libraries load, and torch.set_num_threads.
The case lists mirror GemmBench.cases() and ConvBench.layers(); keep them in step.
"""
import argparse
import ctypes
import json
import os
import sys
import time


def parse():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("which", choices=["gemm", "conv"])
    p.add_argument("--json", action="store_true", help="print one JSON document instead of a table")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--only", help="comma-separated case or layer names")
    p.add_argument("--batch", type=int, default=8, help="conv batch size (default 8)")
    p.add_argument("--cpu-time", action="store_true",
                   help="time in process CPU time (steadier on a loaded machine; needs --threads 1)")
    return p.parse_args()


ARGS = parse()
if ARGS.cpu_time and ARGS.threads != 1:
    sys.exit("--cpu-time needs --threads 1")
CLOCK = time.process_time if ARGS.cpu_time else time.perf_counter
# Thread counts must be in the environment before numpy / torch load their BLAS and OpenMP runtimes.
os.environ["OPENBLAS_NUM_THREADS"] = str(ARGS.threads)
os.environ["OMP_NUM_THREADS"] = str(ARGS.threads)
import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

torch.set_num_threads(ARGS.threads)


def measure(body, warmup=1.0, runs=5, sample=0.2):
    t0 = time.perf_counter()
    calls = 0
    while True:
        body()
        calls += 1
        if time.perf_counter() - t0 >= warmup and calls >= 2:
            break
    per_call = (time.perf_counter() - t0) / calls
    reps = max(1, int(-(-sample // max(per_call, 1e-9))))
    samples = []
    for _ in range(runs):
        s = CLOCK()
        for _ in range(reps):
            body()
        samples.append((CLOCK() - s) / reps)
    samples.sort()
    n = len(samples)
    return (samples[n // 2] if n % 2 else 0.5 * (samples[n // 2 - 1] + samples[n // 2])), samples[0]


def blas_info():
    """Which BLAS numpy really loaded, read from this process's memory map, and OpenBLAS's own report."""
    libs = sorted({line.split()[-1] for line in open("/proc/self/maps") if "blas" in line.lower() and "/" in line})
    info = {"libraries": libs}
    for path in libs:
        try:
            lib = ctypes.CDLL(path)
            lib.openblas_get_corename.restype = ctypes.c_char_p
            lib.openblas_get_config.restype = ctypes.c_char_p
            info.update(openblas_core=lib.openblas_get_corename().decode(), openblas_config=lib.openblas_get_config().decode(),
                        openblas_threads=lib.openblas_get_num_threads())
            break
        except (OSError, AttributeError):
            continue
    info["OPENBLAS_CORETYPE"] = os.environ.get("OPENBLAS_CORETYPE")
    info["OPENBLAS_L2_SIZE"] = os.environ.get("OPENBLAS_L2_SIZE")
    return info


def gemm_cases():
    cs = [(f"square{s}", False, False, s, s, s, 1) for s in (256, 512, 1024, 2048)]
    cs += [("swin-qkv", False, True, 3136, 288, 96, 1), ("swin-mlp1", False, True, 3136, 384, 96, 1),
           ("swin-mlp2", False, True, 3136, 96, 384, 1),
           ("swin-attn-qk", False, True, 49, 49, 32, 192), ("swin-attn-pv", False, False, 49, 32, 49, 192)]
    ch = [2, 64, 128, 256, 512, 1024]
    for i in range(5):
        out = 128 >> (i + 1)
        cs.append((f"gan-d{i + 1}", False, False, ch[i + 1], 8 * out * out, ch[i] * 36, 1))
    return cs


def run_gemm():
    rng = np.random.default_rng(1)
    rows = []
    for name, ta, tb, m, n, k, batch in gemm_cases():
        if ARGS.only and name not in ARGS.only.split(","):
            continue
        ashape = (k, m) if ta else (m, k)
        bshape = (n, k) if tb else (k, n)
        if batch > 1:
            ashape, bshape = (batch,) + ashape, (batch,) + bshape
        a = rng.uniform(-1, 1, ashape).astype(np.float32)
        b = rng.uniform(-1, 1, bshape).astype(np.float32)
        opa = np.swapaxes(a, -1, -2) if ta else a
        opb = np.swapaxes(b, -1, -2) if tb else b
        out = np.empty((batch, m, n) if batch > 1 else (m, n), dtype=np.float32)
        ta_t, tb_t = torch.from_numpy(opa), torch.from_numpy(opb)
        out_t = torch.empty(out.shape)
        flops = 2.0 * m * n * k * batch
        t_np, best_np = measure(lambda: np.matmul(opa, opb, out=out), runs=ARGS.runs)
        t_torch, best_torch = measure(lambda: torch.matmul(ta_t, tb_t, out=out_t), runs=ARGS.runs)
        rows.append(dict(case=name, m=m, n=n, k=k, batch=batch, numpy_ms=t_np * 1e3, numpy_gflops=flops / t_np / 1e9,
                         numpy_best_gflops=flops / best_np / 1e9, torch_ms=t_torch * 1e3, torch_gflops=flops / t_torch / 1e9,
                         torch_best_gflops=flops / best_torch / 1e9))
        if not ARGS.json:
            r = rows[-1]
            print(f"{name:<14} {m:6d} {n:6d} {k:6d} {batch:6d} {r['numpy_ms']:10.3f} {r['numpy_gflops']:9.1f} "
                  f"{r['torch_ms']:10.3f} {r['torch_gflops']:9.1f}", flush=True)
    return rows


def conv_layers(batch):
    ls = []
    dch = [2, 64, 128, 256, 512, 1024]
    for i in range(5):
        ls.append((f"d{i + 1}", False, batch, dch[i], 128 >> i, dch[i + 1], 6, 2, 2))
    ls.append(("d6", False, batch, 1024, 4, 1, 6, 1, 1))
    ls.append(("g1", True, batch, 200, 1, 1024, 4, 1, 0))
    gch = [1024, 512, 256, 128, 64, 1]
    for i in range(5):
        ls.append((f"g{i + 2}", True, batch, gch[i], 4 << i, gch[i + 1], 4, 2, 1))
    return ls


def run_conv():
    torch.manual_seed(1)
    rows = []
    for name, transposed, b, cin, size, cout, k, s, p in conv_layers(ARGS.batch):
        if ARGS.only and name not in ARGS.only.split(","):
            continue
        x = torch.rand(b, cin, size, size) * 2 - 1
        if transposed:
            w = torch.rand(cin, cout, k, k) * 2 - 1
            out = (size - 1) * s - 2 * p + k
            fwd = lambda: F.conv_transpose2d(x, w, stride=s, padding=p)
        else:
            w = torch.rand(cout, cin, k, k) * 2 - 1
            out = (size + 2 * p - k) // s + 1
            fwd = lambda: F.conv2d(x, w, stride=s, padding=p)
        dy = torch.rand(b, cout, out, out) * 2 - 1
        # The backward PyTorch's autograd runs for this layer: data and weight gradients, no bias.
        bwd = lambda: torch.ops.aten.convolution_backward(dy, x, w, None, [s, s], [p, p], [1, 1], transposed, [0, 0], 1,
                                                          [True, True, False])
        flops = 2.0 * b * cout * out * out * cin * k * k if not transposed else 2.0 * b * cin * size * size * cout * k * k
        with torch.no_grad():
            tf, best_f = measure(fwd, warmup=0.5, runs=ARGS.runs)
            tb, best_b = measure(bwd, warmup=0.5, runs=ARGS.runs)
        shape = f"{cin}x{size}x{size} -> {cout}x{out}x{out} k{k} s{s} p{p}"
        rows.append(dict(layer=name, shape=shape, forward_ms=tf * 1e3, backward_ms=tb * 1e3,
                         forward_best_ms=best_f * 1e3, backward_best_ms=best_b * 1e3,
                         forward_gflops=flops / tf / 1e9, backward_gflops=2 * flops / tb / 1e9))
        if not ARGS.json:
            print(f"{name:<5} {shape:<34} {tf * 1e3:10.3f} {tb * 1e3:10.3f} {flops / tf / 1e9:9.1f} {2 * flops / tb / 1e9:9.1f}",
                  flush=True)
    return rows


def main():
    info = dict(threads=ARGS.threads, clock="process-cpu" if ARGS.cpu_time else "wall", numpy=np.__version__, torch=torch.__version__,
                torch_threads=torch.get_num_threads(), mkldnn=torch.backends.mkldnn.is_available())
    info.update(blas_info())
    if not ARGS.json:
        print("peer: " + ", ".join(f"{k}={v}" for k, v in info.items()))
        if ARGS.which == "gemm":
            print(f"{'case':<14} {'m':>6} {'n':>6} {'k':>6} {'batch':>6} {'numpy ms':>10} {'GFLOP/s':>9} {'torch ms':>10} {'GFLOP/s':>9}")
        else:
            print(f"{'layer':<5} {'shape':<34} {'fwd ms':>10} {'bwd ms':>10} {'fwd GF/s':>9} {'bwd GF/s':>9}")
    rows = run_gemm() if ARGS.which == "gemm" else run_conv()
    if ARGS.json:
        print(json.dumps(dict(benchmark=ARGS.which, peer=info, results=rows), indent=2))
    elif ARGS.which == "conv":
        print(f"{'total':<5} {'':<34} {sum(r['forward_ms'] for r in rows):10.3f} {sum(r['backward_ms'] for r in rows):10.3f}")


if __name__ == "__main__":
    sys.exit(main())
