"""Losses and metrics by name, each a function of one member's (output, target).

- loss "cross_entropy": output ``[B, C]`` logits, target ``[B]`` class indices (mean over B);
  "mse": output and target of the same shape (mean squared error).
- metric "accuracy" (maximize): share of argmax(output) == target; "loss" (minimize): the loss.
A callable loss or metric gets one member's ``(output, target)`` and returns a scalar tensor;
it runs under ``torch.func.vmap``, so it must be written with tensor operations only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F

from caviar.errors import UsageError

LOSSES = ("cross_entropy", "mse")
METRICS = ("accuracy", "loss")
#: the direction of each named metric
DIRECTIONS = {"accuracy": "maximize", "loss": "minimize"}

Fn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def _accuracy(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return (out.argmax(-1) == y).to(out.dtype).mean()


def resolve_loss(loss: Any) -> Fn:
    if callable(loss):
        return loss  # type: ignore[no-any-return]
    if loss == "cross_entropy":
        return F.cross_entropy
    if loss == "mse":
        return F.mse_loss
    raise UsageError(f"loss: must be one of {', '.join(LOSSES)} or a function (output, "
                     f"target) -> scalar tensor, got loss={loss!r}")


def resolve_metric(metric: Any, loss_fn: Fn) -> Fn:
    if callable(metric):
        return metric  # type: ignore[no-any-return]
    if metric == "accuracy":
        return _accuracy
    if metric == "loss":
        return loss_fn
    raise UsageError(f"metric: must be one of {', '.join(METRICS)} or a function (output, "
                     f"target) -> scalar tensor, got metric={metric!r}")


def target_dtype(loss: Any, dtype: torch.dtype, y: torch.Tensor) -> torch.dtype:
    """Class indices stay int64 for cross-entropy; regression targets take the float dtype."""
    if loss == "cross_entropy":
        return torch.int64
    return dtype if y.is_floating_point() or loss == "mse" else y.dtype


def check_fit(loss: Any, out: Any, y: torch.Tensor, y_all: torch.Tensor,
              model_name: str) -> None:
    """The model's output must fit the loss: a clear error before training, not a crash."""
    if not isinstance(out, torch.Tensor):
        raise UsageError(f"model {model_name}: forward must return one tensor, got "
                         f"{type(out).__name__}; return the logits (or predictions) only")
    if loss == "cross_entropy":
        if out.ndim != 2 or out.shape[0] != y.shape[0]:
            raise UsageError(f"model {model_name}: loss='cross_entropy' needs outputs of shape "
                             f"[batch, classes], got {tuple(out.shape)} for a batch of "
                             f"{y.shape[0]}; end the network with nn.Linear(..., n_classes)")
        if y.ndim != 1 or y.is_floating_point():
            raise UsageError(f"model {model_name}: loss='cross_entropy' needs integer class "
                             f"targets of shape [batch], got {tuple(y.shape)} {y.dtype}")
        n_cls = int(y_all.max()) + 1
        if out.shape[1] < n_cls or int(y_all.min()) < 0:
            raise UsageError(f"model {model_name}: outputs {out.shape[1]} classes but the "
                             f"targets hold labels 0..{n_cls - 1}; make the last layer output "
                             f"{n_cls} classes")
    elif loss == "mse" and tuple(out.shape) != tuple(y.shape):
        raise UsageError(f"model {model_name}: loss='mse' needs outputs shaped like the "
                         f"targets {tuple(y.shape)}, got {tuple(out.shape)}")
