"""The reglab zoo models in PyTorch, with the same shapes and initialisation.

- ``mlp``: 784-256-256-10, ReLU (src/models/zoo.ts ``mlp:256,256``).
- ``cnn``: conv 3x3 32 'same' + ReLU, max-pool 2, conv 3x3 64 'same' + ReLU, max-pool 2,
  flatten, dense 10 (zoo ``cnn``), on 28x28x1 images.
- ``resnet``: zoo ``resnet:20`` on 32x32x3 images (class ``ResNet``, written from the "PyTorch
  twin" table of docs/models.md: no conv bias, He-normal truncated kernels, BN with batch
  statistics, TF 'same' padding for the stride-2 convs, option-A shortcuts, global average pool,
  dense 10).

Kernels are Glorot-uniform, limit sqrt(6 / (fan_in + fan_out)) with Keras's fans (for a conv:
receptive field x channels), biases zero, as tfjs-layers' ``glorotUniform`` / ``zeros``. Dense
weights are stored [in, out] like TF.js (x @ W + b), so the method code reads like reglab's.
Convolutions run through ``torch.nn.functional`` in PyTorch's native NCHW layout: the same
arithmetic as the NHWC TF.js model, in the layout a PyTorch user would train (so the dense
layer after the flatten sees the features in (c, h, w) rather than (h, w, c) order: the same
work, not the same function of the same weights).
"""
import math

import torch
import torch.nn.functional as F


def glorot(shape, fan_in, fan_out, generator):
    limit = math.sqrt(6.0 / (fan_in + fan_out))
    return (torch.rand(shape, generator=generator) * 2 - 1) * limit


class Dense:
    """x @ W + b with W [in, out]."""

    def __init__(self, n_in, n_out, generator):
        self.kernel = glorot((n_in, n_out), n_in, n_out, generator).requires_grad_()
        self.bias = torch.zeros(n_out, requires_grad=True)

    def params(self):
        return [self.kernel, self.bias]

    def __call__(self, x):
        return torch.addmm(self.bias, x, self.kernel)


class Conv:
    """3x3 'same' convolution, weight [out, in, kh, kw] (PyTorch's layout)."""

    def __init__(self, c_in, c_out, k, generator):
        field = k * k
        self.kernel = glorot((c_out, c_in, k, k), field * c_in, field * c_out, generator).requires_grad_()
        self.bias = torch.zeros(c_out, requires_grad=True)
        self.padding = k // 2

    def params(self):
        return [self.kernel, self.bias]

    def __call__(self, x):
        return F.conv2d(x, self.kernel, self.bias, padding=self.padding)


class Model:
    """The mlp or the cnn as reglab's forward trace sees it: every layer's input, pre-activation and output."""

    def __init__(self, kind, generator):
        self.kind = kind
        if kind == "mlp":
            self.layers = [Dense(784, 256, generator), Dense(256, 256, generator), Dense(256, 10, generator)]
        elif kind == "cnn":
            self.layers = [Conv(1, 32, 3, generator), Conv(32, 64, 3, generator), Dense(7 * 7 * 64, 10, generator)]
        else:
            raise ValueError(f"unknown model {kind}")

    def params(self):
        return [p for layer in self.layers for p in layer.params()]

    def kernels(self):
        return [layer.kernel for layer in self.layers]

    def to(self, device):
        for layer in self.layers:
            layer.kernel = layer.kernel.detach().to(device).requires_grad_()
            layer.bias = layer.bias.detach().to(device).requires_grad_()

    def forward(self, x):
        """Returns (logits, trace) where trace holds what reglab's terms read."""
        trace = {"input": x, "hidden": [], "pools": []}
        h = x
        if self.kind == "mlp":
            for layer in self.layers[:-1]:
                h = F.relu(layer(h))
                trace["hidden"].append(h)
        else:
            for layer in self.layers[:-1]:
                a = F.relu(layer(h))
                trace["hidden"].append(a)
                h = F.max_pool2d(a, 2)
                trace["pools"].append(h)
            h = h.flatten(1)
        logits = self.layers[-1](h)
        trace["logits"] = logits
        return logits, trace


def he_normal(shape, fan_in, generator):
    """TF.js ``heNormal``: normal(0, σ = √(2 / fan_in)), values beyond 2σ redrawn."""
    z = torch.randn(shape, generator=generator)
    while True:
        outside = z.abs() > 2
        count = int(outside.sum())
        if count == 0:
            return z * math.sqrt(2.0 / fan_in)
        z[outside] = torch.randn(count, generator=generator)


