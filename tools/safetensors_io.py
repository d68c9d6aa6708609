"""The safetensors format as dpmammo writes it, for the reference and fixture scripts beside this file (no
`safetensors` package on the machines that run them): an 8-byte little-endian header length, a JSON header padded
with spaces to a multiple of 8, then the raw little-endian data. F16, F32 and I64 only."""
import json
import struct

import torch

_CODES = {torch.float16: ("F16", "<f2"), torch.float32: ("F32", "<f4"), torch.int64: ("I64", "<i8")}
_TYPES = {code: dtype for dtype, (code, _) in _CODES.items()}


def write(path, tensors, metadata=None):
    """Writes the tensors in the given order; __metadata__ only when there is some."""
    header = {"__metadata__": metadata} if metadata else {}
    blobs, offset = [], 0
    for name, t in tensors.items():
        t = t.detach().contiguous().cpu()
        code, little_endian = _CODES[t.dtype]
        raw = t.numpy().astype(little_endian).tobytes()
        header[name] = {"dtype": code, "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    head = json.dumps(header, separators=(",", ":")).encode()
    head += b" " * (-len(head) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(head)))
        f.write(head)
        for b in blobs:
            f.write(b)


def read(path):
    """(tensors, metadata) of a file."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    meta = header.pop("__metadata__", {})
    out = {}
    for name, e in header.items():
        a, b = e["data_offsets"]
        out[name] = torch.frombuffer(bytearray(data[a:b]), dtype=_TYPES[e["dtype"]]).reshape(e["shape"]).clone()
    return out, meta
