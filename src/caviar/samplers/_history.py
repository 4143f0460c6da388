"""Helpers shared by the samplers that learn from the history (TPE, coarse to fine)."""

from __future__ import annotations

from typing import Any

from caviar.errors import ParamConflictError
from caviar.samplers.base import History
from caviar.space import Choice, Param
from caviar.trial_record import MAXIMIZE, MINIMIZE, FrozenTrial

_EPS = 1e-9


def direction_of(history: History) -> str:
    """The study's direction: the study's history cache carries its study (minimize else)."""
    d = getattr(history, "direction", None)
    if d is None:
        d = getattr(getattr(history, "study", None), "direction", MINIMIZE)
    return MAXIMIZE if d == MAXIMIZE else MINIMIZE


def directions_of(history: History) -> tuple[str, ...]:
    """The study's directions, one per objective (a history without a study: its
    ``directions``, else its one ``direction_of``)."""
    d = getattr(history, "directions", None)
    if d is None:
        d = getattr(getattr(history, "study", None), "directions", None)
    if not d:
        return (direction_of(history),)
    return tuple(MAXIMIZE if x == MAXIMIZE else MINIMIZE for x in d)


def unit_of(param: Param, value: Any, number: int) -> float:
    """A stored value on the unit interval; a value the definition cannot hold means the
    param's definition changed mid-study, which a learning sampler cannot work across."""
    try:
        u = float(param.to_unit(value))
    except (ValueError, TypeError) as e:
        raise ParamConflictError(_changed(param, value, number, str(e))) from None
    if not (-_EPS <= u <= 1 + _EPS):
        raise ParamConflictError(_changed(param, value, number, "outside its range"))
    return min(max(u, 0.0), 1.0)


def _changed(param: Param, value: Any, number: int, why: str) -> str:
    return (f"param {param.name!r}: trial {number} holds {value!r}, which {param.label} "
            f"{param.to_json()} cannot hold ({why}); the param's definition changed mid-study, "
            "and a learning sampler needs one definition per param; use a new study")


def check_definition(held: dict[str, dict[str, Any]], param: Param) -> None:
    """Remember each param's definition; a second, different one raises ParamConflictError."""
    j = param.to_json()
    old = held.setdefault(param.name, j)
    if old != j:
        raise ParamConflictError(
            f"param {param.name!r}: this sampler learned from definition {old} but is now "
            f"asked for {j}; a learning sampler needs one definition per param during a "
            "study; rename the param or use a new study")


def is_choice(param: Param) -> bool:
    return isinstance(param, Choice)


def last_steps(history: History, trials: list[FrozenTrial]) -> dict[int, int]:
    """The last step each of ``trials`` reported, by trial id, read in one go from the study's
    reports (a history without a study, or a trial with no report, gives none)."""
    study = getattr(history, "study", history)
    reports = getattr(study, "reports", None)
    if not trials or not callable(reports):
        return {}
    curves: dict[int, dict[int, float]] = reports([t.id for t in trials])
    return {tid: max(curve) for tid, curve in curves.items() if curve}
