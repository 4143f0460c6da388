"""What a population run reports: per-epoch reports and each member's final result."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch

from .config import MemberConfig
from .predict import predict_logits

RUNNING, COMPLETE, STOPPED, FAILED = "running", "complete", "stopped", "failed"


@dataclass(frozen=True)
class EpochReport:
    """One member's metrics after one epoch. ``alive``: the member trains on after this epoch
    (not failed, epochs left) unless ``on_epoch`` stops it."""

    member: int
    epoch: int
    train_loss: float
    val_loss: float
    val_accuracy: float
    alive: bool


@dataclass
class MemberResult:
    """A member's fate: state is 'complete', 'stopped' or 'failed' ('running' only mid-run)."""

    member: int
    config: MemberConfig
    n_features: int
    n_classes: int
    state: str = RUNNING
    error: str | None = None
    history: list[EpochReport] = field(default_factory=list)
    _state_dict: dict[str, torch.Tensor] | None = None

    @property
    def epochs_trained(self) -> int:
        return len(self.history)

    @property
    def train_loss(self) -> float:
        return self.history[-1].train_loss if self.history else math.nan

    @property
    def val_loss(self) -> float:
        return self.history[-1].val_loss if self.history else math.nan

    @property
    def val_accuracy(self) -> float:
        return self.history[-1].val_accuracy if self.history else math.nan

    def state_dict(self) -> dict[str, torch.Tensor]:
        """Trained weights as a plain state dict; loads into ``reference_module(config, ...)``."""
        if self._state_dict is None:
            raise RuntimeError(f"member {self.member}: has no weights yet; wait for the run to end")
        return {k: v.clone() for k, v in self._state_dict.items()}

    def module(self) -> torch.nn.Sequential:
        """The trained member as a plain ``torch.nn.Sequential`` (Linear, BatchNorm1d, ...)."""
        from .reference import reference_module

        sd = self.state_dict()
        dtype = next(iter(sd.values())).dtype
        mod = reference_module(self.config, self.n_features, self.n_classes, dtype=dtype)
        mod.load_state_dict(sd)
        return mod.eval()

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Class probabilities for standardised features X (eval mode)."""
        sd = self.state_dict()
        x = torch.as_tensor(np.asarray(X), dtype=next(iter(sd.values())).dtype)
        return torch.softmax(predict_logits(self.config, sd, x), dim=-1).numpy()


@dataclass
class PopulationResult:
    members: list[MemberResult]
    seconds: float
    groups: list[list[int]]  # member indices of each sub-population

    def best(self) -> MemberResult:
        """The member with the highest final validation accuracy among those not failed."""
        ok = [m for m in self.members if m.state != FAILED and not math.isnan(m.val_accuracy)]
        if not ok:
            raise RuntimeError(
                "population: no member finished with a validation accuracy; "
                "check the configs and the data"
            )
        return max(ok, key=lambda m: m.val_accuracy)
