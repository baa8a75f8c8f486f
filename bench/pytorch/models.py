"""The reglab zoo models in PyTorch, with the same shapes and initialisation.

- ``mlp``: 784-256-256-10, ReLU (src/models/zoo.ts ``mlp:256,256``).
- ``cnn``: conv 3x3 32 'same' + ReLU, max-pool 2, conv 3x3 64 'same' + ReLU, max-pool 2,
  flatten, dense 10 (zoo ``cnn``), on 28x28x1 images.

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
    """A model as reglab's forward trace sees it: every layer's input, pre-activation and output."""

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


def input_shape(kind, batch):
    return (batch, 784) if kind == "mlp" else (batch, 1, 28, 28)
