"""Frozen records of studies and trials, as storage returns them."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

RUNNING = "running"
COMPLETE = "complete"
PRUNED = "pruned"
FAIL = "fail"
STATES = (RUNNING, COMPLETE, PRUNED, FAIL)
FINISHED = (COMPLETE, PRUNED, FAIL)

MINIMIZE = "minimize"
MAXIMIZE = "maximize"


@dataclass(frozen=True)
class StudyRecord:
    """One study as stored. ``directions`` holds one direction per objective; ``direction`` is
    the single direction (the first one when there are several)."""

    id: int
    name: str
    direction: str
    sampler: dict[str, Any]
    space: dict[str, Any]
    user_attrs: dict[str, Any]
    created_at: float
    directions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.directions:  # one direction: a record built without directions has it
            object.__setattr__(self, "directions", (self.direction,))
        elif not isinstance(self.directions, tuple):
            object.__setattr__(self, "directions", tuple(self.directions))

    @property
    def is_multi_objective(self) -> bool:
        return len(self.directions) > 1


@dataclass(frozen=True)
class FrozenTrial:
    """One trial as stored: its params, state, value and bookkeeping.

    ``values`` holds one number per objective and can always be read: ``(value,)`` for a
    study with one direction (None while ``value`` is None). With several directions
    ``value`` is None and ``values`` holds them all."""

    id: int
    study_id: int
    number: int
    state: str
    value: float | None
    params: dict[str, Any]
    user_attrs: dict[str, Any] = field(default_factory=dict)
    system_attrs: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    worker: str | None = None
    counted: bool = True
    created_at: float = 0.0
    finished_at: float | None = None
    heartbeat_at: float | None = None
    seq: int = 0
    parent_id: int | None = None  # lineage: the trial this one retries or branches from
    values: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        if self.values is None:
            if self.value is not None:
                object.__setattr__(self, "values", (self.value,))
        elif not isinstance(self.values, tuple):
            object.__setattr__(self, "values", tuple(self.values))

    @classmethod
    def fast(cls, id: int, study_id: int, number: int, state: str, value: float | None,
             params: dict[str, Any], user_attrs: dict[str, Any],
             system_attrs: dict[str, Any], error: str | None, worker: str | None,
             counted: bool, created_at: float, finished_at: float | None,
             heartbeat_at: float | None, seq: int, parent_id: int | None,
             values: tuple[float, ...] | None = None) -> FrozenTrial:
        """Build a record without the frozen-dataclass ``__init__`` (several times faster;
        the per-trial hot path builds three of these). ``values`` must be a tuple or None
        (None with a ``value`` reads as ``(value,)``)."""
        obj = object.__new__(cls)
        obj.__dict__.update(
            id=id, study_id=study_id, number=number, state=state, value=value, params=params,
            user_attrs=user_attrs, system_attrs=system_attrs, error=error, worker=worker,
            counted=counted, created_at=created_at, finished_at=finished_at,
            heartbeat_at=heartbeat_at, seq=seq, parent_id=parent_id,
            values=values if values is not None or value is None else (value,))
        return obj

    @property
    def duration(self) -> float | None:
        return None if self.finished_at is None else self.finished_at - self.created_at

    @property
    def is_finished(self) -> bool:
        return self.state in FINISHED


@dataclass(frozen=True)
class TrialUpdate:
    """What finishing a trial writes: the end state and everything learned while running."""

    trial_id: int
    state: str
    value: float | None = None
    params: dict[str, Any] | None = None
    user_attrs: dict[str, Any] | None = None
    system_attrs: dict[str, Any] | None = None
    error: str | None = None
    counted: bool = True
    parent_id: int | None = None
    values: tuple[float, ...] | None = None  # several directions: one number per objective


def better(direction: str, a: float, b: float) -> bool:
    """Is value ``a`` strictly better than ``b`` under ``direction``?"""
    return a < b if direction == MINIMIZE else a > b


def is_finite_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
