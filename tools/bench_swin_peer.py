#!/usr/bin/env python3
"""The peer of `dpmammo bench swin`: torchvision swin_t on the CPU with two threads, the same measurements
(forward under no_grad in eval mode; forward + backward of the mean logit in training mode, all parameters
trainable), best of N after one warm-up. Usage: bench_swin_peer.py [--batch 8] [--repeat 3] [--threads 2]"""
import argparse
import json
import os
import time

import torch
import torchvision

p = argparse.ArgumentParser()
p.add_argument("--batch", type=int, default=8)
p.add_argument("--repeat", type=int, default=3)
p.add_argument("--threads", type=int, default=2)
a = p.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(0)
model = torchvision.models.swin_t()
x = torch.rand(a.batch, 3, 224, 224) * 2 - 1
fwd, fb, fwd_cpu, fb_cpu = float("inf"), float("inf"), float("inf"), float("inf")
for it in range(a.repeat + 1):
    model.eval()
    t0, c0 = time.perf_counter(), time.process_time()
    with torch.no_grad():
        model(x)
    f, fc = time.perf_counter() - t0, time.process_time() - c0
    model.train()
    model.zero_grad()
    t0, c0 = time.perf_counter(), time.process_time()
    model(x).mean().backward()
    b, bc = time.perf_counter() - t0, time.process_time() - c0
    if it > 0:
        fwd, fb, fwd_cpu, fb_cpu = min(fwd, f), min(fb, b), min(fwd_cpu, fc), min(fb_cpu, bc)
print(json.dumps({"torch": torch.__version__, "threads": a.threads, "batch": a.batch, "loadAverage": os.getloadavg()[0],
                  "forwardS": round(fwd, 3), "forwardBackwardS": round(fb, 3),
                  "forwardCpuS": round(fwd_cpu, 3), "forwardBackwardCpuS": round(fb_cpu, 3)}, indent=2))
