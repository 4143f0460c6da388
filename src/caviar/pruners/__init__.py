"""WHEN to stop: median stopping, successive halving (synchronous), ASHA, Hyperband.

Pruners are pure: ``decide_trial(number, curve, others, minimize)`` (what
``trial.should_prune()`` asks, with the curves the study's ``CurveBook`` hands over) and
``decide_values(curves, direction=...)`` (population members) return ``Decision`` data, read no
storage and write nothing. Select one with ``create_study(..., pruner='median')`` or an instance, or
``caviar tune --pruner asha``.
"""

from __future__ import annotations

from typing import Any

from caviar.errors import UsageError
from caviar.pruners.base import CONTINUE, Curve, Decision, Pruner
from caviar.pruners.halving import ASHAPruner, SuccessiveHalvingPruner, rung_budgets
from caviar.pruners.hyperband import Bracket, HyperbandPruner, hyperband_schedule
from caviar.pruners.median import MedianPruner

PRUNERS: dict[str, type[Pruner]] = {
    "median": MedianPruner, "asha": ASHAPruner, "halving": SuccessiveHalvingPruner,
    "successive_halving": SuccessiveHalvingPruner, "hyperband": HyperbandPruner,
}


def make_pruner(spec: str | Pruner | dict[str, Any] | None, **options: Any) -> Pruner | None:
    """A pruner from a name (``'median'``; ``options`` are its settings), its JSON form, an
    instance, or None / ``'none'`` for no pruning."""
    if spec is None or spec == "none":
        return None
    if isinstance(spec, Pruner):
        return spec
    if isinstance(spec, dict):
        d = dict(spec)
        name = d.pop("name", None)
        options = {**d, **options}
    else:
        name = spec
    cls = PRUNERS.get(name) if isinstance(name, str) else None
    if cls is None:
        if hasattr(spec, "decide_trial"):  # any object with decide_trial(...) works
            return spec  # type: ignore[return-value]
        raise UsageError(f"pruner: must be one of {sorted(PRUNERS)} or 'none', got {spec!r}; "
                         "e.g. pruner='median'")
    try:
        return cls(**options)
    except TypeError as e:
        raise UsageError(f"pruner {name!r}: {e}; e.g. pruner=HyperbandPruner(max_budget=81)"
                         ) from None


__all__ = [
    "CONTINUE", "PRUNERS", "ASHAPruner", "Bracket", "Curve", "Decision", "HyperbandPruner",
    "MedianPruner", "Pruner", "SuccessiveHalvingPruner", "hyperband_schedule", "make_pruner",
    "rung_budgets",
]
