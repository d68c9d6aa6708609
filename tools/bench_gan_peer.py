#!/usr/bin/env python3
"""PyTorch peer of `dpmammo bench gan`: wall time of one C-DCGAN training iteration (D step + G step) of the
study's 128x128 model at batch 8 on the CPU, the same step as org.dpmammo.train.gan.GanStep. Reports wall time and
process CPU time per iteration (the latter stays meaningful on a shared machine).

  python3 tools/bench_gan_peer.py [--threads 2] [--iters 3] [--warmup 1] [--size 128] [--width 64]
"""
import argparse
import json
import time

import torch
import torch.nn as nn

from gan_reference import Discriminator, Generator, init_weights


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--iters", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--size", type=int, default=128)
    ap.add_argument("--width", type=int, default=64)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    g, d = Generator(args.size, 100, args.width), Discriminator(args.size, args.width)
    g.apply(init_weights)
    d.apply(init_weights)
    opt_g = torch.optim.Adam(g.parameters(), 1e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(d.parameters(), 1e-4, betas=(0.5, 0.999))
    bce = nn.BCELoss()
    b = args.batch
    real = torch.rand(b, 1, args.size, args.size)
    labels = torch.arange(b) % 2

    def step():
        z = torch.randn(b, 100, 1, 1)
        fake_labels = torch.randint(0, 2, (b,))
        smooth = torch.empty(b).uniform_(0.7, 1.2)
        fake = g(z, fake_labels)
        opt_d.zero_grad()
        loss_d = bce(d(real, labels), smooth) + bce(d(fake.detach(), fake_labels), torch.zeros(b))
        loss_d.backward()
        opt_d.step()
        # As dpmammo: D's weight gradients are not needed for G's step.
        for p in d.parameters():
            p.requires_grad_(False)
        opt_g.zero_grad()
        loss_g = bce(d(fake, fake_labels), torch.ones(b))
        loss_g.backward()
        opt_g.step()
        for p in d.parameters():
            p.requires_grad_(True)

    for _ in range(args.warmup):
        step()
    ms, cpu = [], []
    for _ in range(args.iters):
        t0, c0 = time.perf_counter(), time.process_time()
        step()
        ms.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    med = sorted(ms)[len(ms) // 2]
    cpu_med = sorted(cpu)[len(cpu) // 2]
    if args.json:
        print(json.dumps({"benchmark": "gan-pytorch", "torch": torch.__version__, "threads": args.threads,
                          "iteration_ms": ms, "median_ms": med,
                          "cpu_ms": cpu, "median_cpu_ms": cpu_med, "images_per_s": b / (med / 1000)}))
    else:
        print(f"PyTorch {torch.__version__} C-DCGAN {args.size}x{args.size} (ngf=ndf={args.width}), batch {b}, "
              f"{args.threads} threads: wall median {med:.0f} ms, min {min(ms):.0f} ms, {b / (med / 1000):.2f} images/s; "
              f"process CPU time median {cpu_med:.0f} ms per iteration")


if __name__ == "__main__":
    main()
