#!/usr/bin/env python3
"""Writes the fixtures for dpmammo's torchvision state-dict loader (nn.StateDictFiles, nn.TorchPickle).

    /usr/bin/python3 tools/torchvision_fixtures.py src/test/resources/fixtures/torchvision-tiny

A reduced Swin-T built by torchvision's own SwinTransformer class in the shape of dpmammo's `tiny` preset (32x32
input, patch 4, width 24, depths 2-2, heads 2-4, window 4, MLP ratio 4) with a 2-class Linear head, seeded, saved
as users have such files:

  swin_tiny.pth              torch.save(state_dict) (zip archive: <name>/data.pkl + <name>/data/N). Some tensors
                             are saved as views (storage offset, shared storage, transposed strides) to exercise
                             the strided rebuild; their values are those of the model.
  swin_tiny_legacy.pth       the same with _use_new_zipfile_serialization=False (the pre-1.6 format).
  swin_tiny.safetensors      the same state dict as safetensors, written here with struct/json (Debian has no
                             python3-safetensors), contiguous, relative_position_index as I64.
  swin_tiny_1000_fp16.pth    the same backbone with a 1000-class head (as torchvision's ImageNet weights), in
                             float16 (HalfStorage).
  io.safetensors             x.input [2, 3, 32, 32] in [-1, 1] and x.logits [2, 2] of the 2-class model, and
                             x.logits_1000 [2, 1000] of the float16 model run in float32.

and files that must be refused without running anything (the payloads would create PAYLOAD_MARKER):

  evil_reduce.pth            torch.save of a dict holding a real tensor and an object whose __reduce__ calls
                             os.system (pickled as posix.system).
  evil_os_system.pth         hand-written data.pkl: GLOBAL 'os system' + REDUCE.
  evil_eval.pth              hand-written data.pkl: GLOBAL 'builtins eval' + REDUCE.
  evil_opcode.pth            hand-written data.pkl with the INST opcode (imports and calls by name).
  truncated.pth              the first half of swin_tiny.pth.
  wrong_storage_size.pth     swin_tiny.pth with one storage record shorter than its numel says.
  oversized_view.pth         a tensor of 2^30 elements (stride 0) viewing a 4-element storage.

Tested with torch 1.13 / torchvision 0.14 (Debian python3-torch, python3-torchvision).
"""
import collections
import io
import os
import pickle
import struct
import sys
import zipfile

import torch
import torchvision
from torchvision.models.swin_transformer import SwinTransformer

import safetensors_io

PAYLOAD_MARKER = "/tmp/dpmammo-pickle-payload-ran"
TINY = {"image": 32, "patch": 4, "embed": 24, "depths": [2, 2], "heads": [2, 4], "window": 4}


def build(classes):
    return SwinTransformer(patch_size=[TINY["patch"], TINY["patch"]], embed_dim=TINY["embed"], depths=TINY["depths"],
                           num_heads=TINY["heads"], window_size=[TINY["window"], TINY["window"]],
                           stochastic_depth_prob=0.1, num_classes=classes).eval()


def perturb(model):
    """Non-trivial norms, bias tables and head, so that a misplaced tensor shows in the logits."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "norm" in name or "relative_position_bias_table" in name:
                p.add_(0.3 * torch.randn_like(p))
        model.head.weight.normal_(0, 0.5)
        model.head.bias.normal_(0, 0.1)


def with_views(state):
    """The same values, but some tensors stored as views: the biases of every qkv share one storage at offsets,
    every proj weight is a transpose of a contiguous transpose (strides (1, rows)), and features.0.0.bias sits at
    offset 5 of a padded storage."""
    out = collections.OrderedDict()
    qkv_biases = [k for k in state if k.endswith("attn.qkv.bias")]
    shared = torch.cat([state[k].reshape(-1) for k in qkv_biases] + [torch.zeros(3)])
    at = 0
    for k, v in state.items():
        if k in qkv_biases:
            out[k] = shared[at:at + v.numel()]
            at += v.numel()
        elif k.endswith("attn.proj.weight"):
            out[k] = v.t().contiguous().t()
        elif k == "features.0.0.bias":
            padded = torch.zeros(v.numel() + 9)
            padded[5:5 + v.numel()] = v
            out[k] = padded[5:5 + v.numel()]
        else:
            out[k] = v
    out._metadata = state._metadata
    return out


def zip_pth(path, pickle_bytes, records=()):
    """A zip archive laid out as torch.save writes it (stored entries under one folder)."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as z:
        z.writestr("archive/data.pkl", pickle_bytes)
        for name, data in records:
            z.writestr("archive/" + name, data)
        z.writestr("archive/version", "3\n")


