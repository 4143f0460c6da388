"""Successive halving: rungs at budgets ``min_budget * eta**k``; at each rung only the best
``max(1, floor(n / eta))`` of the ``n`` trials there go on.

* ``SuccessiveHalvingPruner`` — synchronous: a bracket of ``n_configs`` trials (consecutive trial
  numbers) climbs the rungs together; rung ``k`` holds ``n_k = max(1, n_{k-1} // eta)`` trials.
  For a population (``decide_values``) it is exact: all members reach a rung, the best
  ``1/eta`` are promoted, the rest pruned. For one-model-per-trial objectives the trials of a
  bracket reach a rung one by one, so a trial is pruned as soon as it is *certain* to miss the
  cut (``n_{k+1}`` trials of its bracket are already better at that rung), promoted once it is
  certain to make it, and otherwise goes on; it never stops a trial the synchronous rule would
  promote, at the price of training early trials longer (ASHA is the asynchronous answer).
* ``ASHAPruner`` — asynchronous (Li et al., 2018): when a trial reaches rung ``k`` it is promoted
  if it ranks in the top ``max(1, floor(m / eta))`` of the ``m`` trials that reached rung ``k``
  so far (itself included), and pruned otherwise. No trial ever waits.
"""

from __future__ import annotations

from typing import Any

from caviar.errors import UsageError
from caviar.pruners.base import (
    CONTINUE,
    Curve,
    Decision,
    K,
    Other,
    Pruner,
    check_budgets,
    check_eta,
    keep_count,
    oriented,
    rank_of,
    reached_now,
    value_at,
)
from caviar.trial_record import MINIMIZE


def rung_budgets(min_budget: float, eta: float, max_budget: float | None,
                 limit: int = 64) -> list[float]:
    """``min_budget * eta**k`` up to ``max_budget`` (inclusive, with float tolerance)."""
    out: list[float] = []
    b = float(min_budget)
    while len(out) < limit and (max_budget is None or b <= max_budget * (1 + 1e-9)):
        out.append(int(b) if float(b).is_integer() else b)
        b *= eta
    return out


def _rung_decision(k: int, budget: float, v: float, rivals: list[float], keep: int,
                   minimize: bool) -> Decision:
    r = rank_of(v, rivals, minimize)
    n = len(rivals) + 1
    if r < keep:
        return Decision("promote", f"rung {k} (budget {budget}): rank {r + 1} of {n}, "
                                   f"top {keep} go on", k)
    return Decision("prune", f"rung {k} (budget {budget}): rank {r + 1} of {n}, only the "
                             f"top {keep} go on", k)


class ASHAPruner(Pruner):
    """Asynchronous successive halving. ``min_budget`` is the grace period (the first rung);
    ``max_budget`` (optional) is where trials end, so no decision is taken there."""

    name = "asha"

    def __init__(self, *, min_budget: float = 1, eta: float = 3,
                 max_budget: float | None = None) -> None:
        check_budgets("ASHAPruner", min_budget, max_budget)
        self.eta = check_eta("ASHAPruner", eta)
        self.min_budget = min_budget
        self.max_budget = max_budget
        self.rungs = rung_budgets(min_budget, self.eta, max_budget)

    def decide_trial(self, number: int, curve: Curve, others: list[Other],
                     minimize: bool) -> Decision:
        return self._asha(curve, others, minimize, self.rungs, None)

    def _asha(self, curve: Curve, others: list[Other], minimize: bool, rungs: list[float],
              members: set[int] | None) -> Decision:
        for k in range(len(rungs) - 1, -1, -1):
            b = rungs[k]
            if self.max_budget is not None and b >= self.max_budget:
                continue
            if not reached_now(curve, b):
                continue
            v = value_at(curve, b)
            assert v is not None
            rivals = [oriented(x, minimize) for o in others
                      if (members is None or o.number in members)
                      and (x := value_at(o.curve, b)) is not None]
            keep = keep_count(len(rivals) + 1, self.eta)
            return _rung_decision(k, b, oriented(v, minimize), rivals, keep, minimize)
        return CONTINUE

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "min_budget": self.min_budget, "eta": self.eta,
                "max_budget": self.max_budget}


