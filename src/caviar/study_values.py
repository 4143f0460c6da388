"""A study's objectives: its directions, the values a trial is told, and its best trials.

One direction is the simple case (``value``); several directions make a multi-objective study,
whose trials carry ``values`` (one number per objective) and whose best trials are the Pareto
front of the complete ones. Constraint values (``system_attrs["constraints"]``, feasible when
every one is <= 0) restrict the best trials to the feasible ones.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from caviar.errors import UsageError
from caviar.pareto import pareto_front, to_minimize
from caviar.trial_record import COMPLETE, MAXIMIZE, MINIMIZE, FrozenTrial

DIRECTIONS = (MINIMIZE, MAXIMIZE)


def check_direction(direction: Any, where: str = "direction") -> str:
    d = str(direction).lower() if isinstance(direction, str) else direction
    if d not in DIRECTIONS:
        raise UsageError(f"{where}: must be 'minimize' or 'maximize', got {direction!r}; "
                         f"use {where.split('[')[0]}={_example(where)} for accuracies")
    return str(d)


def _example(where: str) -> str:
    return "['maximize', 'minimize']" if where.startswith("directions") else "'maximize'"


def check_directions(direction: Any = None, directions: Any = None) -> tuple[str, ...]:
    """The study's directions from ``direction=`` or ``directions=`` (one of them; neither
    means minimize)."""
    if directions is None:
        return (check_direction(MINIMIZE if direction is None else direction),)
    if direction is not None:
        raise UsageError(f"create_study: pass direction= or directions=, not both (got "
                         f"direction={direction!r} and directions={directions!r}); use "
                         "directions=[...] for several objectives")
    if isinstance(directions, str) or not isinstance(directions, Sequence):
        raise UsageError(f"directions: must be a list of 'minimize'/'maximize', one per "
                         f"objective, got {directions!r}; e.g. directions=['maximize', "
                         "'minimize']")
    if len(directions) == 0:
        raise UsageError("directions: needs at least one direction, got []; e.g. "
                         "directions=['maximize', 'minimize'] (or direction='minimize')")
    return tuple(check_direction(d, f"directions[{i}]") for i, d in enumerate(directions))


def default_names(k: int) -> list[str]:
    return ["value"] if k == 1 else [f"values_{i}" for i in range(k)]


def check_names(names: Any, directions: tuple[str, ...]) -> list[str]:
    """Objective names: one distinct, non-empty string per direction."""
    k = len(directions)
    ok = (isinstance(names, list | tuple) and len(names) == k
          and all(isinstance(n, str) and n.strip() for n in names) and len(set(names)) == k)
    if not ok:
        raise UsageError(f"objective names: need {k} distinct non-empty names, one per "
                         f"direction {list(directions)}, got {names!r}; e.g. "
                         f"{['accuracy', 'n_params'][:k] if k <= 2 else default_names(k)}")
    return [str(n) for n in names]


def is_sequence_value(value: Any) -> bool:
    return isinstance(value, list | tuple | np.ndarray)


def told_values(number: int, value: Any, directions: tuple[str, ...]
                ) -> tuple[tuple[float, ...] | None, str | None]:
    """The values told for trial ``number`` of a study with several ``directions``:
    ``(values, None)``, or ``(None, why)`` when a position is not finite (the trial fails,
    as a single NaN does). A value of the wrong shape raises UsageError (every trial of the
    objective would fail the same way): nothing is written."""
    k = len(directions)
    if isinstance(value, np.ndarray):
        value = value.tolist() if value.ndim == 1 else value
    if not isinstance(value, list | tuple):
        raise UsageError(
            f"trial {number}: this study has {k} directions {list(directions)}, so the "
            f"objective must return {k} values (a tuple), got {value!r} "
            f"({type(value).__name__}); return e.g. (accuracy, n_params)")
    if len(value) != k:
        raise UsageError(
            f"trial {number}: this study has {k} directions {list(directions)}, got "
            f"{len(value)} values {tuple(value)!r}; return exactly {k} values, one per "
            "direction")
    out: list[float] = []
    for i, v in enumerate(value):
        if isinstance(v, np.generic):
            v = v.item()
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise UsageError(
                f"trial {number}: values[{i}] must be a number, got {v!r} "
                f"({type(v).__name__}); return {k} floats, one per direction "
                f"{list(directions)}")
        if not math.isfinite(v):
            return None, (f"objective returned values[{i}]={v!r} in {tuple(value)!r}; every "
                          "value must be finite (check for divergence)")
        out.append(float(v))
    return tuple(out), None


def one_direction_tuple(number: int, value: Any) -> Any:
    """A one-direction study told a sequence: one element is its value; more is an error."""
    items = value.tolist() if isinstance(value, np.ndarray) else list(value)
    if len(items) == 1:
        return items[0]
    raise UsageError(
        f"trial {number}: this study has one direction, got {len(items)} values "
        f"{tuple(items)!r}; return one float, or create the study with directions=[...] "
        "(one per objective)")


def feasible(t: FrozenTrial) -> bool:
    """Are ``t``'s constraint values (when it has any) all <= 0?"""
    c = t.system_attrs.get("constraints") if t.system_attrs else None
    return c is None or all(float(x) <= 0.0 for x in c)


def has_constraints(trials: Sequence[FrozenTrial]) -> bool:
    return any(t.system_attrs and "constraints" in t.system_attrs for t in trials)


def best_trials(trials: Sequence[FrozenTrial], directions: tuple[str, ...]) -> list[FrozenTrial]:
    """The complete trials on the Pareto front, in number order. With constraints, only
    feasible trials can be best (feasible dominates infeasible); none feasible gives []."""
    done = [t for t in trials if t.state == COMPLETE and t.values is not None
            and len(t.values) == len(directions)]
    if has_constraints(done):
        done = [t for t in done if feasible(t)]
    if not done:
        return []
    front = pareto_front(to_minimize([t.values or () for t in done], directions))
    return [done[i] for i in front]


def single_only(name: str, what: str, directions: tuple[str, ...]) -> UsageError:
    return UsageError(
        f"study {name!r}: {what} needs one direction, this study has {len(directions)} "
        f"{list(directions)}; read study.best_trials (the Pareto front) instead")
