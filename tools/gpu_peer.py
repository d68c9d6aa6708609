#!/usr/bin/env python3
"""The peer column and the one table of tools/gpu-check.sh: PyTorch on the same device, at the sizes dpmammo ran.

Reads what gpu-check wrote into OUT_DIR (bench-*.txt with one JSON document each, bench-gpu.json, dp-finetune.json)
and times the same work in PyTorch eagerly, each as the median of synchronised runs after a warm-up:
  * torch.matmul at every `bench gemm` shape, float32 with TF32 off; `bench gpu`'s squares with TF32 off and on
  * torchvision's SwinTransformer built with the `bench swin` model's shape: forward + backward of the mean logit
  * the study's C-DCGAN iteration (tools/gan_reference.py, as tools/bench_gan_peer.py) at `bench gan`'s size
  * `bench dpsgd`'s discriminator: a non-private Adam step, and a DP step with per-sample gradients from
    vmap(grad) (torch.func, or functorch on older PyTorch), flat clipping, Gaussian noise: PyTorch's DP/plain ratio
  * torch.randn and the fused AdamW at `bench gpu`'s 1e8 parameters
Then one table: dpmammo, PyTorch, their ratio, and the issue's target for each row.

usage: gpu_peer.py --ours OUT_DIR [--device cuda|cpu] [--quick] [--repeats 5]
  --device cpu --quick rehearses the script on a machine without a GPU (toy repeats).
"""
import argparse
import json
import os
import re
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def document(path):
    """The first JSON document in a file (a step's output may start with log lines), or None."""
    try:
        with open(path) as f:
            text = f.read()
    except OSError:
        return None
    start = text.find("{")
    if start < 0:
        return None
    try:
        return json.JSONDecoder().raw_decode(text[start:])[0]
    except ValueError:
        return None


def median_seconds(torch, device, fn, repeats):
    def sync():
        if device == "cuda":
            torch.cuda.synchronize()

    fn()
    sync()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def gemm_rows(torch, device, ours, gpu, repeats):
    rows = []
    torch.backends.cuda.matmul.allow_tf32 = False
    for r in (ours or {}).get("results", []):
        a = torch.randn(r["batch"], r["m"], r["k"], device=device)
        b = torch.randn(r["batch"], r["k"], r["n"], device=device)
        flops = 2.0 * r["m"] * r["n"] * r["k"] * r["batch"]
        peer = flops / median_seconds(torch, device, lambda: torch.matmul(a, b), repeats) * 1e-9
        rows.append((f"sgemm f32 {r['case']}", r["gflops"], peer, "GFLOP/s", "rate", "≥ 0.7× cuBLAS"))
    rate = {(r["what"], r["shape"]): r["rate"] for r in (gpu or {}).get("results", [])}
    for n in sorted({int(r["shape"].split("x")[0]) for r in (gpu or {}).get("results", []) if r["what"].startswith("sgemm")}):
        a, b = torch.randn(n, n, device=device), torch.randn(n, n, device=device)
        for tf32, what, target in ((False, "sgemm float32", "≥ 0.7× cuBLAS"), (True, "sgemm TF32 (mma.sync)", "≥ 0.5× cuBLAS")):
            torch.backends.cuda.matmul.allow_tf32 = tf32
            peer = 2.0 * n ** 3 / median_seconds(torch, device, lambda: torch.matmul(a, b), repeats) * 1e-9
            rows.append((f"{what.split(' ')[0]} {'TF32' if tf32 else 'f32'} {n}³", rate.get((what, f"{n}x{n}x{n}")), peer, "GFLOP/s", "rate", target))
    torch.backends.cuda.matmul.allow_tf32 = False
    return rows


def swin_row(torch, device, ours, repeats):
    """torchvision's Swin with the shape dpmammo printed, e.g. 'Swin(image 224, patch 4, width 96, depths [2, 2, 6, 2], ...'."""
    if not ours:
        return []
    import torchvision.models.swin_transformer as tsw

    m = re.search(r"image (\d+), patch (\d+), width (\d+), depths \[([\d, ]+)\], heads \[([\d, ]+)\], window (\d+)", ours["model"])
    image, patch, width, window = (int(m.group(i)) for i in (1, 2, 3, 6))
    depths = [int(v) for v in m.group(4).split(",")]
    heads = [int(v) for v in m.group(5).split(",")]
    model = tsw.SwinTransformer([patch, patch], width, depths, heads, [window, window], stochastic_depth_prob=0.2, num_classes=1000).to(device)
    x = torch.rand(ours["batch"], 3, image, image, device=device) * 2 - 1
    model.train()

    def step():
        model.zero_grad(set_to_none=True)
        model(x).mean().backward()

    peer = median_seconds(torch, device, step, repeats)
    return [(f"Swin fwd+bwd b{ours['batch']} {image}²", ours["forwardBackwardS"], peer, "s", "time", "≤ 1.5× PyTorch")]


