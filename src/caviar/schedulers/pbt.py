"""Population-based training (Jaderberg et al. 2017) as a pure policy.

Every ``interval`` epochs the live members of each exploit class (members whose state can be
copied into each other: the engine says which) are ranked by value; each member in the bottom
``quantile`` copies a member drawn from the top ``quantile`` (exploit: truncation selection)
and then moves the copied hyperparameters (explore, see explore.py). A class of fewer than two
members never exploits.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from caviar.errors import UsageError
from caviar.schedulers.actions import Action, Exploit, Explore, Report
from caviar.schedulers.explore import explore
from caviar.space import Choice, Space


class PBT:
    """``PBT(interval=2, quantile=0.25, perturb=(0.8, 1.2), resample=0.25, seed=0)``."""

    name = "pbt"

    def __init__(self, interval: int = 2, quantile: float = 0.25,
                 perturb: tuple[float, ...] = (0.8, 1.2), resample: float = 0.25,
                 seed: int | None = 0) -> None:
        if isinstance(interval, bool) or not isinstance(interval, int) or interval < 1:
            raise UsageError(f"PBT: interval must be an integer >= 1 (epochs between exploits), "
                             f"got interval={interval!r}; use e.g. interval=2")
        if isinstance(quantile, bool) or not isinstance(quantile, int | float) or \
                not 0.0 < quantile <= 0.5:
            raise UsageError(f"PBT: quantile must lie in (0, 0.5] (the share of members "
                             f"replaced), got quantile={quantile!r}; use e.g. quantile=0.25")
        factors = tuple(perturb) if isinstance(perturb, Sequence) else ()
        if (len(factors) < 2 or not all(isinstance(f, int | float) and not isinstance(f, bool)
                                        and math.isfinite(f) and f > 0 for f in factors)
                or not min(factors) < 1.0 < max(factors)):
            raise UsageError(f"PBT: perturb must hold positive factors that bracket 1 (one "
                             f"below, one above), got perturb={perturb!r}; use e.g. (0.8, 1.2)")
        if isinstance(resample, bool) or not isinstance(resample, int | float) or \
                not 0.0 <= resample <= 1.0:
            raise UsageError(f"PBT: resample must be a probability in [0, 1], got "
                             f"resample={resample!r}; use e.g. resample=0.25")
        self.interval, self.quantile = interval, float(quantile)
        self.perturb, self.resample = tuple(float(f) for f in factors), float(resample)
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        self.space = Space()
        self.params: dict[int, dict[str, Any]] = {}
        self.classes: list[list[int]] = []
        self.minimize = False

    def check_space(self, space: Space) -> None:
        """Refuse a space PBT cannot move: only choices (perturbing needs a number)."""
        if len(space) == 0:
            raise UsageError("PBT: the space holds no params to explore; declare at least one "
                             "tunable param (e.g. lr)")
        if all(isinstance(p, Choice) for p in space.values()) and self.resample < 1.0:
            raise UsageError(f"PBT: params {sorted(space)} are all choices, which cannot be "
                             f"perturbed by a factor, got resample={self.resample!r}; pass "
                             "resample=1.0 to resample them at every explore, or add a "
                             "numeric param")

    def start(self, space: Space, params: Mapping[int, Mapping[str, Any]], *,
              classes: Sequence[Sequence[int]] | None = None,
              minimize: bool = False) -> list[Action]:
        """Begin a population: ``params`` per member (only the space's params are explored),
        ``classes``: groups of members that may exploit each other (default: all)."""
        self.check_space(space)
        self.space = space
        self.params = {m: dict(p) for m, p in params.items()}
        self.classes = [list(c) for c in classes] if classes is not None else [
            sorted(self.params)]
        self.minimize = minimize
        return []

    def decide(self, epoch: int, reports: Sequence[Report]) -> list[Action]:
        """Exploit and explore after ``epoch`` when it closes an interval."""
        if (epoch + 1) % self.interval:
            return []
        live = {r.member: r.value for r in reports if r.alive and r.value == r.value}
        actions: list[Action] = []
        for cls in self.classes:
            members = [m for m in cls if m in live]
            n = len(members)
            k = math.floor(self.quantile * n)
            if n >= 2:
                k = max(k, 1)
            if k == 0:
                continue
            # rank best first; ties broken by member index so a trace is deterministic
            sign = 1.0 if self.minimize else -1.0
            ranked = sorted(members, key=lambda m: (sign * live[m], m))
            top, bottom = ranked[:k], ranked[n - k:]
            for dst in bottom:
                src = top[int(self.rng.integers(len(top)))]
                new = explore(self.space, self.params[src], self.rng,
                              perturb=self.perturb, resample=self.resample)
                self.params[dst] = new
                actions.append(Exploit(dst, src))
                actions.append(Explore(dst, dict(new)))
        return actions

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "interval": self.interval, "quantile": self.quantile,
                "perturb": list(self.perturb), "resample": self.resample, "seed": self.seed}
