"""``Member``: one network of a population with its training hyperparameters.

Every check runs when the Member is made, before any training: a bad value raises
``caviar.errors.UsageError`` naming the thing, the rule, the value and the fix.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from caviar.errors import UsageError
from caviar.torch.schedule import Schedule, as_schedule

#: optimizer names. "sgd": torch's momentum form ``v = momentum * v + g``;
#: "sgd_ewma": the lecture's form ``v = beta * v + (1 - beta) * g``; "adam"; "adamw"
#: (decoupled weight decay ``p -= lr * wd * p``; the others add ``wd * p`` to the gradient).
OPTIMIZERS = ("sgd", "sgd_ewma", "adam", "adamw")


def _num(name: str, v: Any, *, low: float, high: float = math.inf, low_open: bool = False,
         high_open: bool = False, fix: str) -> float:
    if isinstance(v, bool) or (not isinstance(v, int | float) and not hasattr(v, "__float__")):
        raise UsageError(f"Member: {name} must be a number, got {name}={v!r}; {fix}")
    f = float(v)
    ok = math.isfinite(f) and (f > low if low_open else f >= low) and (
        f < high if high_open else f <= high)
    if not ok:
        lo = "(" if low_open else "["
        hi = ")" if high_open else "]"
        raise UsageError(f"Member: {name} must be a finite number in {lo}{low}, {high}{hi}, "
                         f"got {name}={v!r}; {fix}")
    return f


@dataclass
class Member:
    """A ``torch.nn.Module`` and how to train it.

    ``optimizer``: one of ``OPTIMIZERS``. ``momentum`` is for "sgd", ``beta`` for "sgd_ewma",
    ``betas`` and ``eps`` for "adam"/"adamw". ``schedule``: None or a ``Schedule``
    (``step_lr``, ``exponential_lr``, ``cosine_lr``, ``warmup_lr``), stepped once per epoch.
    ``clip_grad_norm``: clip the member's whole gradient to this norm before each step.
    ``seed``: when given, the parameters are re-initialised under ``torch.manual_seed(seed)``
    by calling ``reset_parameters()`` of every submodule in ``model.modules()`` order.
    ``order_seed``: with ``batch_order="per_member"``, this member's epoch ``e`` sees the data
    in the order ``batch_order(n, e, order_seed)`` (default: its index in the population).
    """

    model: Any
    optimizer: str = "adam"
    lr: float = 1e-3
    betas: tuple[float, float] = (0.9, 0.999)
    eps: float = 1e-8
    weight_decay: float = 0.0
    momentum: float = 0.0
    beta: float = 0.9
    batch_size: int = 64
    schedule: Schedule | None = None
    clip_grad_norm: float | None = None
    seed: int | None = None
    order_seed: int | None = None

    def __post_init__(self) -> None:
        import torch

        if not isinstance(self.model, torch.nn.Module):
            raise UsageError(f"Member: model must be a torch.nn.Module, got "
                             f"{type(self.model).__name__}; pass the network itself, e.g. "
                             "Member(nn.Sequential(...), lr=1e-3)")
        name = type(self.model).__name__
        if not any(True for _ in self.model.parameters()):
            raise UsageError(f"Member: model {name} has no parameters; a population trains "
                             "parameters, so give a module with at least one nn.Parameter")
        if self.optimizer not in OPTIMIZERS:
            raise UsageError(f"Member: optimizer must be one of {', '.join(OPTIMIZERS)}, got "
                             f"optimizer={self.optimizer!r}; 'sgd' is torch's momentum form, "
                             "'sgd_ewma' the lecture's (1 - beta) form")
        self.lr = _num("lr", self.lr, low=0.0, low_open=True,
                       fix="use a small positive learning rate such as 1e-3")
        self.eps = _num("eps", self.eps, low=0.0, low_open=True, fix="use e.g. 1e-8")
        self.weight_decay = _num("weight_decay", self.weight_decay, low=0.0,
                                 fix="use 0 (none) or a small positive value such as 1e-4")
        self.momentum = _num("momentum", self.momentum, low=0.0, high=1.0, high_open=True,
                             fix="use e.g. 0.9")
        self.beta = _num("beta", self.beta, low=0.0, high=1.0, high_open=True,
                         fix="use e.g. 0.9")
        if not isinstance(self.betas, tuple | list) or len(self.betas) != 2:
            raise UsageError(f"Member: betas must be a pair (beta1, beta2), got "
                             f"betas={self.betas!r}; use e.g. betas=(0.9, 0.999)")
        self.betas = (_num("betas[0]", self.betas[0], low=0.0, high=1.0, high_open=True,
                           fix="use e.g. 0.9"),
                      _num("betas[1]", self.betas[1], low=0.0, high=1.0, high_open=True,
                           fix="use e.g. 0.999"))
        bs = self.batch_size
        if isinstance(bs, bool) or not isinstance(bs, int) or bs < 1:
            try:
                import numpy as np

                ok = isinstance(bs, np.integer) and int(bs) >= 1
            except ImportError:  # pragma: no cover
                ok = False
            if not ok:
                raise UsageError(f"Member: batch_size must be an integer >= 1, got "
                                 f"batch_size={bs!r}; use e.g. 64")
        self.batch_size = int(bs)
        if self.clip_grad_norm is not None:
            self.clip_grad_norm = _num("clip_grad_norm", self.clip_grad_norm, low=0.0,
                                       low_open=True, fix="use None (no clipping) or e.g. 1.0")
        if self.seed is not None and (isinstance(self.seed, bool)
                                      or not isinstance(self.seed, int)):
            raise UsageError(f"Member: seed must be an int or None, got seed={self.seed!r}")
        if self.order_seed is not None and (isinstance(self.order_seed, bool)
                                            or not isinstance(self.order_seed, int)):
            raise UsageError(f"Member: order_seed must be an int or None, got "
                             f"order_seed={self.order_seed!r}; e.g. order_seed=7")
        self.schedule = as_schedule(self.schedule)
