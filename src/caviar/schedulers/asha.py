"""Promotion-based ASHA (Li et al., MLSys 2020) for a population with a fixed number of slots.

Rung ``k`` trains members to ``min_budget * eta**k`` epochs (the last rung to ``max_budget``).
A member reaching its rung's budget is recorded in that rung and paused (its state waits on the
host). Each free slot then gets a job, the paper's ``get_job``: from the highest rung below
the top down to rung 0, promote the best member of the rung's top ``floor(|rung| / eta)`` that
was not promoted yet; if no rung has one, start a new member at rung 0 (when members are left).

Unlike the stop-based ASHA pruner (caviar.pruners), a member that is not good enough yet is
not lost: it may still be promoted once its rung has grown.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from caviar.errors import UsageError
from caviar.schedulers.actions import Action, Pause, Promote, Report, Start, Stop
from caviar.schedulers.rungs import rung_budgets
from caviar.space import Space


class ASHA:
    """``ASHA(eta=3, min_budget=1, max_budget=20, slots=None)``; ``slots``: members training
    at once (default: a third of the population, at least one)."""

    name = "asha"

    def __init__(self, eta: int = 3, min_budget: int = 1, max_budget: int = 20,
                 slots: int | None = None) -> None:
        self.budgets = rung_budgets("ASHA", eta, min_budget, max_budget)
        if slots is not None and (isinstance(slots, bool) or not isinstance(slots, int)
                                  or slots < 1):
            raise UsageError(f"ASHA: slots must be an integer >= 1 (members training at once), "
                             f"got slots={slots!r}; use e.g. slots=8")
        self.eta, self.min_budget, self.max_budget, self.slots = eta, min_budget, max_budget, slots
        self.rungs: list[list[tuple[float, int]]] = [[] for _ in self.budgets]
        self.promoted: list[set[int]] = [set() for _ in self.budgets]
        self.pending: list[int] = []
        self.target: dict[int, int] = {}  # member -> rung it trains towards
        self.minimize = False

    def start(self, space: Space, params: Mapping[int, Mapping[str, Any]], *,
              classes: Sequence[Sequence[int]] | None = None,
              minimize: bool = False) -> list[Action]:
        members = sorted(params)
        slots = self.slots or max(1, len(members) // 3)
        self.minimize = minimize
        self.pending = members[slots:]
        actions: list[Action] = []
        for m in members[:slots]:
            self.target[m] = 0
            actions.append(Start(m, self.budgets[0]))
        return [*actions, *(Pause(m) for m in self.pending)]

    def _key(self, value: float, member: int) -> tuple[float, int]:
        v = value if value == value else float("inf") * (1 if self.minimize else -1)
        return ((v if self.minimize else -v), member)

    def get_job(self) -> Promote | Start | None:
        """The paper's get_job: a promotion from the highest possible rung, else a new member."""
        for k in range(len(self.budgets) - 2, -1, -1):
            rung = sorted(self._key(v, m) for v, m in self.rungs[k])
            top = [m for _, m in rung[: len(rung) // self.eta]]
            free = [m for m in top if m not in self.promoted[k]]
            if free:
                m = free[0]
                self.promoted[k].add(m)
                self.target[m] = k + 1
                return Promote(m, self.budgets[k + 1])
        if self.pending:
            m = self.pending.pop(0)
            self.target[m] = 0
            return Start(m, self.budgets[0])
        return None

    def decide(self, epoch: int, reports: Sequence[Report]) -> list[Action]:
        freed: list[int] = []
        actions: list[Action] = []
        for r in reports:
            k = self.target.get(r.member)
            if k is None or r.epoch + 1 < self.budgets[k]:
                if not r.alive:  # failed or out of epochs before its rung: its slot is free
                    self.target.pop(r.member, None)
                    freed.append(-1)
                continue
            self.rungs[k].append((r.value, r.member))
            del self.target[r.member]
            if k == len(self.budgets) - 1 or not r.alive:
                if r.alive:
                    actions.append(Stop(r.member))
                freed.append(-1)
            else:
                freed.append(r.member)
        jobs = [self.get_job() for _ in freed]
        resumed = {j.member for j in jobs if isinstance(j, Promote)}
        actions += [Pause(m) for m in freed if m >= 0 and m not in resumed]
        actions += [j for j in jobs if j is not None]
        return actions

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "eta": self.eta, "min_budget": self.min_budget,
                "max_budget": self.max_budget, "slots": self.slots}
