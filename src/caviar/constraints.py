"""Constraints: a user callable that says whether a finished trial is feasible.

``create_study(..., constraints=fn)``: ``fn(trial)`` gets the trial's record as it is being
finished (a ``FrozenTrial``: params, values, user attrs) and returns a list of numbers, one per
constraint; the trial is feasible when every number is <= 0 (a number > 0 is by how much that
constraint is violated). The list is stored with the trial in ``system_attrs["constraints"]``
(plain JSON floats), for complete trials only. ``study.best_trials`` and ``best_trial`` keep
to feasible trials; NSGA-II ranks feasible trials above infeasible ones (infeasible by total
violation, Deb's constraint domination); multi-objective TPE puts infeasible trials on the
bad side of its split.

A callable that returns something other than a list of finite numbers of the same length for
every trial is a programming error: ``evaluate`` raises ``UsageError`` saying so, before the
trial is written.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, cast

import numpy as np

from caviar.errors import UsageError
from caviar.trial_record import FrozenTrial

ATTR = "constraints"

ConstraintsFn = Callable[[FrozenTrial], Sequence[float]]


def check_callable(fn: Any) -> ConstraintsFn | None:
    """``create_study``'s check of ``constraints=``, before anything is written."""
    if fn is None or callable(fn):
        return cast("ConstraintsFn | None", fn)
    raise UsageError(f"constraints: must be a callable taking a finished trial and returning "
                     f"a list of floats (feasible when all <= 0), got {fn!r} "
                     f"({type(fn).__name__}); e.g. constraints=lambda t: "
                     "[t.values[1] - 1e5]")


def evaluate(fn: ConstraintsFn, trial: FrozenTrial, expected: int | None = None) -> list[float]:
    """``fn(trial)`` as a list of floats, checked: a list (tuple, 1-D array) of finite
    numbers, at least one, and ``expected`` of them when given (the length earlier trials
    had)."""
    out = fn(trial)
    where = f"constraints({_name(fn)}) for trial {trial.number}"
    if isinstance(out, np.ndarray):
        if out.ndim != 1:
            raise UsageError(f"{where}: must return a flat list of floats, got an array of "
                             f"shape {out.shape}; return one float per constraint")
        out = out.tolist()
    if isinstance(out, int | float) and not isinstance(out, bool):
        raise UsageError(f"{where}: must return a list of floats, got the single number "
                         f"{out!r}; wrap it: return [{out!r}]")
    if isinstance(out, str | bytes) or not isinstance(out, Sequence):
        raise UsageError(f"{where}: must return a list of floats (feasible when all <= 0), "
                         f"got {out!r} ({type(out).__name__})")
    if len(out) == 0:
        raise UsageError(f"{where}: returned an empty list; return one float per constraint "
                         "(<= 0 when it is met)")
    if expected is not None and len(out) != expected:
        raise UsageError(f"{where}: returned {len(out)} values {list(out)!r}, earlier trials "
                         f"had {expected}; return the same constraints for every trial")
    vals: list[float] = []
    for i, v in enumerate(out):
        if isinstance(v, np.generic):
            v = v.item()
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise UsageError(f"{where}: element {i} must be a number, got {v!r} "
                             f"({type(v).__name__})")
        if not math.isfinite(v):
            raise UsageError(f"{where}: element {i} must be finite, got {v!r} in "
                             f"{list(out)!r}; return a large finite violation instead "
                             "(e.g. 1e9) for a trial that is far from feasible")
        vals.append(float(v))
    return vals


def expected_length(trials: Sequence[FrozenTrial]) -> int | None:
    """How many constraints the study's trials hold (None before the first)."""
    for t in reversed(trials):
        cs = t.system_attrs.get(ATTR)
        if cs is not None:
            return len(cs)
    return None


def _name(fn: Any) -> str:
    return str(getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None) or repr(fn))
