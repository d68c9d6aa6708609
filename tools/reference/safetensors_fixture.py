"""Writes src/test/resources/org/dpmammo/nn/mixed_dtypes.safetensors for SafeTensorsTest.

The file is assembled by hand (struct + json), independently of dpmammo's writer, with tensors in F32, F16, BF16,
F64 and I64; the header lists them in a different order from their data, and the header is padded with spaces.
The float values expected after decoding are printed (computed by numpy/torch casts). Generated with Debian's
python3-torch 1.13 and numpy 1.24:
    /usr/bin/python3 tools/reference/safetensors_fixture.py
"""
import json
import struct

import numpy as np
import torch

tensors = [  # (name, dtype, shape, raw bytes, decoded float32 values), in data order
    ("b_f16", "F16", [2, 3], np.array([1 / 3, -0.0, 65504, 6e-8, -2.5, 1e-5], dtype="<f2")),
    ("a_f32", "F32", [2], np.array([1.5, -7.25e-3], dtype="<f4")),
    ("c_bf16", "BF16", [3], torch.tensor([3.14159, -1e-3, 1e20], dtype=torch.bfloat16)),
    ("d_f64", "F64", [1, 2], np.array([0.1, -123456.789], dtype="<f8")),
    ("e_i64", "I64", [], np.array(42, dtype="<i8")),
    ("f_i64", "I64", [3], np.array([-3, 0, 16777216], dtype="<i8")),
]
header, data, expected = {}, b"", {}
for name, dtype, shape, arr in tensors:
    if isinstance(arr, torch.Tensor):
        raw = arr.view(torch.int16).numpy().astype("<i2").tobytes()
        values = arr.float().tolist()
    else:
        raw = arr.tobytes()
        values = np.atleast_1d(arr).astype(np.float32).ravel().tolist()
    header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
    data += raw
    expected[name] = values
# Header keys in reverse data order, metadata last: readers must sort by offset, not trust key order.
ordered = {k: header[k] for k in reversed(list(header))}
ordered["__metadata__"] = {"format": "pt", "made_by": "tools/reference/safetensors_fixture.py"}
text = json.dumps(ordered).encode()
text += b" " * (-len(text) % 8)
with open("src/test/resources/org/dpmammo/nn/mixed_dtypes.safetensors", "wb") as f:
    f.write(struct.pack("<Q", len(text)) + text + data)
for name, values in expected.items():
    print(name, ["%.9g" % v for v in values])
