"""The Pruner seam: WHEN to stop. Pure decisions (continue / prune / promote) on curves.

A curve is a trial's (or a population member's) intermediate values, ``{step: value}``, where
the step is the budget spent so far (epochs, steps). A pruner never writes: it returns a
``Decision``. Two ways in:

* ``decide(trial, study)``: what ``trial.should_prune()`` asks, for one-model-per-trial
  objectives; the pruner reads the other trials' curves from the study (finished trials' curves
  are cached, only running ones are read again);
* ``decide_values(curves, direction=...)``: plain ``{member: {step: value}}`` curves, e.g. the
  members of a population trained together; returns a decision per member.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from caviar.errors import UsageError
from caviar.trial_record import COMPLETE, FAIL, MAXIMIZE, MINIMIZE, PRUNED, RUNNING

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

    def __bool__(self) -> bool:  # ``if pruner.decide(...)`` reads as "should prune"
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

    def decide(self, trial: Any, study: Any) -> Decision:
        """The decision for a running trial of ``study`` (after its latest ``report``)."""
        curve = dict(trial.reports)
        if not curve:
            return CONTINUE
        others = _curves(self, study, trial.id)
        return self.decide_trial(trial.number, curve, others, study.direction != MAXIMIZE)

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

    def __getstate__(self) -> dict[str, Any]:  # sent to worker processes without its cache
        d = dict(self.__dict__)
        d.pop("_cache", None)
        return d


def _minimize(direction: str) -> bool:
    d = str(direction).lower()
    if d not in (MINIMIZE, MAXIMIZE):
        raise UsageError(f"direction: must be 'minimize' or 'maximize', got {direction!r}")
    return d == MINIMIZE


class _Cache:
    """Finished trials' curves never change: read them once."""

    def __init__(self, study: Any) -> None:
        self.study = study
        self.final: dict[int, Other] = {}


def _curves(pruner: Pruner, study: Any, me: int) -> list[Other]:
    cache: _Cache | None = getattr(pruner, "_cache", None)
    if cache is None or cache.study is not study:
        cache = _Cache(study)
        pruner._cache = cache  # type: ignore[attr-defined]
    trials = study.trials
    need = [t for t in trials if t.id != me and t.state != FAIL
            and (t.state == RUNNING or t.id not in cache.final)]
    got: dict[int, dict[int, float]] = {}
    if need:
        study._flush_reports()
        for tid, step, v in study.storage.get_reports(study.id, [t.id for t in need]):
            got.setdefault(tid, {})[step] = v
    running = []
    for t in need:
        o = Other(t.number, t.state, got.get(t.id, {}))
        if t.state in (COMPLETE, PRUNED):
            cache.final[t.id] = o
        else:
            running.append(o)
    return list(cache.final.values()) + running


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
