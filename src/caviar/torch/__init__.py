"""caviar.torch: train a population of ANY ``torch.nn.Module`` as a few batched programs.

Members whose modules agree in structure (``caviar.torch.group``) are stacked and trained as
one ``torch.func`` program (``functional_call`` + ``vmap``), each with its own optimizer
hyperparameters as tensors. ``train_population`` is the engine (it knows nothing of
studies); ``optimize`` and ``load_model`` connect it to a study (``caviar.adapters``).
"""

from __future__ import annotations

from typing import Any

from caviar.torch.data import batch_order
from caviar.torch.engine import train_population
from caviar.torch.member import OPTIMIZERS, Member
from caviar.torch.result import EpochReport, MemberResult, PopulationResult
from caviar.torch.schedule import Schedule, cosine_lr, exponential_lr, step_lr, warmup_lr

__all__ = [
    "OPTIMIZERS", "EpochReport", "Member", "MemberResult", "PopulationResult", "Schedule",
    "batch_order", "cosine_lr", "exponential_lr", "load_model", "optimize", "step_lr",
    "train_population", "warmup_lr",
]


def __getattr__(name: str) -> Any:
    if name in ("optimize", "load_model"):
        import importlib

        return getattr(importlib.import_module("caviar.adapters.torch_population"), name)
    raise AttributeError(f"module 'caviar.torch' has no attribute {name!r}")
