"""reglab's methods written in PyTorch from reglab's own formulas, for side-by-side step times.

Each function mirrors one reglab source file (cited); the hyperparameters are set by the caller
(bench/compare.ts sends the same ones to both sides). Autograd does the backward pass, as a
PyTorch user would write it.
"""
import math

import torch
import torch.nn.functional as F

from models import same_padding

SQRT_2_OVER_PI = math.sqrt(2 / math.pi)


def task_loss(logits, labels):
    """Softmax cross-entropy on the logits, mean over the batch (src/train/losses.ts)."""
    return F.cross_entropy(logits, labels)


def accuracy(logits, labels):
    return (logits.argmax(1) == labels).float().mean()


# --- racecar (src/methods/racecar/reverse-pass.ts, racecar-term.ts): chained reverse pass from
# the logits (reglab's default `start: 'pre-softmax'`, as the official scripts),
# d'_m = f(W_mᵀ(d'_{m+1} − b_m)), penalty ½ Σ_m ‖d'_m − d_m‖² (reduction sum).

def _unpool_argmax(y, forward_in):
    """Routes y back to each 2x2 window's maximum (every tied cell), zeros elsewhere (reverse-ops.ts)."""
    window_max = F.interpolate(F.max_pool2d(forward_in, 2), scale_factor=2, mode="nearest")
    mask = (forward_in == window_max).float().detach()
    return F.interpolate(y, scale_factor=2, mode="nearest") * mask


def racecar(model, trace):
    if model.kind == "resnet":
        return racecar_resnet(model, trace)
    start = trace["logits"]
    layers = model.layers
    states = []
    if model.kind == "mlp":
        r = start
        for m in range(len(layers) - 1, 0, -1):
            r = F.relu((r - layers[m].bias) @ layers[m].kernel.t())
            states.append((r, trace["hidden"][m - 1]))
        r = (r - layers[0].bias) @ layers[0].kernel.t()
        states.append((r, trace["input"]))
    else:
        dense = layers[-1]
        r = ((start - dense.bias) @ dense.kernel.t()).reshape(trace["pools"][-1].shape)
        for m in range(len(layers) - 2, -1, -1):
            # un-pool, then conv m's own activation applied forwards: the state at its output
            r = F.relu(_unpool_argmax(r, trace["hidden"][m]))
            states.append((r, trace["hidden"][m]))
            conv = layers[m]
            r = F.conv_transpose2d(r - conv.bias.view(1, -1, 1, 1), conv.kernel, padding=conv.padding)
        states.append((r, trace["input"]))
    return sum(0.5 * ((rev - fwd) ** 2).sum() for rev, fwd in states)


# The ResNet reverse pass (reverse-pass.ts walking the graph with reverse-plan.ts; docs/racecar.md
# "Graphs and residual networks"): per unit, from the reverse value r at its output,
#   s_out = relu(r), s_bn2 = BN₂(s_out), s_r1 = relu(BN₁(conv₂ᵀ s_bn2)), x' = conv₁ᵀ s_r1 + Sᵀ s_out
# (S the identity or the option-A shortcut), BN applied forwards with the reverse tensor's own
# batch statistics; then the stem relu(BN(·)) and d'_1 = stem_convᵀ(·). The chain starts at the
# logits: r = GAPᵀ(denseᵀ(logits − b)). Every state is matched (`states: 'blocks'`, the default).

def _conv_adjoint(model, name, y, x_shape, stride):
    """The adjoint of ResNet.conv (conv_transpose2d, then the TF 'same' padding cropped away)."""
    w = model.weights[name + "/kernel"]
    if stride == 1:
        return F.conv_transpose2d(y, w, padding=1)
    full = F.conv_transpose2d(y, w, stride=stride)
    top, _ = same_padding(x_shape[2], 3, stride)
    left, _ = same_padding(x_shape[3], 3, stride)
    return full[:, :, top : top + x_shape[2], left : left + x_shape[3]]


