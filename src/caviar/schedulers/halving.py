"""Synchronous successive halving for a population: every member trains to the first rung's
budget; the top ``floor(n / eta)`` (at least one) go on to the next rung, the rest stop; and so
on up to ``max_budget``. The simple case of ASHA where every member waits for its rung."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from caviar.schedulers.actions import Action, Report, Stop
from caviar.schedulers.rungs import rung_budgets
from caviar.space import Space


class Halving:
    """``Halving(eta=3, min_budget=1, max_budget=20)``."""

    name = "halving"

    def __init__(self, eta: int = 3, min_budget: int = 1, max_budget: int = 20) -> None:
        self.budgets = rung_budgets("Halving", eta, min_budget, max_budget)
        self.eta, self.min_budget, self.max_budget = eta, min_budget, max_budget
        self.minimize = False
        self.live: set[int] = set()
        self.rung = 0

    def start(self, space: Space, params: Mapping[int, Mapping[str, Any]], *,
              classes: Sequence[Sequence[int]] | None = None,
              minimize: bool = False) -> list[Action]:
        self.live = set(params)
        self.minimize = minimize
        return []

    def decide(self, epoch: int, reports: Sequence[Report]) -> list[Action]:
        for r in reports:
            if not r.alive and r.epoch + 1 < self.max_budget:
                self.live.discard(r.member)  # failed: out of the race
        if self.rung >= len(self.budgets) - 1 or epoch + 1 != self.budgets[self.rung]:
            return []
        self.rung += 1
        values = {r.member: r.value for r in reports if r.member in self.live}
        sign = 1.0 if self.minimize else -1.0
        ranked = sorted(values, key=lambda m: (sign * values[m] if values[m] == values[m]
                                               else float("inf"), m))
        keep = max(1, len(ranked) // self.eta)
        stop = ranked[keep:]
        self.live -= set(stop)
        return [Stop(m) for m in sorted(stop)]

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "eta": self.eta, "min_budget": self.min_budget,
                "max_budget": self.max_budget}