class SuccessiveHalvingPruner(Pruner):
    """Synchronous successive halving over brackets of ``n_configs`` trials (by default
    ``eta ** (rungs - 1)``, so that one trial reaches ``max_budget``)."""

    name = "halving"

    def __init__(self, *, min_budget: float = 1, max_budget: float, eta: float = 3,
                 n_configs: int | None = None) -> None:
        check_budgets("SuccessiveHalvingPruner", min_budget, max_budget)
        self.eta = check_eta("SuccessiveHalvingPruner", eta)
        self.min_budget = min_budget
        self.max_budget = max_budget
        self.rungs = rung_budgets(min_budget, self.eta, max_budget)
        if n_configs is None:
            n_configs = max(1, round(self.eta ** (len(self.rungs) - 1)))
        if isinstance(n_configs, bool) or not isinstance(n_configs, int) or n_configs < 1:
            raise UsageError(f"SuccessiveHalvingPruner: n_configs must be an int >= 1 (trials "
                             f"per bracket), got n_configs={n_configs!r}")
        self.n_configs = n_configs

    def schedule(self) -> list[tuple[int, float]]:
        """``(trials, budget)`` per rung: ``n_0 = n_configs``, ``n_{k+1} = max(1, n_k // eta)``."""
        out, n = [], self.n_configs
        for b in self.rungs:
            out.append((n, b))
            n = keep_count(n, self.eta)
        return out

    def decide_trial(self, number: int, curve: Curve, others: list[Other],
                     minimize: bool) -> Decision:
        bracket = number // self.n_configs
        sched = self.schedule()
        for k in range(len(sched) - 2, -1, -1):
            n_k, b = sched[k]
            if not reached_now(curve, b):
                continue
            v = oriented(value_at(curve, b) or 0.0, minimize)
            rivals = [oriented(x, minimize) for o in others
                      if o.number // self.n_configs == bracket
                      and (x := value_at(o.curve, b)) is not None]
            keep = sched[k + 1][0]
            better = rank_of(v, rivals, minimize)
            pending = max(0, n_k - 1 - len(rivals))
            if better >= keep:
                return _rung_decision(k, b, v, rivals, keep, minimize)
            if better + pending < keep:
                return Decision("promote", f"rung {k} (budget {b}): certain to be in the top "
                                           f"{keep} of {n_k}", k)
            return Decision("continue", f"rung {k} (budget {b}): {pending} of the bracket's "
                                        f"{n_k} trials still to come", k)
        return CONTINUE

    def decide_values(self, curves: Any, *, direction: str = MINIMIZE) -> dict[K, Decision]:
        """Exact synchronous halving: members at a rung are ranked among all members there."""
        from caviar.pruners.base import _minimize

        minimize = _minimize(direction)
        out: dict[K, Decision] = {}
        out.update(halve_values(curves, self.rungs, self.eta, minimize))
        return out

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "min_budget": self.min_budget, "max_budget": self.max_budget,
                "eta": self.eta, "n_configs": self.n_configs}


def halve_values(curves: Any, budgets: Any, eta: float, minimize: bool) -> dict[Any, Decision]:
    """Synchronous halving over plain curves: a member that just reached a rung is ranked
    among every member there and kept when it is in the best ``1/eta``."""
    out: dict[Any, Decision] = {}
    for key, c in curves.items():
        out[key] = CONTINUE
        if not c:
            continue
        for k in range(len(budgets) - 2, -1, -1):
            b = budgets[k]
            if not reached_now(c, b):
                continue
            v = oriented(value_at(c, b) or 0.0, minimize)
            rivals = [oriented(x, minimize) for o, oc in curves.items() if o != key and oc
                      and (x := value_at(oc, b)) is not None]
            out[key] = _rung_decision(k, b, v, rivals, keep_count(len(rivals) + 1, eta),
                                      minimize)
            break
    return out