def _shortcut_adjoint(y, x_shape):
    """Option A's adjoint: the kept channels back on the sampled pixels, zeros between."""
    out = torch.zeros(x_shape, dtype=y.dtype, device=y.device)
    out[:, :, ::2, ::2] = y[:, : x_shape[1]]
    return out


def racecar_resnet(model, trace):
    w = model.weights
    states = []
    last = trace["units"][-1]["out"]
    pooled = (trace["logits"] - w["dense/bias"]) @ w["dense/kernel"].t()
    r = (pooled / (last.shape[2] * last.shape[3]))[:, :, None, None].expand(last.shape)
    for (prefix, c_in, c_out, stride), unit in zip(reversed(model.units), reversed(trace["units"])):
        s_out = F.relu(r)
        s_bn2 = model.bn(prefix + "bn2", s_out, running=False)
        s_r1 = F.relu(model.bn(prefix + "bn1", _conv_adjoint(model, prefix + "conv2", s_bn2, s_bn2.shape, 1), running=False))
        states += [(s_out, unit["out"]), (s_bn2, unit["bn2"]), (s_r1, unit["relu1"])]
        x_shape = unit["input"].shape
        skip = s_out if stride == 1 and c_in == c_out else _shortcut_adjoint(s_out, x_shape)
        r = _conv_adjoint(model, prefix + "conv1", s_r1, x_shape, stride) + skip
    s_stem = F.relu(model.bn("stem_bn", r, running=False))
    states.append((s_stem, trace["stem"]))
    states.append((_conv_adjoint(model, "stem_conv", s_stem, s_stem.shape, 1), trace["input"]))
    return sum(0.5 * ((rev - fwd) ** 2).sum() for rev, fwd in states)


# --- SRIP (src/methods/racecar/orthogonality.ts): per kernel matrix W [rows, out], A x = Wᵀ(Wx) − x,
# a = A u (u ~ N(0, I) fresh each step), σ² = ‖A a‖² / max(‖a‖², 1e-12); penalty Σ σ².

def kernel_matrix(kernel):
    """[rows, out] like reglab: dense [in, out] as is, conv [out, in, kh, kw] → [kh·kw·in, out]."""
    if kernel.dim() == 2:
        return kernel
    return kernel.permute(2, 3, 1, 0).reshape(-1, kernel.shape[0])


def srip(model, generator):
    total = 0
    for kernel in model.kernels():
        w = kernel_matrix(kernel)
        u = torch.randn(w.shape[1], 1, generator=generator).to(w.device)
        apply = lambda x: w.t() @ (w @ x) - x  # noqa: E731
        a = apply(u)
        aa = apply(a)
        total = total + (aa**2).sum() / torch.clamp((a**2).sum(), min=1e-12)
    return total


# --- PER (src/methods/per/projected-error.ts, per-term.ts): per hidden output h [b, d] (flattened),
# θ_k = v_k/‖v_k‖, v_k ~ N(0, I_d), s = `slices`; L = mean f(hθ), f(x) = x·erf(x/√2) + √(2/π)e^{−x²/2}.

def per(trace, generator, slices):
    total = 0
    for h in trace["hidden"]:
        h = h.flatten(1)
        v = torch.randn(h.shape[1], slices, generator=generator).to(h.device)
        theta = v / v.norm(dim=0, keepdim=True)
        x = h @ theta
        total = total + (x * torch.erf(x * math.sqrt(0.5)) + SQRT_2_OVER_PI * torch.exp(-0.5 * x * x)).mean()
    return total


# --- DR, cosine (src/methods/diversify/diversify.ts, similarity.ts, pairs.ts): per hidden output,
# S = UUᵀ with rows u_i = h_i/√(‖h_i‖² + 1e-8), M = triu(1 − yyᵀ), DR = Σ M∘S / max(ΣM, 1).

def dr_cosine(trace, onehot):
    mask = torch.triu(1 - onehot @ onehot.t())
    total = 0
    for h in trace["hidden"]:
        h = h.flatten(1)
        unit = h / torch.sqrt((h * h).sum(1, keepdim=True) + 1e-8)
        total = total + (unit @ unit.t() * mask).sum() / torch.clamp(mask.sum(), min=1)
    return total


