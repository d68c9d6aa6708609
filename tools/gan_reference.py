#!/usr/bin/env python3
"""The study's conditional DCGAN (docs/STUDY.md sections 2.3-2.4) in PyTorch, with dpmammo's member names.

Used as the reference for dpmammo's org.dpmammo.models.gan: same layers, same shapes, same state-dict keys
(label_embedding, label_linear, main.<i>), so a dpmammo checkpoint loads here unchanged.

  python3 tools/gan_reference.py                         # parameter counts at 128 and 64 (compare GanModelTest)
  python3 tools/gan_reference.py --checkpoint RUN/checkpoints/epoch_0010.safetensors --out grid.png
                                                         # load dpmammo's generator and sample 16 images
  /usr/bin/python3 tools/gan_reference.py --make-fixture src/test/resources/fixtures/gan-tiny
                                                         # the committed dump GanTorchFixtureTest compares with:
                                                         # one study iteration of a tiny GAN, DIR/instance.safetensors
                                                         # and DIR/batch.safetensors (see make_fixture)

Safetensors files are read and written here with struct and json, so the safetensors package is not needed.
"""
import argparse
import json
import math
import os

import torch
import torch.nn as nn

import safetensors_io


def norm_layer(kind, channels):
    # The study's code: InstanceNorm2d without affine parameters by default, BatchNorm2d as the option.
    # "none" is dpmammo's option (an Identity keeps the layer indices, so state-dict names match).
    if kind == "none":
        return nn.Identity()
    return nn.InstanceNorm2d(channels) if kind == "instance" else nn.BatchNorm2d(channels)


def stages(image_size):
    return int(math.log2(image_size)) - 2


def upsample(kind, cin, cout):
    # The study's stride-2 transposed convolution, or dpmammo's "resize": nearest x2 then a 3x3 convolution.
    if kind == "resize":
        return nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(cin, cout, 3, 1, 1, bias=False))
    return nn.ConvTranspose2d(cin, cout, 4, 2, 1, bias=False)


