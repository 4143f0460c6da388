"""What a population scheduler sees (reports) and what it returns (actions).

A scheduler is a pure policy: it is handed each member's report after an epoch and answers with
a list of actions; the engine applies them to its tensors, the adapter records them in the
study. Members are named by their index in the population (``member``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Report:
    """A member's validation value after its ``epoch``-th epoch (0-based, counted per member:
    a member paused and promoted later continues its own count). ``alive``: the member has
    epochs left to train."""

    member: int
    epoch: int
    value: float
    alive: bool = True


@dataclass(frozen=True)
class Exploit:
    """Copy member ``src`` into member ``dst``: weights, optimizer state, batch-norm buffers and
    hyperparameters (``dst`` keeps its own data order)."""

    dst: int
    src: int


@dataclass(frozen=True)
class Explore:
    """Set member ``member``'s hyperparameters to ``params`` from now on."""

    member: int
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Pause:
    """Stop training ``member`` for now: its state moves to the host, its compute is freed."""

    member: int


@dataclass(frozen=True)
class Promote:
    """Resume a paused ``member`` and train it up to ``budget`` epochs in all."""

    member: int
    budget: int


@dataclass(frozen=True)
class Stop:
    """Stop ``member`` for good (its last value stands)."""

    member: int


@dataclass(frozen=True)
class Start:
    """Start member ``member`` (not trained yet) and train it up to ``budget`` epochs."""

    member: int
    budget: int


Action = Exploit | Explore | Pause | Promote | Stop | Start
