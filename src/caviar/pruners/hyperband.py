"""Hyperband (Li et al., JMLR 2018): successive halving over brackets that trade the number of
configurations against the budget each starts with.

**Which schedule.** caviar follows the paper's *Algorithm 1, with its ceilings*:
``s_max = floor(log_eta(R / r_min))``, ``B = (s_max + 1) R``, and for ``s = s_max .. 0``:
``n = ceil(B / R * eta**s / (s + 1))``, ``r = R * eta**-s``, and rung ``i = 0 .. s`` holds
``n_i = floor(n * eta**-i)`` configurations at budget ``r_i = r * eta**i``. The paper's Table 1
is not used as the source: where a table and Algorithm 1 differ, the algorithm wins (a schedule
with ``n = eta**s`` configurations per bracket, for instance, is *not* what caviar runs).
caviar's schedule for ``R = 81, eta = 3`` is::

    s=4: 81@1  27@3  9@9  3@27  1@81
    s=3: 34@3  11@9  3@27  1@81
    s=2: 15@9   5@27  1@81
    s=1:  8@27  2@81
    s=0:  5@81

and for ``R = 8, eta = 2``: ``s=3: 8@1 4@2 2@4 1@8``, ``s=2: 6@2 3@4 1@8``, ``s=1: 4@4 2@8``,
``s=0: 4@8`` (tested exactly in tests/pruners/test_hyperband.py).

**Trials.** Trial numbers are dealt to brackets in schedule order (the first ``n`` of bracket
``s_max``, then bracket ``s_max - 1``, ..., then again), and inside a bracket the rungs are run
asynchronously (ASHA restricted to the bracket's trials, as in the ASHA paper's asynchronous
Hyperband), so no trial waits. For a population trained together, ``decide_values(curves,
bracket=s)`` applies exact synchronous halving with bracket ``s``'s rungs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from caviar.errors import UsageError
from caviar.pruners.base import (
    Curve,
    Decision,
    K,
    Other,
    Pruner,
    _minimize,
    check_budgets,
    check_eta,
)
from caviar.pruners.halving import ASHAPruner, halve_values
from caviar.trial_record import MINIMIZE


@dataclass(frozen=True)
class Bracket:
    s: int
    rungs: tuple[tuple[int, float], ...]   # (configurations, budget) per rung

    @property
    def n(self) -> int:
        return self.rungs[0][0]

    @property
    def min_budget(self) -> float:
        return self.rungs[0][1]

    @property
    def total_budget(self) -> float:
        """Budget spent when every config trains from scratch to its last rung's budget."""
        out = 0.0
        for i, (n, r) in enumerate(self.rungs):
            nxt = self.rungs[i + 1][0] if i + 1 < len(self.rungs) else 0
            out += (n - nxt) * r
        return out


def _num(x: float) -> float:
    return int(x) if float(x).is_integer() else x


def hyperband_schedule(max_budget: float, eta: float = 3, min_budget: float = 1
                       ) -> list[Bracket]:
    """Hyperband's brackets, ``s = s_max`` first (Algorithm 1 with ceilings)."""
    check_budgets("Hyperband", min_budget, max_budget)
    eta = check_eta("Hyperband", eta)
    s_max = 0
    while min_budget * eta ** (s_max + 1) <= max_budget * (1 + 1e-9):
        s_max += 1
    out = []
    for s in range(s_max, -1, -1):
        if isinstance(eta, int):
            n = -(-((s_max + 1) * eta**s) // (s + 1))  # exact integer ceiling
        else:
            n = int(-(-((s_max + 1) * eta**s) // (s + 1)))
        r = max_budget / eta**s
        rungs = tuple((int(n // eta**i), _num(round(r * eta**i, 9))) for i in range(s + 1))
        out.append(Bracket(s, rungs))
    return out


class HyperbandPruner(Pruner):
    name = "hyperband"

    def __init__(self, *, min_budget: float = 1, max_budget: float, eta: float = 3) -> None:
        check_budgets("HyperbandPruner", min_budget, max_budget)
        self.eta = check_eta("HyperbandPruner", eta)
        self.min_budget = min_budget
        self.max_budget = max_budget
        self.brackets = hyperband_schedule(max_budget, self.eta, min_budget)
        self._asha = [ASHAPruner(min_budget=b.min_budget, eta=self.eta, max_budget=max_budget)
                      for b in self.brackets]
        self._period = sum(b.n for b in self.brackets)

    def bracket_of(self, number: int) -> int:
        """Index (into ``brackets``) of the bracket trial ``number`` belongs to."""
        pos = number % self._period
        for i, b in enumerate(self.brackets):
            if pos < b.n:
                return i
            pos -= b.n
        raise AssertionError("unreachable")

    def decide_trial(self, number: int, curve: Curve, others: list[Other],
                     minimize: bool) -> Decision:
        i = self.bracket_of(number)
        mates = {o.number for o in others if self.bracket_of(o.number) == i}
        asha = self._asha[i]
        d = asha._asha(curve, others, minimize, asha.rungs, mates)
        if d.action == "continue":
            return d
        return Decision(d.action, f"bracket s={self.brackets[i].s}: {d.reason}", d.rung)

    def decide_values(self, curves: Any, *, direction: str = MINIMIZE,
                      bracket: int | None = None) -> dict[K, Decision]:
        """Synchronous halving of a population with bracket ``bracket`` (an ``s``; default
        ``s_max``): at each rung budget, the best ``1/eta`` of the members there go on."""
        minimize = _minimize(direction)
        s = self.brackets[0].s if bracket is None else bracket
        match = [b for b in self.brackets if b.s == s]
        if not match:
            raise UsageError(f"HyperbandPruner: bracket must be one of "
                             f"{[b.s for b in self.brackets]}, got bracket={bracket!r}")
        budgets = [r for _, r in match[0].rungs]
        out: dict[K, Decision] = {}
        out.update(halve_values(curves, budgets, self.eta, minimize))
        return out

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "min_budget": self.min_budget, "max_budget": self.max_budget,
                "eta": self.eta}
