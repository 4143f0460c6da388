"""The plain-PyTorch twin of a member: torch.nn modules and torch.optim, one model at a time.

This is the oracle of the equivalence tests and the peer of the benchmark. The lecture's
optimizer conventions map onto torch.optim as follows (docs/nn.md derives them):

* sgd:      ``SGD(lr)``
* momentum: ``SGD(lr * (1 - beta), momentum=beta)`` (torch's buffer ``b = beta b + g`` is the
  lecture's ``v = beta v + (1 - beta) g`` divided by ``1 - beta``, both starting at 0)
* rmsprop:  ``RMSprop(lr, alpha=beta2, eps=eps)`` (eps outside the square root in both)
* adam:     ``Adam(lr, betas=(beta1, beta2), eps=eps)``
* weight decay: the ``weight_decay`` of a parameter group holding only the weight matrices.
* learning-rate decay: the group's ``lr`` set at the start of every epoch.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import torch

from .config import MemberConfig, parse_config
from .data import Dataset
from .group import batch_bounds
from .layout import initial_state_dict, order_rng


def reference_module(
    cfg: MemberConfig, n_features: int, n_classes: int, dtype: torch.dtype = torch.float64
) -> torch.nn.Sequential:
    """The member as plain ``torch.nn`` (Linear, BatchNorm1d, activation), initialised like it."""
    acts = {"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh, "sigmoid": torch.nn.Sigmoid}
    layers: list[torch.nn.Module] = []
    prev = n_features
    for h in cfg.widths:
        layers.append(torch.nn.Linear(prev, h, bias=not cfg.batch_norm, dtype=dtype))
        if cfg.batch_norm:
            layers.append(
                torch.nn.BatchNorm1d(h, eps=cfg.bn_eps, momentum=1.0 - cfg.bn_beta, dtype=dtype)
            )
        layers.append(acts[cfg.activation]())
        prev = h
    layers.append(torch.nn.Linear(prev, n_classes, dtype=dtype))
    module = torch.nn.Sequential(*layers)
    module.load_state_dict(initial_state_dict(cfg, n_features, n_classes, dtype))
    return module


def torch_optimizer(cfg: MemberConfig, model: torch.nn.Module) -> torch.optim.Optimizer:
    """The member's optimizer in torch.optim terms (see the module doc for the mapping)."""
    named = list(model.named_parameters())
    weights = [p for n, p in named if n.endswith("weight") and p.dim() == 2]
    others = [p for n, p in named if not (n.endswith("weight") and p.dim() == 2)]
    groups = [
        {"params": weights, "weight_decay": cfg.weight_decay},
        {"params": others, "weight_decay": 0.0},
    ]
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(groups, lr=cfg.lr)
    if cfg.optimizer == "momentum":
        return torch.optim.SGD(groups, lr=cfg.lr * (1 - cfg.momentum), momentum=cfg.momentum)
    if cfg.optimizer == "rmsprop":
        return torch.optim.RMSprop(groups, lr=cfg.lr, alpha=cfg.beta2, eps=cfg.eps)
    return torch.optim.Adam(groups, lr=cfg.lr, betas=(cfg.beta1, cfg.beta2), eps=cfg.eps)


def torch_lr(cfg: MemberConfig, epoch: int) -> float:
    """The torch.optim learning rate of ``epoch`` (momentum folds ``1 - beta`` into it)."""
    scale = (1 - cfg.momentum) if cfg.optimizer == "momentum" else 1.0
    return cfg.lr_at(epoch) * scale


def train_reference(
    raw: Mapping[str, Any],
    data: Dataset,
    *,
    dtype: torch.dtype = torch.float64,
    epochs: int | None = None,
) -> tuple[torch.nn.Sequential, list[tuple[float, float, float]]]:
    """Train one config alone with torch.nn and torch.optim: the same init and batch order as
    caviar's engine. Returns the model and per-epoch (train_loss, val_loss, val_accuracy)."""
    cfg = parse_config(raw)
    model = reference_module(cfg, data.n_features, data.n_classes, dtype=dtype)
    opt = torch_optimizer(cfg, model)
    x = torch.as_tensor(data.X_train, dtype=dtype)
    y = torch.as_tensor(data.y_train, dtype=torch.long)
    xv = torch.as_tensor(data.X_val, dtype=dtype)
    yv = torch.as_tensor(data.y_val, dtype=torch.long)
    rng: np.random.Generator = order_rng(cfg.seed)
    batch = min(cfg.batch_size, len(x))
    history = []
    for epoch in range(epochs or cfg.epochs):
        for group in opt.param_groups:
            group["lr"] = torch_lr(cfg, epoch)
        model.train()
        perm = torch.from_numpy(rng.permutation(len(x)))
        total = torch.zeros((), dtype=dtype)
        seen = 0
        for a, b in batch_bounds(len(x), batch, cfg.batch_norm):
            idx = perm[a:b]
            loss = torch.nn.functional.cross_entropy(model(x[idx]), y[idx])
            opt.zero_grad()
            loss.backward()  # type: ignore[no-untyped-call]
            opt.step()
            total += loss.detach() * (b - a)
            seen = b
        model.eval()
        with torch.no_grad():
            out = model(xv)
            v_loss = torch.nn.functional.cross_entropy(out, yv).item() if len(yv) else float("nan")
            v_acc = (out.argmax(1) == yv).double().mean().item() if len(yv) else float("nan")
        history.append((total.item() / seen, v_loss, v_acc))
    return model, history
