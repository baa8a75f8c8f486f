"""PyTorch side of bench/twins.ts: loads reglab's weights and inputs into models.py's Model and
evaluates the twins in methods.py on them. Usage: python3 twins.py <case.json>; writes
<case.json>.torch.json with the same keys as reglab's quantities."""
import json
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import methods  # noqa: E402
from models import Model  # noqa: E402


def load(case):
    """A Model with reglab's weights: conv HWIO → OIHW; the dense after the flatten gets its rows
    reordered from TF.js's (h, w, c) to PyTorch's (c, h, w)."""
    kind = case["kind"]
    model = Model(kind, torch.Generator().manual_seed(0))
    weights = [torch.tensor(w["values"], dtype=torch.float32).reshape(w["shape"]) for w in case["weights"]]
    with torch.no_grad():
        for i, layer in enumerate(model.layers):
            kernel, bias = weights[2 * i], weights[2 * i + 1]
            if kernel.dim() == 4:
                kernel = kernel.permute(3, 2, 0, 1)
            elif kind == "cnn":
                kernel = kernel.reshape(7, 7, 64, 10).permute(2, 0, 1, 3).reshape(7 * 7 * 64, 10)
            layer.kernel.copy_(kernel)
            layer.bias.copy_(bias)
    return model


def reglab_order(model, tensors):
    """Weights back in reglab's layout and order, for comparison."""
    out = []
    for i, t in enumerate(tensors):
        t = t.detach()
        if t.dim() == 4:
            t = t.permute(2, 3, 1, 0)
        elif t.dim() == 2 and model.kind == "cnn" and i == len(tensors) - 2:
            t = t.reshape(64, 7, 7, 10).permute(1, 2, 0, 3).reshape(-1, 10)
        out.append(t.flatten().tolist())
    return out


def main():
    path = sys.argv[1]
    case = json.load(open(path))
    torch.set_num_threads(1)
    kind = case["kind"]
    n = len(case["x"]) // 784
    x = torch.tensor(case["x"], dtype=torch.float32).reshape((n, 784) if kind == "mlp" else (n, 1, 28, 28))
    labels = torch.arange(n) % 10
    onehot = torch.nn.functional.one_hot(labels, 10).float()
    model = load(case)
    logits, trace = model.forward(x)
    result = {"logits": logits.flatten().tolist()}
    result["rr"] = methods.racecar(model, trace).item()
    result["dr"] = methods.dr_cosine(trace, onehot).item()
    per = 0.0
    for h, directions in zip(trace["hidden"], case["perDirections"]):
        if h.dim() == 4:
            h = h.permute(0, 2, 3, 1)  # reglab flattens NHWC
        h = h.flatten(1)
        theta = torch.tensor(directions, dtype=torch.float32).reshape(h.shape[1], -1)
        p = h @ theta
        per += (p * torch.erf(p * math.sqrt(0.5)) + methods.SQRT_2_OVER_PI * torch.exp(-0.5 * p * p)).mean().item()
    result["per"] = per
    srip = 0.0
    for kernel, u in zip(model.kernels(), case["sripU"]):
        w = methods.kernel_matrix(kernel)
        u = torch.tensor(u, dtype=torch.float32).reshape(-1, 1)
        a = w.t() @ (w @ u) - u
        aa = w.t() @ (w @ a) - a
        srip += ((aa**2).sum() / torch.clamp((a**2).sum(), min=1e-12)).item()
    result["srip"] = srip
    if kind == "mlp":
        for name in ("orthogonal", "circle"):
            model = load(case)
            opt = methods.Langevin(model, name, 0.01, 0.9, radius=0.1)
            for _ in range(2):
                opt.zero_grad()
                logits, _ = model.forward(x)
                methods.task_loss(logits, labels).backward()
                opt.step()
            result[f"{name}Weights"] = reglab_order(model, model.params())
    json.dump(result, open(path + ".torch.json", "w"))


if __name__ == "__main__":
    main()