def same_padding(size, kernel, stride):
    """TF's 'same' padding along one axis, (before, after): for an even size and stride 2,
    (0, 1); PyTorch's symmetric ``padding=1`` would be (1, 1)."""
    total = max((-(-size // stride) - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


class ResNet:
    """Zoo ``resnet:DEPTH`` (src/models/resnet.ts), NCHW. Parameters are kept by reglab's weight
    names (``stage2_block1_conv1/kernel``, ``…_bn1/gamma``, ``dense/kernel``) so twins.py can load
    reglab's weights by name; conv kernels are OIHW, the dense kernel [in, out].

    unit: relu(bn₂(conv₂(relu(bn₁(conv₁(x))))) + shortcut(x)); shortcut = x, or where the shape
    changes (first unit of stages 2 and 3) option A: F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, 0, C)).
    BN in training mode (batch statistics, running statistics updated with PyTorch's momentum 0.1
    = TF.js's 0.9), ε 1e-5."""

    def __init__(self, depth, generator, in_channels=3, channels=(16, 32, 64), classes=10):
        self.kind = "resnet"
        self.weights = {}
        self.running = {}
        self.units = []  # (prefix, in channels, out channels, stride)
        self._conv("stem_conv", in_channels, channels[0], generator)
        self._bn("stem_bn", channels[0])
        c_in = channels[0]
        for s, c in enumerate(channels):
            for b in range((depth - 2) // 6):
                prefix = f"stage{s + 1}_block{b + 1}_"
                stride = 2 if s > 0 and b == 0 else 1
                self._conv(prefix + "conv1", c_in, c, generator)
                self._bn(prefix + "bn1", c)
                self._conv(prefix + "conv2", c, c, generator)
                self._bn(prefix + "bn2", c)
                self.units.append((prefix, c_in, c, stride))
                c_in = c
        self.weights["dense/kernel"] = glorot((c_in, classes), c_in, classes, generator).requires_grad_()
        self.weights["dense/bias"] = torch.zeros(classes, requires_grad=True)

    def _conv(self, name, c_in, c_out, generator):
        self.weights[name + "/kernel"] = he_normal((c_out, c_in, 3, 3), 9 * c_in, generator).requires_grad_()

    def _bn(self, name, c):
        self.weights[name + "/gamma"] = torch.ones(c, requires_grad=True)
        self.weights[name + "/beta"] = torch.zeros(c, requires_grad=True)
        self.running[name] = (torch.zeros(c), torch.ones(c))

    def params(self):
        return list(self.weights.values())

    def kernels(self):
        """Every conv kernel and the dense kernel, in reglab's (topological) order."""
        return [w for name, w in self.weights.items() if name.endswith("/kernel")]

    def to(self, device):
        self.weights = {k: w.detach().to(device).requires_grad_() for k, w in self.weights.items()}
        self.running = {k: (m.to(device), v.to(device)) for k, (m, v) in self.running.items()}

    def conv(self, name, x, stride):
        if stride == 1:
            return F.conv2d(x, self.weights[name + "/kernel"], padding=1)
        top, bottom = same_padding(x.shape[2], 3, stride)
        left, right = same_padding(x.shape[3], 3, stride)
        return F.conv2d(F.pad(x, (left, right, top, bottom)), self.weights[name + "/kernel"], stride=stride)

    def bn(self, name, x, running=True):
        """Training-mode batch norm; ``running=False`` (the racecar reverse pass) leaves the running
        statistics alone, as reglab's shared BN does."""
        mean, var = self.running[name] if running else (None, None)
        w = self.weights
        return F.batch_norm(x, mean, var, w[name + "/gamma"], w[name + "/beta"], training=True, momentum=0.1, eps=1e-5)

    @staticmethod
    def shortcut(x, c_out):
        return F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, 0, c_out - x.shape[1]))

    def forward(self, x):
        """Returns (logits, trace): trace["units"] has each unit's input, relu1, bn2 and output
        (the racecar states), trace["hidden"] the unit outputs (PER's and DR's default sites)."""
        trace = {"input": x, "units": [], "hidden": []}
        h = F.relu(self.bn("stem_bn", self.conv("stem_conv", x, 1)))
        trace["stem"] = h
        for prefix, c_in, c_out, stride in self.units:
            relu1 = F.relu(self.bn(prefix + "bn1", self.conv(prefix + "conv1", h, stride)))
            bn2 = self.bn(prefix + "bn2", self.conv(prefix + "conv2", relu1, 1))
            skip = h if stride == 1 and c_in == c_out else self.shortcut(h, c_out)
            out = F.relu(bn2 + skip)
            trace["units"].append({"input": h, "relu1": relu1, "bn2": bn2, "out": out})
            trace["hidden"].append(out)
            h = out
        logits = torch.addmm(self.weights["dense/bias"], h.mean((2, 3)), self.weights["dense/kernel"])
        trace["logits"] = logits
        return logits, trace


def build(kind, generator):
    """The twin of a bench model: ``mlp``, ``cnn`` or ``resnet`` (ResNet-20)."""
    return ResNet(20, generator) if kind == "resnet" else Model(kind, generator)


def input_shape(kind, batch):
    return {"mlp": (batch, 784), "cnn": (batch, 1, 28, 28), "resnet": (batch, 3, 32, 32)}[kind]
