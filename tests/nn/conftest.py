"""Shared oracles for the caviar.nn tests: a plain torch.nn / torch.optim trainer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

from caviar.nn import Dataset, load_dataset, parse_config, reference_module
from caviar.nn.config import MemberConfig
from caviar.nn.group import batch_bounds
from caviar.nn.layout import order_rng


def torch_optimizer(cfg: MemberConfig, model: torch.nn.Module) -> torch.optim.Optimizer:
    """The lecture's optimizer conventions, mapped onto torch.optim (docs/nn.md)."""
    weights = [p for n, p in model.named_parameters() if n.endswith("weight") and p.dim() == 2]
    others = [p for n, p in model.named_parameters() if not (n.endswith("weight") and p.dim() == 2)]
    groups = [{"params": weights, "weight_decay": cfg.weight_decay},
              {"params": others, "weight_decay": 0.0}]
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(groups, lr=cfg.lr)
    if cfg.optimizer == "momentum":  # lecture v = b v + (1-b) g  ==  torch buf = b buf + g, lr*(1-b)
        return torch.optim.SGD(groups, lr=cfg.lr * (1 - cfg.momentum), momentum=cfg.momentum)
    if cfg.optimizer == "rmsprop":
        return torch.optim.RMSprop(groups, lr=cfg.lr, alpha=cfg.beta2, eps=cfg.eps)
    return torch.optim.Adam(groups, lr=cfg.lr, betas=(cfg.beta1, cfg.beta2), eps=cfg.eps)


def lr_scale(cfg: MemberConfig) -> float:
    return (1 - cfg.momentum) if cfg.optimizer == "momentum" else 1.0


def reference_train(raw: dict[str, Any], data: Dataset, epochs: int | None = None
                    ) -> tuple[torch.nn.Module, list[tuple[float, float, float]]]:
    """Train one config alone with torch.nn modules and torch.optim, float64, same init and
    batch order as caviar; returns the model and per-epoch (train_loss, val_loss, val_acc)."""
    cfg = parse_config(raw)
    model = reference_module(cfg, data.n_features, data.n_classes, dtype=torch.float64)
    opt = torch_optimizer(cfg, model)
    x = torch.as_tensor(data.X_train, dtype=torch.float64)
    y = torch.as_tensor(data.y_train, dtype=torch.long)
    xv = torch.as_tensor(data.X_val, dtype=torch.float64)
    yv = torch.as_tensor(data.y_val, dtype=torch.long)
    rng = order_rng(cfg.seed)
    batch = min(cfg.batch_size, len(x))
    history = []
    for epoch in range(epochs or cfg.epochs):
        for group in opt.param_groups:
            group["lr"] = cfg.lr_at(epoch) * lr_scale(cfg)
        model.train()
        perm = torch.from_numpy(rng.permutation(len(x)))
        total, seen = 0.0, 0
        for a, b in batch_bounds(len(x), batch, cfg.batch_norm):
            idx = perm[a:b]
            loss = torch.nn.functional.cross_entropy(model(x[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * (b - a)
            seen = b
        model.eval()
        with torch.no_grad():
            out = model(xv)
            v_loss = torch.nn.functional.cross_entropy(out, yv).item()
            v_acc = (out.argmax(1) == yv).double().mean().item()
        history.append((total / seen, v_loss, v_acc))
    return model, history


@pytest.fixture(scope="session")
def digits() -> Dataset:
    return load_dataset("digits", seed=0, val_fraction=0.2)


@pytest.fixture(scope="session")
def small_digits(digits: Dataset) -> Dataset:
    """400 training examples: fast enough for many float64 reference runs."""
    return Dataset(digits.X_train[:400], digits.y_train[:400], digits.X_val[:200],
                   digits.y_val[:200], digits.n_classes, "digits-small")


@pytest.fixture()
def reference() -> Callable[..., tuple[torch.nn.Module, list[tuple[float, float, float]]]]:
    return reference_train


def max_abs_diff(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> float:
    assert a.keys() == b.keys(), (sorted(a), sorted(b))
    return max(float((a[k].double() - b[k].double()).abs().max()) for k in a if a[k].numel())


@pytest.fixture()
def state_diff() -> Callable[[dict[str, torch.Tensor], dict[str, torch.Tensor]], float]:
    return max_abs_diff


np.seterr(all="ignore")