def gan_row(torch, device, ours, repeats):
    if not ours:
        return []
    import torch.nn as nn
    from gan_reference import Discriminator, Generator, init_weights

    size, width, b = ours["image_size"], ours["ngf"], ours["batch"]
    # dpmammo's presets: paper = 128 px, InstanceNorm, transposed convolutions; cpu = 64 px, BatchNorm, resize.
    norm, up = ("instance", "transposed") if size == 128 else ("batch", "resize")
    g, d = Generator(size, 100, width, norm=norm, upsampling=up).to(device), Discriminator(size, width, norm=norm).to(device)
    g.apply(init_weights)
    d.apply(init_weights)
    opt_g = torch.optim.Adam(g.parameters(), 1e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(d.parameters(), 1e-4, betas=(0.5, 0.999))
    bce = nn.BCELoss()
    real = torch.rand(b, 1, size, size, device=device)
    labels = torch.arange(b, device=device) % 2

    def step():
        z = torch.randn(b, 100, 1, 1, device=device)
        fake_labels = torch.randint(0, 2, (b,), device=device)
        smooth = torch.empty(b, device=device).uniform_(0.7, 1.2)
        fake = g(z, fake_labels)
        opt_d.zero_grad()
        (bce(d(real, labels), smooth) + bce(d(fake.detach(), fake_labels), torch.zeros(b, device=device))).backward()
        opt_d.step()
        for p in d.parameters():
            p.requires_grad_(False)
        opt_g.zero_grad()
        bce(d(fake, fake_labels), torch.ones(b, device=device)).backward()
        opt_g.step()
        for p in d.parameters():
            p.requires_grad_(True)

    peer = median_seconds(torch, device, step, repeats)
    return [(f"GAN iteration b{b} {size}²", ours["median_ms"] / 1000, peer, "s", "time", "≤ 1.5× PyTorch")]


def dp_rows(torch, device, ours, repeats):
    """bench dpsgd's discriminator64 (k6 s2 p2 convs, InstanceNorm, LeakyReLU 0.1, Linear), all parameters trainable."""
    if not ours:
        return []
    import torch.nn as nn

    try:
        from torch.func import functional_call, grad, vmap
    except ImportError:
        from functorch import grad, vmap
        from torch.nn.utils.stateless import functional_call
    mine = next((r for r in ours["results"] if r.get("trainable") == "all"), ours["results"][0])
    batch = mine.get("batch", 64)
    model = nn.Sequential(
        nn.Conv2d(2, 32, 6, 2, 2, bias=False), nn.LeakyReLU(0.1),
        nn.Conv2d(32, 64, 6, 2, 2, bias=False), nn.InstanceNorm2d(64, affine=True), nn.LeakyReLU(0.1),
        nn.Conv2d(64, 128, 6, 2, 2, bias=False), nn.InstanceNorm2d(128, affine=True), nn.LeakyReLU(0.1),
        nn.Conv2d(128, 256, 6, 2, 2, bias=False), nn.InstanceNorm2d(256, affine=True), nn.LeakyReLU(0.1),
        nn.Flatten(), nn.Linear(256 * 4 * 4, 1)).to(device)
    x = torch.rand(batch, 2, 64, 64, device=device) * 2 - 1
    t = (torch.arange(batch, device=device) % 2).float()
    opt = torch.optim.Adam(model.parameters(), 1e-4, betas=(0.5, 0.999))
    bce = nn.BCEWithLogitsLoss()

    def plain():
        opt.zero_grad()
        bce(model(x).view(-1), t).backward()
        opt.step()

    params = {k: v.detach() for k, v in model.named_parameters()}

    def loss_one(p, xi, ti):
        return bce(functional_call(model, p, (xi.unsqueeze(0),)).view(-1), ti.view(1))

    per_sample = vmap(grad(loss_one), in_dims=(None, 0, 0))

    def private():
        g = per_sample(params, x, t)
        norms = torch.sqrt(sum(v.reshape(batch, -1).pow(2).sum(1) for v in g.values()))
        c = (1.0 / (norms + 1e-6)).clamp(max=1.0)
        for k, p in model.named_parameters():
            s = torch.einsum("b,b...->...", c, g[k])
            p.grad = (s + torch.randn_like(s)) / batch
        opt.step()

    p_s, d_s = median_seconds(torch, device, plain, repeats), median_seconds(torch, device, private, repeats)
    return [(f"DP step / plain step b{batch}", mine["timeRatio"], d_s / p_s, "×", "ratio", "≤ 1.3× (ours)")]


def kernel_rows(torch, device, gpu, repeats):
    rate = {(r["what"], r["shape"]): r["rate"] for r in (gpu or {}).get("results", [])}
    n = 100_000_000
    if ("dp gaussian noise (ChaCha20)", str(n)) not in rate:
        return []
    noise = n / median_seconds(torch, device, lambda: torch.randn(n, device=device), repeats) * 1e-9
    p = torch.nn.Parameter(torch.randn(n, device=device))
    p.grad = torch.randn(n, device=device)
    opt = torch.optim.AdamW([p], lr=1e-3, weight_decay=0.01, fused=True)
    adam = 28.0 * n / median_seconds(torch, device, opt.step, repeats) * 1e-9
    return [("gaussian noise 1e8", rate[("dp gaussian noise (ChaCha20)", str(n))], noise, "Gsamples/s", "rate", ""),
            ("AdamW 1e8 params", rate.get(("dp fused AdamW", str(n))), adam, "GB/s", "rate", "")]


def fmt(v):
    if v is None:
        return "n/a"
    return f"{v:,.3f}" if abs(v) < 100 else f"{v:,.0f}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ours", required=True, help="the folder tools/gpu-check.sh wrote")
    ap.add_argument("--device", default="cuda", choices=["cuda", "cpu"])
    ap.add_argument("--quick", action="store_true", help="one timed run each (a rehearsal, not a measurement)")
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    repeats = 1 if args.quick else args.repeats
    o = lambda name: document(os.path.join(args.ours, name))
    gemm, swin, gan, dpsgd, gpu, tune = o("bench-gemm.txt"), o("bench-swin.txt"), o("bench-gan.txt"), o("bench-dpsgd.txt"), o("bench-gpu.json"), o("dp-finetune.json")

    rows, notes = [], []
    try:
        import torch
    except ImportError:
        torch = None
        notes.append("PyTorch is not installed here: no peer column")
    if torch is not None and args.device == "cuda" and not torch.cuda.is_available():
        torch = None
        notes.append("PyTorch sees no CUDA device: no peer column")
    if torch is not None:
        torch.manual_seed(0)
        for part in (lambda: gemm_rows(torch, args.device, gemm, gpu, repeats), lambda: swin_row(torch, args.device, swin, repeats),
                     lambda: gan_row(torch, args.device, gan, repeats), lambda: dp_rows(torch, args.device, dpsgd, repeats),
                     lambda: kernel_rows(torch, args.device, gpu, repeats)):
            try:
                rows += part()
            except Exception as e:  # one failing peer must not cost the table
                notes.append(f"peer failed: {type(e).__name__}: {e}")
    else:
        for r in (gemm or {}).get("results", []):
            rows.append((f"sgemm f32 {r['case']}", r["gflops"], None, "GFLOP/s", "rate", "≥ 0.7× cuBLAS"))
        if swin:
            rows.append((f"Swin fwd+bwd b{swin['batch']}", swin["forwardBackwardS"], None, "s", "time", "≤ 1.5× PyTorch"))
        if gan:
            rows.append((f"GAN iteration b{gan['batch']} {gan['image_size']}²", gan["median_ms"] / 1000, None, "s", "time", "≤ 1.5× PyTorch"))
        if dpsgd:
            rows.append(("DP step / plain step", next(r for r in dpsgd["results"] if r.get("trainable") == "all")["timeRatio"], None, "×", "ratio", "≤ 1.3× (ours)"))
    if tune:
        ips = tune["images"] / tune["epoch_seconds"] if tune.get("epoch_seconds") else None
        what = f"Swin DP fine-tune {tune['images']} images"
        rows.append((what + (" (images/s)" if ips else f" (no epoch in {tune['limit_seconds']} s, exit {tune['exit']})"), ips, None, "images/s", "rate", ""))
        rows.append(("  peak GPU memory", tune.get("peak_gpu_mib") and tune["peak_gpu_mib"] / 1024, None, "GiB", "memory", "≤ 80 GB"))

    device = args.device
    if torch is not None and args.device == "cuda":
        device = torch.cuda.get_device_name(0)
    print(f"dpmammo vs PyTorch {torch.__version__ if torch else '(absent)'} on {device}{' — rehearsal, toy sizes' if args.quick else ''}")
    print(f"{'benchmark':<40} {'dpmammo':>12} {'pytorch':>12}  {'unit':<10} {'ratio':>7}  target")
    for name, mine, theirs, unit, kind, target in rows:
        if mine is None or theirs is None or not theirs:
            ratio = "n/a"
        elif kind == "rate":
            ratio = f"{mine / theirs:.2f}×"  # our throughput as a fraction of PyTorch's
        elif kind == "time":
            ratio = f"{mine / theirs:.2f}×"  # our time as a multiple of PyTorch's
        else:
            ratio = ""  # our DP/plain ratio beside PyTorch's: the target is on ours alone
        print(f"{name:<40} {fmt(mine):>12} {fmt(theirs):>12}  {unit:<10} {ratio:>7}  {target}")
    for n in notes:
        print(n, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
