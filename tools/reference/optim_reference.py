"""Reference parameter trajectories for dpmammo's optimizer tests (OptimizerTest.TORCH_*).

Runs torch.optim.SGD / Adam / AdamW for three steps on a 3-element float64 parameter with fixed gradients and
prints the parameter after each step. Generated with Debian's python3-torch 1.13:
    /usr/bin/python3 tools/reference/optim_reference.py
"""
import torch

W0 = [0.5, -1.0, 2.0]
GRADS = [[0.1, -0.2, 0.3], [-0.4, 0.5, 0.05], [0.2, 0.0, -0.3]]
CASES = {
    "SGD(lr=0.1, momentum=0.9, dampening=0.1, weight_decay=0.01)":
        lambda p: torch.optim.SGD([p], lr=0.1, momentum=0.9, dampening=0.1, weight_decay=0.01),
    "SGD(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)":
        lambda p: torch.optim.SGD([p], lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01),
    "Adam(lr=0.01, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.1)":
        lambda p: torch.optim.Adam([p], lr=0.01, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.1),
    "AdamW(lr=0.01, betas=(0.5, 0.999), eps=1e-8, weight_decay=0.1)":
        lambda p: torch.optim.AdamW([p], lr=0.01, betas=(0.5, 0.999), eps=1e-8, weight_decay=0.1),
}

print("torch", torch.__version__)
for name, make in CASES.items():
    p = torch.tensor(W0, dtype=torch.float64, requires_grad=True)
    opt = make(p)
    print(name)
    for g in GRADS:
        p.grad = torch.tensor(g, dtype=torch.float64)
        opt.step()
        print("  {" + ", ".join("%.12f" % v for v in p.detach().tolist()) + "},")
