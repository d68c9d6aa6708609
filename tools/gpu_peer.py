#!/usr/bin/env python3
"""Peer numbers for `dpmammo bench gpu`: PyTorch on the same GPU and sizes, printed side by side.

Runs torch.matmul in float32 with TF32 off and on (torch.backends.cuda.matmul.allow_tf32), torch.randn and the
fused torch.optim.AdamW at dpmammo's sizes, timed the same way (median of synchronised runs after a warm-up).
usage: gpu_peer.py --ours target/gpu-check/bench-gpu.json [--repeats 5]
"""
import argparse
import json
import statistics
import sys
import time


def median_seconds(torch, fn, repeats):
    fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        torch.cuda.synchronize()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ours", required=True, help="JSON written by dpmammo bench gpu --json-file")
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    with open(args.ours) as f:
        ours = json.load(f)
    try:
        import torch
    except ImportError:
        print("gpu_peer: PyTorch is not installed here; no peer numbers", file=sys.stderr)
        return 1
    if not torch.cuda.is_available():
        print("gpu_peer: PyTorch sees no CUDA device; no peer numbers", file=sys.stderr)
        return 1

    rate = {(r["what"], r["shape"]): r["rate"] for r in ours["results"]}
    sizes = sorted({int(r["shape"].split("x")[0]) for r in ours["results"] if r["what"].startswith("sgemm")})
    rows = []
    for n in sizes:
        a = torch.randn(n, n, device="cuda")
        b = torch.randn(n, n, device="cuda")
        peer = {}
        for tf32 in (False, True):
            torch.backends.cuda.matmul.allow_tf32 = tf32
            peer[tf32] = 2.0 * n ** 3 / median_seconds(torch, lambda: torch.matmul(a, b), args.repeats) * 1e-9
        shape = f"{n}x{n}x{n}"
        rows.append((f"sgemm float32 {n}", rate.get(("sgemm float32", shape)), peer[False], "GFLOP/s"))
        rows.append((f"sgemm TF32 {n}", rate.get(("sgemm TF32 (mma.sync)", shape)), peer[True], "GFLOP/s"))
        del a, b
    torch.backends.cuda.matmul.allow_tf32 = False

    params = 100_000_000
    noise = params / median_seconds(torch, lambda: torch.randn(params, device="cuda"), args.repeats) * 1e-9
    rows.append(("gaussian noise 1e8", rate.get(("dp gaussian noise (ChaCha20)", str(params))), noise, "Gsamples/s"))
    p = torch.nn.Parameter(torch.randn(params, device="cuda"))
    p.grad = torch.randn(params, device="cuda")
    opt = torch.optim.AdamW([p], lr=1e-3, weight_decay=0.01, fused=True)
    adam = 28.0 * params / median_seconds(torch, opt.step, args.repeats) * 1e-9
    rows.append(("AdamW 1e8 params", rate.get(("dp fused AdamW", str(params))), adam, "GB/s"))

    def fmt(v):
        return "n/a" if v is None else f"{v:,.1f}"

    print(f"\ndpmammo vs PyTorch {torch.__version__} on {torch.cuda.get_device_name(0)}")
    print(f"{'benchmark':<22} {'dpmammo':>12} {'pytorch':>12}  unit        dpmammo/pytorch")
    for name, mine, theirs, unit in rows:
        ratio = "n/a" if mine is None or not theirs else f"{mine / theirs:.2f}"
        print(f"{name:<22} {fmt(mine):>12} {fmt(theirs):>12}  {unit:<11} {ratio}")
    print("Swin-T / GAN training steps: not compared (the dpmammo models do not exist yet).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
