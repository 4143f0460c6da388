"""Median stopping: stop a trial whose best value so far is worse than the median of the other
trials' values at the same step (the rule of Google Vizier, as in Optuna's MedianPruner)."""

from __future__ import annotations

import statistics
from typing import Any

from caviar.errors import UsageError
from caviar.pruners.base import CONTINUE, MEMBER, Curve, Decision, Other, Pruner, oriented
from caviar.trial_record import COMPLETE, PRUNED


class MedianPruner(Pruner):
    """At step ``s`` (after ``warmup_steps``, every ``interval_steps``), prune when the trial's
    best value up to ``s`` is strictly worse than the median of the values at ``s`` of the
    other finished trials (complete or pruned) that reached ``s``, once at least
    ``n_startup_trials`` of them did. ``decide_values`` judges population members among each
    other instead. ``max_budget`` (optional) only checks the settings."""

    name = "median"

    def __init__(self, *, warmup_steps: int = 0, n_startup_trials: int = 5,
                 interval_steps: int = 1, max_budget: float | None = None) -> None:
        for nm, v, lo in (("warmup_steps", warmup_steps, 0),
                          ("n_startup_trials", n_startup_trials, 1),
                          ("interval_steps", interval_steps, 1)):
            if isinstance(v, bool) or not isinstance(v, int) or v < lo:
                raise UsageError(f"MedianPruner: {nm} must be an int >= {lo}, got {nm}={v!r}")
        if max_budget is not None:
            if isinstance(max_budget, bool) or not isinstance(max_budget, int | float) \
                    or max_budget <= 0:
                raise UsageError(f"MedianPruner: max_budget must be a positive number, got "
                                 f"{max_budget!r}")
            if warmup_steps >= max_budget:
                raise UsageError(
                    f"MedianPruner: the grace period must be shorter than the budget, got "
                    f"warmup_steps={warmup_steps}, max_budget={max_budget!r}; no trial could "
                    "ever be pruned; lower warmup_steps")
        self.warmup_steps = warmup_steps
        self.n_startup_trials = n_startup_trials
        self.interval_steps = interval_steps
        self.max_budget = max_budget

    def decide_trial(self, number: int, curve: Curve, others: list[Other],
                     minimize: bool) -> Decision:
        step = max(curve)
        if step < self.warmup_steps or (step - self.warmup_steps) % self.interval_steps:
            return CONTINUE
        peers = [oriented(o.curve[step], minimize) for o in others
                 if step in o.curve and o.state in (COMPLETE, PRUNED, MEMBER)]
        if len(peers) < self.n_startup_trials:
            return CONTINUE
        med = statistics.median(peers)
        vals = [oriented(v, minimize) for s, v in curve.items() if s <= step]
        best = min(vals) if minimize else max(vals)
        worse = best > med if minimize else best < med
        if worse:
            return Decision("prune", f"step {step}: best {best:.6g} is worse than the median "
                                     f"{med:.6g} of {len(peers)} trials")
        return CONTINUE

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "warmup_steps": self.warmup_steps,
                "n_startup_trials": self.n_startup_trials,
                "interval_steps": self.interval_steps, "max_budget": self.max_budget}
