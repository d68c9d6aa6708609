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
fwd, fb = float("inf"), float("inf")
for it in range(a.repeat + 1):
    model.eval()
    t0 = time.perf_counter()
    with torch.no_grad():
        model(x)
    f = time.perf_counter() - t0
    model.train()
    model.zero_grad()
    t0 = time.perf_counter()
    model(x).mean().backward()
    b = time.perf_counter() - t0
    if it > 0:
        fwd, fb = min(fwd, f), min(fb, b)
print(json.dumps({"torch": torch.__version__, "threads": a.threads, "batch": a.batch, "loadAverage": os.getloadavg()[0],
                  "forwardS": round(fwd, 3), "forwardBackwardS": round(fb, 3)}, indent=2))
