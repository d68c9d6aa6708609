"""Reads a safetensors file with json + numpy only (no safetensors package) and loads it into a torch module.

Used once by hand to check that files written by dpmammo's SafeTensors load into PyTorch with strict=True, int64
buffers included:
    /usr/bin/python3 tools/reference/read_safetensors.py FILE
The module built below mirrors the one the check wrote: Sequential(Sequential(Conv2d(2, 4, 3), BatchNorm2d(4)),
Linear(4, 2)).
"""
import json
import struct
import sys

import numpy as np
import torch
from torch import nn

DTYPES = {"F32": "<f4", "F64": "<f8", "F16": "<f2", "I64": "<i8"}

with open(sys.argv[1], "rb") as f:
    raw = f.read()
(n,) = struct.unpack("<Q", raw[:8])
header = json.loads(raw[8:8 + n])
meta = header.pop("__metadata__", {})
state = {}
for name, e in header.items():
    b, end = e["data_offsets"]
    arr = np.frombuffer(raw[8 + n + b:8 + n + end], dtype=DTYPES[e["dtype"]]).reshape(e["shape"])
    state[name] = torch.from_numpy(arr.copy())
model = nn.Sequential(nn.Sequential(nn.Conv2d(2, 4, 3), nn.BatchNorm2d(4)), nn.Linear(4, 2))
print(model.load_state_dict(state, strict=True), "metadata", meta)
print("num_batches_tracked", state["0.1.num_batches_tracked"].dtype, int(state["0.1.num_batches_tracked"]))
print("running_mean", state["0.1.running_mean"].tolist())
