#!/usr/bin/env python3
"""Reference dumps of torchvision's Swin Transformer for dpmammo's equivalence tests.

  fixture DIR        a reduced Swin (width 24, depths 2-2, heads 2-4, window 4, 32x32 input, 3 classes) built by
                     torchvision's own SwinTransformer class, seeded: DIR/model.safetensors (state dict) and
                     DIR/io.safetensors (input, per-stage outputs, logits). Small enough to commit.
  full FILE          torchvision swin_t (random init, seed 0, 1000 classes) with a 224x224 input and its logits in one
                     file, for the local (not CI) check: java ... SwinReferenceTest with -Ddpmammo.swinFull=FILE.
  convert IN OUT     a PyTorch state dict (.pth, e.g. torchvision's swin_t ImageNet weights swin_t-704ceda3.pth) to
                     safetensors. dpmammo's --init-weights and --arch read the .pth directly; this is for other tools.
  check FILE         loads a checkpoint written by dpmammo (model tensors plus 'x.input' and 'x.logits', config in the
                     metadata) into torchvision strictly, runs it, and prints the largest relative logit difference.

Needs torch and torchvision (tested with torch 1.13 / torchvision 0.14); safetensors files are written and read here
by tools/safetensors_io.py, so the safetensors package is not needed.
"""
import json
import sys

import torch
import torchvision
from torchvision.models.swin_transformer import SwinTransformer

import safetensors_io

def build(cfg):
    return SwinTransformer(patch_size=[cfg["patch"], cfg["patch"]], embed_dim=cfg["embed"], depths=cfg["depths"],
                           num_heads=cfg["heads"], window_size=[cfg["window"], cfg["window"]],
                           stochastic_depth_prob=cfg["drop_path"], num_classes=cfg["classes"])


def run(model, x):
    """Logits plus the output of every features.i, for field-by-field comparison."""
    stages = {}
    h = x
    for i, m in enumerate(model.features):
        h = m(h)
        stages["x.features.%d" % i] = h
    return model(x), stages


def fixture(out_dir):
    torch.manual_seed(7)
    cfg = {"image": 32, "patch": 4, "embed": 24, "depths": [2, 2], "heads": [2, 4], "window": 4, "drop_path": 0.2,
           "classes": 3}
    model = build(cfg).eval()
    # Make the LayerNorm affine parameters and the bias table non-trivial so a wrong norm or a misplaced bias
    # would show, and the head larger so the logits are not all near zero.
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "norm" in name or "relative_position_bias_table" in name:
                p.add_(0.3 * torch.randn_like(p))
        model.head.weight.normal_(0, 0.5)
    x = torch.rand(2, 3, cfg["image"], cfg["image"]) * 2 - 1
    with torch.no_grad():
        logits, stages = run(model, x)
    meta = {"config": json.dumps(cfg), "torch": torch.__version__, "torchvision": torchvision.__version__,
            "generator": "tools/swin_reference.py fixture"}
    safetensors_io.write(out_dir + "/model.safetensors", model.state_dict(), meta)
    safetensors_io.write(out_dir + "/io.safetensors", {"x.input": x, **stages, "x.logits": logits}, meta)
    print("logits", logits)


def full(path):
    torch.manual_seed(0)
    model = torchvision.models.swin_t().eval()
    x = torch.rand(1, 3, 224, 224) * 2 - 1
    with torch.no_grad():
        logits = model(x)
    meta = {"torch": torch.__version__, "torchvision": torchvision.__version__}
    safetensors_io.write(path, {**model.state_dict(), "x.input": x, "x.logits": logits}, meta)
    print("wrote", path, "logits[0,:5]", logits[0, :5])


def check(path):
    tensors, meta = safetensors_io.read(path)
    cfg = json.loads(meta["config"])
    x, expected = tensors.pop("x.input"), tensors.pop("x.logits")
    model = build(cfg).eval()
    model.load_state_dict(tensors, strict=True)
    with torch.no_grad():
        logits = model(x)
    rel = ((logits - expected).abs().max() / expected.abs().max()).item()
    print("max relative logit difference (torchvision vs dpmammo): %.3g" % rel)
    sys.exit(0 if rel <= 1e-4 else 1)


def convert(src, dst):
    state = torch.load(src, map_location="cpu")
    safetensors_io.write(dst, {k: v for k, v in state.items()}, {"source": src, "torch": torch.__version__})
    print("wrote", dst, len(state), "tensors")


if __name__ == "__main__":
    if sys.argv[1] == "convert":
        convert(sys.argv[2], sys.argv[3])
    else:
        {"fixture": fixture, "full": full, "check": check}[sys.argv[1]](sys.argv[2])
