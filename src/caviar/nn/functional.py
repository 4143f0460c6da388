"""Softmax, cross-entropy and activations with their closed-form derivatives.

Every function works on the last axis and on any leading batch shape, so the same code serves
one model (``[B, C]``) and a population of models (``[P, B, C]``).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

ACTIVATIONS = ("relu", "tanh", "sigmoid")


def log_softmax(logits: Tensor) -> Tensor:
    """log softmax with the max shift: ``z - max(z) - log(sum(exp(z - max(z))))``."""
    shifted = logits - logits.amax(dim=-1, keepdim=True)
    return shifted - shifted.exp().sum(dim=-1, keepdim=True).log()


def softmax(logits: Tensor) -> Tensor:
    """Softmax with the max shift, so logits of +-1e4 neither overflow nor underflow to NaN."""
    shifted = (logits - logits.amax(dim=-1, keepdim=True)).exp()
    return shifted / shifted.sum(dim=-1, keepdim=True)


def cross_entropy(logits: Tensor, labels: Tensor) -> Tensor:
    """Mean cross-entropy ``-log softmax(z)[y]`` over the batch axis (the one before classes).

    ``logits`` is ``[..., B, C]`` and ``labels`` is ``[..., B]`` (int64); returns ``[...]``.
    """
    picked = log_softmax(logits).gather(-1, labels.unsqueeze(-1)).squeeze(-1)
    return -picked.mean(dim=-1)


def cross_entropy_grad(logits: Tensor, labels: Tensor) -> Tensor:
    """Gradient of :func:`cross_entropy` with respect to the logits: ``(y_hat - y) / B``."""
    grad = softmax(logits)
    grad.scatter_add_(-1, labels.unsqueeze(-1), torch.full_like(grad[..., :1], -1.0))
    return grad / logits.shape[-2]


def one_hot(labels: Tensor, n_classes: int, dtype: torch.dtype) -> Tensor:
    return torch.nn.functional.one_hot(labels, n_classes).to(dtype)


def activation(name: str) -> Callable[[Tensor], Tensor]:
    """The activation function called ``name`` (relu, tanh or sigmoid)."""
    return {"relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid}[name]


def activation_grad(
    name: str, out: Tensor, grad_out: Tensor, result: Tensor | None = None
) -> Tensor:
    """Backpropagate ``grad_out`` through an activation, given the activation's *output*.

    relu: ``g * (a > 0)``; tanh: ``g * (1 - a^2)``; sigmoid: ``g * a * (1 - a)``. Written into
    ``result`` when given.
    """
    if result is None:
        result = torch.empty_like(grad_out)
    aten = torch.ops.aten
    if name == "relu":
        aten.threshold_backward.grad_input(grad_out, out, 0, grad_input=result)
    elif name == "tanh":
        aten.tanh_backward.grad_input(grad_out, out, grad_input=result)
    elif name == "sigmoid":
        aten.sigmoid_backward.grad_input(grad_out, out, grad_input=result)
    else:
        raise KeyError(name)
    return result


def activation_(name: str, x: Tensor) -> Tensor:
    """The activation applied in place (``x`` is overwritten and returned)."""
    if name == "relu":
        return x.relu_()
    if name == "tanh":
        return x.tanh_()
    if name == "sigmoid":
        return x.sigmoid_()
    raise KeyError(name)