class Generator(nn.Module):
    def __init__(self, image_size=128, nz=100, ngf=64, emb=50, norm="instance", upsampling="transposed"):
        super().__init__()
        self.nz = nz
        self.label_embedding = nn.Embedding(2, emb)
        self.label_linear = nn.Linear(emb, nz)
        self.label_act = nn.LeakyReLU(0.1)
        s = stages(image_size)
        ch = ngf << (s - 1)
        layers = [nn.ConvTranspose2d(2 * nz, ch, 4, 1, 0, bias=False), norm_layer(norm, ch), nn.ReLU()]
        for _ in range(1, s):
            layers += [upsample(upsampling, ch, ch // 2), norm_layer(norm, ch // 2), nn.ReLU()]
            ch //= 2
        layers += [upsample(upsampling, ch, 1), nn.Tanh()]
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


# The fixture's model: 64x64 (the smallest size dpmammo accepts), z of 4, embedding 2, ngf 2, ndf 1. D's condition
# layer, Linear(embedding, 64*64), and its last hidden convolution take most of the file: the embedding stays a
# matrix (a transposed weight is a shape error) and D is narrower than G (a swapped ngf/ndf is a shape error too),
# which keeps each file under 200 KB.
FIXTURE_CONFIG = {"image_size": 64, "latent_size": 4, "ngf": 2, "ndf": 1, "embedding_size": 2, "real_range": "signed"}
FIXTURE_VERSION = "dpmammo-gan-torch-fixture/1"


def as_half(t):
    # Inputs and initial parameters are rounded to float16 values and stored as F16: exact in float32 on both
    # sides, half the bytes. Only the computed outputs and gradients need F32.
    return t.detach().half()


def study_iteration(norm, seed, upsampling="transposed"):
    """One iteration of dpmammo's GanStep.run (the study's loop) with its random draws fixed.

    Returns (tensors to store, a summary line). Stored: the two state dicts before the iteration (generator.*,
    discriminator.*, F16), the draws (input.*), the outputs (output.*), the gradients of D's loss w.r.t. every D
    parameter and of G's loss w.r.t. every G parameter (grad.*), and every buffer after the iteration (after.*).
    """
    torch.manual_seed(seed)
    c = FIXTURE_CONFIG
    g = Generator(c["image_size"], c["latent_size"], c["ngf"], c["embedding_size"], norm, upsampling)
    d = Discriminator(c["image_size"], c["ndf"], c["embedding_size"], norm)
    g.apply(init_weights)
    d.apply(init_weights)
    with torch.no_grad():
        for m in (g, d):
            for mod in m.modules():
                # BatchNorm's beta starts at 0, where a dropped or misplaced shift would not show in any output.
                if isinstance(mod, nn.BatchNorm2d):
                    mod.bias.normal_(0.0, 0.1)
            for p in m.parameters():
                p.copy_(as_half(p).float())
    b, nz, s = 2, c["latent_size"], c["image_size"]
    z = as_half(torch.randn(b, nz, 1, 1)).float()
    real = as_half(torch.rand(b, 1, s, s) * 2 - 1).float()
    # Real and fake labels differ per example, so a network fed the wrong list, or the class indices swapped, is
    # visibly wrong. One smoothed target is above 1: the study's U(0.7, 1.2) allows it, and BCELoss takes it as is.
    labels = torch.tensor([1, 0])
    fake_labels = torch.tensor([0, 1])
    smooth = torch.tensor([1.1, 0.8])
    before = {"generator." + k: v.clone() for k, v in g.state_dict().items()}
    before.update({"discriminator." + k: v.clone() for k, v in d.state_dict().items()})

    bce = nn.BCELoss()
    opt_g = torch.optim.Adam(g.parameters(), lr=1e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(d.parameters(), lr=1e-4, betas=(0.5, 0.999))
    g.train()
    d.train()
    fake = g(z, fake_labels)
    opt_d.zero_grad()
    p_real = d(real, labels)
    p_fake = d(fake.detach(), fake_labels)
    loss_d = bce(p_real, smooth) + bce(p_fake, torch.zeros(b))
    loss_d.backward()
    grads = {"grad.discriminator." + k: p.grad.clone() for k, p in d.named_parameters()}
    opt_d.step()
    # G's step through the updated D, D frozen (GanStep.generatorStep).
    d.requires_grad_(False)
    opt_g.zero_grad()
    p_gen = d(fake, fake_labels)
    loss_g = bce(p_gen, torch.ones(b))
    loss_g.backward()
    grads.update({"grad.generator." + k: p.grad.clone() for k, p in g.named_parameters()})

    out = {}
    for k, v in before.items():
        out[k] = v if v.dtype == torch.int64 else as_half(v)
    out.update({"input.z": as_half(z), "input.labels": labels, "input.fake_labels": fake_labels,
                "input.smooth": smooth, "input.real": as_half(real),
                "output.fake": fake, "output.d_real": p_real, "output.d_fake": p_fake, "output.d_gen": p_gen,
                "output.loss_d": loss_d.reshape(1), "output.loss_g": loss_g.reshape(1)})
    out.update(grads)
    for prefix, m in (("generator.", g), ("discriminator.", d)):
        for k, v in m.named_buffers():
            out["after." + prefix + k] = v.clone()
    out = {k: v.detach() for k, v in out.items()}
    line = (f"{norm}: D(x) {p_real.tolist()}, D(G(z)) {p_fake.tolist()} -> {p_gen.tolist()}, "
            f"loss_D {loss_d.item():.6f}, loss_G {loss_g.item():.6f}, |G(z)| max {fake.abs().max().item():.4f}")
    return out, line


def make_fixture(out_dir):
    # One file per variant: the study's two norms, and the cpu preset's resize-convolution generator (BatchNorm).
    for name, norm, upsampling in (("instance", "instance", "transposed"), ("batch", "batch", "transposed"),
                                   ("resize", "batch", "resize")):
        tensors, line = study_iteration(norm, seed=20240, upsampling=upsampling)
        path = os.path.join(out_dir, name + ".safetensors")
        config = {**FIXTURE_CONFIG, "norm": norm}
        if upsampling != "transposed":
            config["upsampling"] = upsampling
        meta = {"format": FIXTURE_VERSION, "config": json.dumps(config),
                "torch": torch.__version__, "generator": "tools/gan_reference.py --make-fixture"}
        safetensors_io.write(path, tensors, meta)
        print(f"{line}\n  wrote {path}: {len(tensors)} tensors, {os.path.getsize(path):,} bytes")


def count(m):
    return sum(p.numel() for p in m.parameters())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--checkpoint")
    ap.add_argument("--out", default="reference_grid.png")
    ap.add_argument("--make-fixture", metavar="DIR")
    args = ap.parse_args()
    if args.make_fixture:
        make_fixture(args.make_fixture)
        return
    if not args.checkpoint:
        for size in (128, 64):
            print(f"{size}x{size}, ngf=ndf=64: generator {count(Generator(size)):,} parameters, "
                  f"discriminator {count(Discriminator(size)):,}")
        return
    tensors, meta = safetensors_io.read(args.checkpoint)
    cfg = json.loads(meta["config"])
    g = Generator(cfg["image_size"], cfg["latent_size"], cfg["ngf"], cfg["embedding_size"], cfg.get("norm_g", cfg.get("norm")),
                  cfg.get("upsampling", "transposed"))
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