class Payload:
    def __reduce__(self):
        return os.system, ("touch " + PAYLOAD_MARKER,)


def malicious(out_dir):
    torch.save({"weight": torch.ones(2), "payload": Payload()}, out_dir + "/evil_reduce.pth")
    command = ("touch " + PAYLOAD_MARKER).encode()
    # protocol 2: GLOBAL module\nname\n, a 1-tuple of the command, REDUCE, STOP
    call = b"X" + struct.pack("<I", len(command)) + command + b"\x85R."
    zip_pth(out_dir + "/evil_os_system.pth", b"\x80\x02cos\nsystem\n" + call)
    expr = ("__import__('os').system('touch " + PAYLOAD_MARKER + "')").encode()
    zip_pth(out_dir + "/evil_eval.pth", b"\x80\x02cbuiltins\neval\nX" + struct.pack("<I", len(expr)) + expr + b"\x85R.")
    # INST: MARK args INST module\nname\n
    zip_pth(out_dir + "/evil_opcode.pth", b"\x80\x02(X" + struct.pack("<I", len(command)) + command + b"ios\nsystem\n.")
    good = open(out_dir + "/swin_tiny.pth", "rb").read()
    with open(out_dir + "/truncated.pth", "wb") as f:
        f.write(good[:len(good) // 2])
    src = zipfile.ZipFile(out_dir + "/swin_tiny.pth")
    with zipfile.ZipFile(out_dir + "/wrong_storage_size.pth", "w", compression=zipfile.ZIP_STORED) as z:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename.endswith("/data/0"):
                data = data[:-4]
            z.writestr(info.filename, data)
    # A 4-element float storage and a tensor of size (2^30,) stride (0,) over it: 4 GB if materialised.
    storage = torch.arange(4, dtype=torch.float32)
    buf = io.BytesIO()
    big = storage[:1].expand(1 << 30)
    torch.save({"big": big}, buf)
    with open(out_dir + "/oversized_view.pth", "wb") as f:
        f.write(buf.getvalue())


def main(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    torch.manual_seed(11)
    model = build(2)
    perturb(model)
    x = torch.rand(2, 3, TINY["image"], TINY["image"]) * 2 - 1
    with torch.no_grad():
        logits = model(x)
    state = model.state_dict()
    views = with_views(state)
    # The views must be what the model holds, or the fixture would test nothing.
    check = build(2)
    check.load_state_dict(views, strict=True)
    with torch.no_grad():
        assert torch.equal(check(x), logits)
    torch.save(views, out_dir + "/swin_tiny.pth")
    torch.save(views, out_dir + "/swin_tiny_legacy.pth", _use_new_zipfile_serialization=False)
    meta = {"generator": "tools/torchvision_fixtures.py", "torch": torch.__version__, "torchvision": torchvision.__version__}
    safetensors_io.write(out_dir + "/swin_tiny.safetensors", state, meta)

    imagenet = build(1000)
    imagenet.load_state_dict({k: v for k, v in state.items() if not k.startswith("head.")}, strict=False)
    with torch.no_grad():
        imagenet.head.weight.normal_(0, 0.5)
    imagenet = imagenet.half()
    torch.save(imagenet.state_dict(), out_dir + "/swin_tiny_1000_fp16.pth")
    with torch.no_grad():
        logits_1000 = imagenet.float()(x)
    safetensors_io.write(out_dir + "/io.safetensors", {"x.input": x, "x.logits": logits, "x.logits_1000": logits_1000}, meta)

    malicious(out_dir)
    assert not os.path.exists(PAYLOAD_MARKER), "writing the fixtures must not run the payload"
    print("logits", logits)


if __name__ == "__main__":
    main(sys.argv[1])