# --- Constrained underdamped Langevin at τ = 0 (src/methods/langevin/underdamped.ts with {lr, momentum}:
# h = √(2lr/(1 + μ)), c = μ). Kernels constrained, biases free (none.ts: the momentum step).

def _tall(x):
    return x if x.shape[0] >= x.shape[1] else x.t()


class Langevin:
    """circle.ts (exact rotation of (w, ξ), renormalised every 8th step) or orthogonal.ts
    (SHAKE on Y ← Y − ½X(YᵀY − I) to tol or max_iter, RATTLE velocity), the kick unprojected."""

    def __init__(self, model, kind, lr, momentum, radius=0.1, tol=1e-6, max_iter=20):
        self.h = math.sqrt(2 * lr / (1 + momentum))
        self.c = momentum
        self.kind, self.r, self.tol, self.max_iter = kind, radius, tol, max_iter
        self.kernels = {id(k) for k in model.kernels()}
        self.params = model.params()
        self.step_count = 0
        self.state = {}
        with torch.no_grad():
            for p in self.params:
                s = {"vel": torch.zeros_like(p)}
                if id(p) in self.kernels and kind == "circle":
                    limit = self.r * (1 - 1e-3)
                    m = p.abs().max()
                    if m > limit:
                        p.mul_(limit / m)
                    s["xi"] = torch.sqrt(torch.relu(self.r**2 - p * p))
                elif id(p) in self.kernels and kind == "orthogonal":
                    p.copy_(self._polar(p))
                self.state[id(p)] = s

    def _polar(self, theta):
        x = _tall(theta)
        x = x / x.norm()
        eye = torch.eye(x.shape[1], device=x.device)
        for _ in range(100):
            if (x.t() @ x - eye).abs().max() < 1e-6:
                break
            x = 1.5 * x - 0.5 * x @ (x.t() @ x)
        return x if theta.shape[0] >= theta.shape[1] else x.t()

    def _shake(self, old, tilde):
        x, y = _tall(old), _tall(tilde)
        eye = torch.eye(x.shape[1], device=x.device)
        for _ in range(self.max_iter):
            lam = y.t() @ y - eye
            if lam.abs().max().item() < self.tol:
                break
            y = y - x @ (0.5 * lam)
        return y if old.shape[0] >= old.shape[1] else y.t()

    def _tangent(self, theta, v):
        x, vv = _tall(theta), _tall(v)
        s = x.t() @ vv
        out = vv - x @ (0.5 * (s + s.t()))
        return out if theta.shape[0] >= theta.shape[1] else out.t()

    @torch.no_grad()
    def step(self):
        h, c = self.h, self.c
        for p in self.params:
            s, g = self.state[id(p)], p.grad
            if id(p) not in self.kernels:
                v = s["vel"] - h * g
                v_new = c * v
                p.add_((h / 2) * (v + v_new))
                s["vel"] = v_new
            elif self.kind == "circle":
                xi, r2 = s["xi"], self.r**2
                omega = s["vel"] - g * xi * (h / r2)
                alpha = omega * ((h / 2) * (1 + c))
                cos, sin = torch.cos(alpha), torch.sin(alpha)
                w_new, xi_new = p * cos + xi * sin, xi * cos - p * sin
                if self.step_count % 8 == 0:
                    scale = self.r * torch.rsqrt(w_new * w_new + xi_new * xi_new)
                    w_new, xi_new = w_new * scale, xi_new * scale
                p.copy_(w_new)
                s["xi"], s["vel"] = xi_new, c * omega
            else:
                v = s["vel"] - h * g
                theta1 = self._shake(p, p + (h / 2) * v)
                theta2 = self._shake(theta1, theta1 + c * (theta1 - p))
                s["vel"] = self._tangent(theta2, (theta2 - theta1) / (h / 2))
                p.copy_(theta2)
        self.step_count += 1

    def zero_grad(self):
        for p in self.params:
            p.grad = None
