"""The Trial handle an objective receives: suggest params, report steps, ask to prune.

States and frozen records live in ``caviar.trial_record`` and are re-exported here.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from caviar.errors import SpaceError, TrialPruned
from caviar.samplers.stream import Stream
from caviar.space import Choice, Float, Int, Param
from caviar.trial_record import (
    COMPLETE,
    FAIL,
    FINISHED,
    PRUNED,
    RUNNING,
    STATES,
    FrozenTrial,
    TrialUpdate,
)

if TYPE_CHECKING:
    from caviar.study import Study

__all__ = [
    "COMPLETE", "FAIL", "FINISHED", "PRUNED", "RUNNING", "STATES", "FrozenTrial", "Trial",
    "TrialPruned", "TrialUpdate",
]


class Trial:
    """One running trial. Params come from the study's sampler; values are stored on finish
    (and with every heartbeat while running)."""

    __slots__ = ("_done", "_panda", "_proposed", "_rng", "_study", "id", "number", "params",
                 "record", "reports", "system_attrs", "user_attrs")

    def __init__(self, study: Study, record: FrozenTrial, proposed: dict[str, Any],
                 rng: Stream) -> None:
        self._study = study
        self.record = record
        self.id = record.id
        self.number = record.number
        self._proposed = proposed
        self._rng = rng
        self.params: dict[str, Any] = {}
        self.user_attrs: dict[str, Any] = {}
        self.system_attrs: dict[str, Any] = dict(record.system_attrs)
        self.reports: dict[int, float] = {}
        self._done = False
        self._panda: Any = None  # a caviar.panda controller while the trial is babysat

    def __repr__(self) -> str:
        return f"Trial(number={self.number}, params={self.params})"

    def proposal(self) -> dict[str, Any]:
        """The params this trial is to run with, for the process that runs it (a Ray task):
        those suggested here and those proposed but not asked yet (a retry's, say)."""
        return {**self._proposed, **self.params}

    # ------------------------------------------------------------------ suggest
    def suggest(self, name: str, param: Param) -> Any:
        """The value of ``name`` for this trial, defined by ``param`` (Float, Int or Choice)."""
        return self._value(name, self._study.declare(name, param))

    def _value(self, name: str, p: Param) -> Any:
        params = self.params
        if name in params:
            return params[name]
        v = self._proposed[name] if name in self._proposed else \
            self._study.sampler.sample_param(p, self._rng)
        params[name] = v
        return v

    def _cached(self, key: tuple[Any, ...], make: Any) -> Any:
        """Fast path: a (name, definition) key seen before maps straight to the checked param."""
        cache = self._study._suggest_cache
        p = cache.get(key)
        if p is None:
            p = cache[key] = self._study.declare(key[1], make())
        return self._value(key[1], p)

    def suggest_float(self, name: str, low: float, high: float, *, log: bool = False,
                      scale: str | None = None, step: float | None = None) -> float:
        """A float in [low, high]; ``log=True`` or ``scale='log'`` for log-uniform,
        ``scale='reverse_log'`` for momentum-like params (1 - x log-uniform)."""
        v: float = self._cached(
            ("f", name, low, high, log, scale, step),
            lambda: Float(low, high, scale=_scale(name, log, scale), step=step, name=name))
        return v

    def suggest_int(self, name: str, low: int, high: int, *, log: bool = False,
                    scale: str | None = None, step: int = 1) -> int:
        v: int = self._cached(
            ("i", name, low, high, log, scale, step),
            lambda: Int(low, high, scale=_scale(name, log, scale), step=step, name=name))
        return v

    def suggest_categorical(self, name: str, choices: Any) -> Any:
        try:
            key: tuple[Any, ...] = ("c", name, tuple(choices), tuple(map(type, choices)))
        except TypeError:
            return self.suggest(name, Choice(choices, name=name))
        return self._cached(key, lambda: Choice(tuple(choices), name=name))

    suggest_choice = suggest_categorical

    # ------------------------------------------------------------------ learning curves
    def report(self, value: float, step: int) -> None:
        """Record an intermediate value (a learning-curve point) at ``step``."""
        if isinstance(value, bool) or not isinstance(value, int | float | np.number):
            raise SpaceError(f"trial {self.number}: report needs a number, got {value!r}")
        if isinstance(step, bool) or not isinstance(step, int | np.integer) or step < 0:
            raise SpaceError(f"trial {self.number}: report step must be an int >= 0, "
                             f"got step={step!r}")
        self.reports[int(step)] = float(value)
        self._study._report(self, int(step), float(value))
        if self._panda is not None:  # babysat: a step boundary applies nudges, pause, stop
            self._panda.boundary(self, int(step))

    def hyper(self, name: str) -> Any:
        """The current value of the mutable param ``name`` (suggest it first). Read it every
        epoch: in a babysat run (caviar.panda) a nudge changes it at the next ``report``;
        otherwise it is ``params[name]``. Params never read through ``hyper`` are immutable."""
        if name not in self.params:
            raise SpaceError(f"trial {self.number}: hyper({name!r}) needs the param suggested "
                             f"first, got only {sorted(self.params)}; call trial.suggest_*"
                             f"({name!r}, ...) before trial.hyper({name!r})")
        if self._panda is None:
            return self.params[name]
        return self._panda.hyper(self, name)

    def should_prune(self) -> bool:
        """Ask the study's pruner whether this trial should stop now."""
        return self._study._should_prune(self)

    def set_user_attr(self, key: str, value: Any) -> None:
        self.user_attrs[key] = value

    # ------------------------------------------------------------------ checkpoints
    def checkpoint(self, state: Any, step: int | None = None) -> str:
        """Save ``state`` (arrays, tensors, numbers, strings, lists, dicts) as this trial's
        checkpoint at ``step`` (default: the last reported step). Returns the file's path."""
        import os

        from caviar import artifacts

        if step is None:
            step = max(self.reports) if self.reports else 0
        root = self._study.artifacts_dir
        rel = os.path.join(_safe_name(self._study.name), f"trial-{self.number}",
                           f"step-{int(step)}.npz")
        artifacts.save(os.path.join(root, rel), state)
        self._study.flush()
        # the params known so far go with it, so a retry after a crash finds them
        self._study.storage.heartbeat([self.id], {self.id: dict(self.params)})
        self._study.storage.add_event(self.id, "checkpoint", {"path": rel, "step": int(step)})
        if self._panda is not None:  # babysat: a stop asked at this step lands after the save
            self._panda.checkpointed(int(step), rel)
        return os.path.join(root, rel)

    def restore(self) -> tuple[Any, int] | None:
        """The latest checkpoint of this trial or, for a retry, of the trial it retries:
        ``(state, step)``, or None when there is none."""
        import os

        from caviar import artifacts

        # a branch (caviar rewind) starts from one step of another trial: restore_from
        branch = self.system_attrs.get("restore_from") or {}
        for tid, step in ((self.id, None), (self.system_attrs.get("retry_of_id"), None),
                          (branch.get("trial_id"), branch.get("step"))):
            if tid is None:
                continue
            marks = [e for e in self._study.storage.get_events(int(tid)) if e.kind == "checkpoint"
                     and (step is None or int(e.payload["step"]) == int(step))]
            if marks:
                last = marks[-1].payload
                state = artifacts.load(os.path.join(self._study.artifacts_dir, last["path"]))
                return state, int(last["step"])
        return None

    @property
    def last_report(self) -> float | None:
        if not self.reports:
            return None
        v = self.reports[max(self.reports)]
        return v if math.isfinite(v) else None


def _safe_name(name: str) -> str:
    import re

    return re.sub(r"[^A-Za-z0-9._-]+", "_", name)[:120] or "study"


def _scale(name: str, log: bool, scale: str | None) -> str:
    if log and scale not in (None, "log"):
        raise SpaceError(f"param {name!r}: log=True contradicts scale={scale!r}; pass only one")
    return "log" if log else (scale or "linear")
