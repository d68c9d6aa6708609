#!/usr/bin/env python3
"""The study's conditional DCGAN (paper.md 2.3-2.4) in PyTorch, with dpmammo's member names.

Used as the reference for dpmammo's org.dpmammo.models.gan: same layers, same shapes, same state-dict keys
(label_embedding, label_linear, main.<i>), so a dpmammo checkpoint loads here unchanged.

  python3 tools/gan_reference.py                         # parameter counts at 128 and 64 (compare GanModelTest)
  python3 tools/gan_reference.py --checkpoint RUN/checkpoints/epoch_0010.safetensors --out grid.png
                                                         # load dpmammo's generator and sample 16 images
"""
import argparse
import json
import math
import struct

import torch
import torch.nn as nn


def norm_layer(kind, channels):
    # The study's code: InstanceNorm2d without affine parameters by default, BatchNorm2d as the option.
    return nn.InstanceNorm2d(channels) if kind == "instance" else nn.BatchNorm2d(channels)


def stages(image_size):
    return int(math.log2(image_size)) - 2


class Generator(nn.Module):
    def __init__(self, image_size=128, nz=100, ngf=64, emb=50, norm="instance"):
        super().__init__()
        self.nz = nz
        self.label_embedding = nn.Embedding(2, emb)
        self.label_linear = nn.Linear(emb, nz)
        self.label_act = nn.LeakyReLU(0.1)
        s = stages(image_size)
        ch = ngf << (s - 1)
        layers = [nn.ConvTranspose2d(2 * nz, ch, 4, 1, 0, bias=False), norm_layer(norm, ch), nn.ReLU()]
        for _ in range(1, s):
            layers += [nn.ConvTranspose2d(ch, ch // 2, 4, 2, 1, bias=False), norm_layer(norm, ch // 2), nn.ReLU()]
            ch //= 2
        layers += [nn.ConvTranspose2d(ch, 1, 4, 2, 1, bias=False), nn.Tanh()]
        self.main = nn.Sequential(*layers)

    def forward(self, z, labels):
        b = labels.shape[0]
        cond = self.label_act(self.label_linear(self.label_embedding(labels))).view(b, self.nz, 1, 1)
        return self.main(torch.cat([z.view(b, self.nz, 1, 1), cond], 1))


class Discriminator(nn.Module):
    def __init__(self, image_size=128, ndf=64, emb=50, norm="instance"):
        super().__init__()
        self.size = image_size
        self.label_embedding = nn.Embedding(2, emb)
        self.label_linear = nn.Linear(emb, image_size * image_size)
        self.label_act = nn.LeakyReLU(0.1)
        ch = ndf
        layers = [nn.Conv2d(2, ch, 6, 2, 2, bias=False), nn.LeakyReLU(0.1)]
        for _ in range(1, stages(image_size)):
            layers += [nn.Conv2d(ch, ch * 2, 6, 2, 2, bias=False), norm_layer(norm, ch * 2), nn.LeakyReLU(0.1)]
            ch *= 2
        layers += [nn.Conv2d(ch, 1, 6, 1, 1, bias=False), nn.Sigmoid()]
        self.main = nn.Sequential(*layers)

    def forward(self, x, labels):
        b = labels.shape[0]
        cond = self.label_act(self.label_linear(self.label_embedding(labels))).view(b, 1, self.size, self.size)
        return self.main(torch.cat([x, cond], 1)).view(b)


def init_weights(m):
    # N(0, 0.02) for (transposed) convolutions, BatchNorm gamma N(1, 0.02) and beta 0; others keep PyTorch defaults.
    if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(m.weight, 0.0, 0.02)
    elif isinstance(m, nn.BatchNorm2d):
        nn.init.normal_(m.weight, 1.0, 0.02)
        nn.init.zeros_(m.bias)


def read_safetensors(path):
    """Minimal reader (F32 and I64 only): 8-byte little-endian header length, JSON header, raw data."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    meta = header.pop("__metadata__", {})
    out = {}
    for name, e in header.items():
        a, b = e["data_offsets"]
        dtype = {"F32": torch.float32, "I64": torch.int64}[e["dtype"]]
        out[name] = torch.frombuffer(bytearray(data[a:b]), dtype=dtype).reshape(e["shape"]).clone()
    return out, meta


def count(m):
    return sum(p.numel() for p in m.parameters())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--checkpoint")
    ap.add_argument("--out", default="reference_grid.png")
    args = ap.parse_args()
    if not args.checkpoint:
        for size in (128, 64):
            print(f"{size}x{size}, ngf=ndf=64: generator {count(Generator(size)):,} parameters, "
                  f"discriminator {count(Discriminator(size)):,}")
        return
    tensors, meta = read_safetensors(args.checkpoint)
    cfg = json.loads(meta["config"])
    g = Generator(cfg["image_size"], cfg["latent_size"], cfg["ngf"], cfg["embedding_size"], cfg["norm"])
    state = {k[len("generator."):]: v for k, v in tensors.items() if k.startswith("generator.")}
    g.load_state_dict(state, strict=True)
    g.eval()
    with torch.no_grad():
        z = torch.randn(16, cfg["latent_size"], 1, 1)
        labels = torch.tensor([1] * 8 + [0] * 8)
        x = g(z, labels)
    x = (x + 1) / 2 if cfg["real_range"] == "signed" else x
    x = x.clamp(0, 1)
    try:
        from PIL import Image
        s = cfg["image_size"]
        grid = torch.ones(2 * s + 4, 8 * s + 14)
        for i in range(16):
            r, c = divmod(i, 8)
            grid[r * (s + 4): r * (s + 4) + s, c * (s + 2): c * (s + 2) + s] = x[i, 0]
        Image.fromarray((grid * 255).round().byte().numpy(), "L").save(args.out)
        print(f"loaded {len(state)} generator tensors strictly; wrote {args.out} (benign row above malignant)")
    except ImportError:
        print(f"loaded {len(state)} generator tensors strictly; sample mean {x.mean():.4f} (PIL absent: no image)")


if __name__ == "__main__":
    main()
