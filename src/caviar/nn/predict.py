"""Inference for one trained member from its state dict, in caviar's own arithmetic."""

from __future__ import annotations

import torch
from torch import Tensor

from .batchnorm import batch_norm_eval
from .config import MemberConfig
from .functional import activation
from .layout import sequential_keys


@torch.no_grad()
def predict_logits(cfg: MemberConfig, state: dict[str, Tensor], x: Tensor) -> Tensor:
    """Eval-mode logits ``[N, C]``: batch norm uses the stored running (or population) stats."""
    act = activation(cfg.activation)
    keys = sequential_keys(cfg)
    a = x
    for kind, i in keys[:-1]:
        if kind == "linear":
            a = a @ state[f"{i}.weight"].T
            if f"{i}.bias" in state:
                a = a + state[f"{i}.bias"]
            if not cfg.batch_norm:
                a = act(a)
        else:
            a = act(
                batch_norm_eval(
                    a,
                    state[f"{i}.running_mean"],
                    state[f"{i}.running_var"],
                    state[f"{i}.weight"],
                    state[f"{i}.bias"],
                    cfg.bn_eps,
                )
            )
    i = keys[-1][1]
    return a @ state[f"{i}.weight"].T + state[f"{i}.bias"]
