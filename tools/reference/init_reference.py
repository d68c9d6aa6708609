"""Default-initialisation ranges of PyTorch layers, for InitTest.

Prints, per layer, fan_in as torch.nn.init computes it, the bound 1/sqrt(fan_in) of kaiming_uniform(a=sqrt(5)),
and the largest |weight| and |bias| actually drawn (which must approach the bound from below). Generated with
Debian's python3-torch 1.13:
    /usr/bin/python3 tools/reference/init_reference.py
"""
import math

import torch
from torch import nn

torch.manual_seed(0)
layers = {
    "Linear(50, 100)": nn.Linear(50, 100),
    "Conv2d(2, 64, 6)": nn.Conv2d(2, 64, 6),
    "ConvTranspose2d(200, 64, 4)": nn.ConvTranspose2d(200, 64, 4),
    "ConvTranspose2d(64, 1, 4)": nn.ConvTranspose2d(64, 1, 4),
}
for name, m in layers.items():
    fan_in, _ = nn.init._calculate_fan_in_and_fan_out(m.weight)
    print(f"{name}: weight {tuple(m.weight.shape)} fan_in {fan_in} bound {1 / math.sqrt(fan_in):.9f} "
          f"max|w| {m.weight.abs().max().item():.9f} max|b| {m.bias.abs().max().item():.9f} "
          f"var(w)*3*fan_in {m.weight.var().item() * 3 * fan_in:.4f}")
