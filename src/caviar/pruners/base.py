"""The Pruner seam: WHEN to stop. Pure decisions (continue / prune / promote) on curves.

A curve is a trial's (or a population member's) intermediate values, ``{step: value}``, where
the step is the budget spent so far (epochs, steps). A pruner never writes and never reads
storage: it decides on the curves it is handed and returns a ``Decision``. Two ways in:

* ``decide_trial(number, curve, others, minimize)``: one trial among the others' curves; what
  ``trial.should_prune()`` asks (the study's ``CurveBook`` hands over the curves);
* ``decide_values(curves, direction=...)``: plain ``{member: {step: value}}`` curves, e.g. the
  members of a population trained together; returns a decision per member.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from caviar.errors import UsageError
from caviar.trial_record import MAXIMIZE, MINIMIZE

Action = Literal["continue", "prune", "promote"]
Curve = Mapping[int, float]
K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class Decision:
    """``continue`` (nothing to decide yet), ``prune`` (stop now) or ``promote`` (passed a
    rung: train on to the next one). ``rung`` is the rung decided on, ``reason`` says why."""

    action: Action = "continue"
    reason: str = ""
    rung: int | None = None

    @property
    def prune(self) -> bool:
        return self.action == "prune"

    def __bool__(self) -> bool:  # ``if pruner.decide_trial(...)`` reads as "should prune"
        return self.prune


CONTINUE = Decision()
#: the state of a population member in ``decide_values`` (trained together with the others)
MEMBER = "member"


@dataclass(frozen=True)
class Other:
    """Another trial as a pruner sees it: its state and curve."""

    number: int
    state: str
    curve: Curve


class Pruner:
    name = "base"

    def decide_trial(self, number: int, curve: Curve, others: list[Other],
                     minimize: bool) -> Decision:
        """The decision for trial ``number`` with ``curve``, among ``others``."""
        raise NotImplementedError

    def decide_values(self, curves: Mapping[K, Curve], *,
                      direction: str = MINIMIZE) -> dict[K, Decision]:
        """A decision for every member of ``curves`` (e.g. a population trained together):
        each member is judged among all the others, as if they all were running."""
        minimize = _minimize(direction)
        keys = list(curves)
        out: dict[K, Decision] = {}
        for i, k in enumerate(keys):
            others = [Other(j, MEMBER, curves[o]) for j, o in enumerate(keys) if o != k]
            c = curves[k]
            out[k] = self.decide_trial(i, c, others, minimize) if c else CONTINUE
        return out

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.to_json()})"


def _minimize(direction: str) -> bool:
    d = str(direction).lower()
    if d not in (MINIMIZE, MAXIMIZE):
        raise UsageError(f"direction: must be 'minimize' or 'maximize', got {direction!r}")
    return d == MINIMIZE


# ---------------------------------------------------------------------- curve helpers
def value_at(curve: Curve, budget: float) -> float | None:
    """The value at the first step >= ``budget`` (None when the curve has not got there)."""
    steps = [s for s in curve if s >= budget]
    if not steps:
        return None
    return curve[min(steps)]


def reached_now(curve: Curve, budget: float) -> bool:
    """Is the latest step the first one at or past ``budget``?"""
    latest = max(curve)
    return latest >= budget and not any(budget <= s < latest for s in curve)


def rank_of(value: float, values: list[float], minimize: bool) -> int:
    """How many of ``values`` are strictly better than ``value``."""
    if minimize:
        return sum(v < value for v in values)
    return sum(v > value for v in values)


def keep_count(n: int, eta: float) -> int:
    """Successive halving keeps the best ``max(1, floor(n / eta))`` of ``n``."""
    return max(1, int(n // eta))


def oriented(value: float, minimize: bool) -> float:
    """NaN counts as the worst value."""
    if value != value:
        return math.inf if minimize else -math.inf
    return value


def check_eta(who: str, eta: Any) -> float:
    if isinstance(eta, bool) or not isinstance(eta, int | float) or not eta >= 2:
        raise UsageError(f"{who}: eta must be a number >= 2 (keep the best 1/eta at each rung),"
                         f" got eta={eta!r}; use eta=3")
    return float(eta) if not float(eta).is_integer() else int(eta)


def check_budgets(who: str, min_budget: Any, max_budget: Any) -> None:
    for name, v in (("min_budget", min_budget), ("max_budget", max_budget)):
        if v is None and name == "max_budget":
            continue
        if isinstance(v, bool) or not isinstance(v, int | float) or not v > 0:
            raise UsageError(f"{who}: {name} must be a positive number (the budget: epochs, "
                             f"steps), got {name}={v!r}")
    if max_budget is not None and min_budget > max_budget:
        raise UsageError(f"{who}: needs min_budget <= max_budget, got min_budget={min_budget!r},"
                         f" max_budget={max_budget!r}; lower min_budget or raise max_budget")
