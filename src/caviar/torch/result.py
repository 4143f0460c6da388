"""What training a population returns: one result per member, and per-epoch reports."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

COMPLETE, FAILED, STOPPED = "complete", "failed", "stopped"


@dataclass(frozen=True)
class EpochReport:
    """One member after one epoch: the validation metric and the mean training loss."""

    member: int
    epoch: int
    metric: float
    train_loss: float
    alive: bool


@dataclass
class MemberResult:
    """``state``: "complete", "failed" (non-finite loss; ``error`` says when) or "stopped"
    (asked to stop by ``on_epoch``). ``state_dict``: the trained tensors (CPU), loadable into
    the member's own module with ``model.load_state_dict``."""

    state: str = COMPLETE
    history: list[float] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    error: str | None = None
    state_dict: dict[str, Any] = field(default_factory=dict)
    group: int = 0

    @property
    def metric(self) -> float:
        return self.history[-1] if self.history else math.nan

    @property
    def epochs_trained(self) -> int:
        return len(self.history)


@dataclass
class PopulationResult:
    members: list[MemberResult]
    groups: list[str]
