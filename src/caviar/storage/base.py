"""The Storage contract: WHERE history lives.

Every backend (memory, SQLite, PostgreSQL) implements these methods with the same meaning, and
one contract test suite (tests/storage/test_contract.py) runs against each. The Study is the only
writer; workers in other processes or machines share a study through a storage URL.

Contract, method by method:

* ``create_study(name, direction, sampler, space, load_if_exists, directions=)``: create, or
  load when it exists and ``load_if_exists``; an existing study with another direction (or
  other ``directions``, one per objective of a multi-objective study) raises
  StudyConflictError; nothing is written in that case.
* ``get_study(name)`` / ``list_studies()`` / ``delete_study(name)``;
  ``set_study_attr(study_id, key, value)`` stores one JSON value in the study's user_attrs
  (the CLI keeps the objective and the target there, so ``caviar worker`` can join).
* ``register_params(study_id, defs)``: atomically merge param definitions (JSON) into the
  study's space; a name already held with another definition raises ParamConflictError and
  writes nothing.
* ``create_trials(study_id, n, cap=, worker=, params=, system_attrs=)``: atomically create up to
  ``n`` RUNNING trials with consecutive numbers, but never more than leave ``cap`` trials that
  count (running, or finished with ``counted``); returns the created records (maybe none).
* ``finish_trials(updates)``: move RUNNING trials to an end state in one transaction; an update
  for a trial that is no longer RUNNING (for example reaped) is ignored and reported back
  (False). ``values`` (several directions) is stored beside ``value`` in the same write and
  read back as a tuple; a trial with one direction reads ``values == (value,)``.
  ``params``, ``user_attrs`` and ``system_attrs``, when given, replace the stored ones.
* ``finish_and_create(updates, study_id, n, cap=, worker=)``: both of the above, atomically
  where the backend can.
* ``add_reports(rows)``: intermediate values ``(trial_id, step, value)``; a repeated step
  overwrites; batched.
* ``heartbeat(trial_ids, params=)``: mark RUNNING trials alive (and store params known so far).
* ``reap_stale(study_id, older_than)``: RUNNING trials whose heartbeat is older than
  ``older_than`` seconds become FAIL with ``counted=False``, so their slots are issued again.
* ``get_trials(study_id, since=, states=)``: trials changed after sequence number ``since``
  (0: all), in number order, with the study's current sequence number for the next call.
* ``get_trial(trial_id)``: one trial by id, or None.
* ``lost_count(study_id)``: trials finished uncounted so far (the cue to retry them).
* ``get_reports(study_id, trial_ids=)``: intermediate values, ordered by trial then step.
* ``claim(study_id, counter, n, params=, system_attrs=)``: atomically add ``n`` to a named
  counter and return the value before; parallel workers never get the same indices.
  ``params(start)``, when given, returns ``{trial_id: params}`` stored on those RUNNING trials
  in the same transaction (a claimed grid point or retry is never lost with a worker killed
  right after claiming); ``system_attrs`` (``{trial_id: attrs}``) replace those trials' stored
  ones in that write, for the trials ``params`` named (a retry's ``retry_of`` and ``attempt``
  survive the retry's own worker being killed).
* ``add_event`` / ``get_events``: control events of a trial (nudges, pauses, rewinds).
* ``schema_version`` and ``close()``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from caviar.trial_record import FrozenTrial, StudyRecord, TrialUpdate

SCHEMA_VERSION = 3  # v1: first release; v2: trials.parent_id (lineage); v3: directions, values


@dataclass(frozen=True)
class StudySummary:
    name: str
    direction: str
    n_trials: int
    counts: dict[str, int]
    best_value: float | None  # None for several directions (the best trials are a front)
    created_at: float
    directions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.directions:
            object.__setattr__(self, "directions", (self.direction,))


@dataclass(frozen=True)
class Event:
    id: int
    trial_id: int
    kind: str
    payload: dict[str, Any]
    at: float
    applied_step: int | None = None


class Storage(ABC):
    url: str = ""

    @abstractmethod
    def create_study(self, name: str, *, direction: str, sampler: dict[str, Any],
                     space: dict[str, Any], load_if_exists: bool = True,
                     user_attrs: dict[str, Any] | None = None,
                     directions: Sequence[str] | None = None) -> StudyRecord: ...

    @abstractmethod
    def get_study(self, name: str) -> StudyRecord: ...

    @abstractmethod
    def list_studies(self) -> list[StudySummary]: ...

    @abstractmethod
    def delete_study(self, name: str) -> None: ...

    @abstractmethod
    def set_study_attr(self, study_id: int, key: str, value: Any) -> None: ...

    @abstractmethod
    def set_sampler(self, study_id: int, sampler: dict[str, Any]) -> None: ...

    @abstractmethod
    def register_params(self, study_id: int, defs: dict[str, dict[str, Any]]) -> dict[
            str, dict[str, Any]]: ...

    @abstractmethod
    def create_trials(self, study_id: int, n: int, *, cap: int | None = None,
                      worker: str | None = None,
                      params: Sequence[dict[str, Any]] | None = None,
                      system_attrs: Sequence[dict[str, Any]] | None = None) -> list[FrozenTrial]:
        ...

    @abstractmethod
    def finish_trials(self, updates: Sequence[TrialUpdate]) -> list[bool]: ...

    @abstractmethod
    def add_reports(self, rows: Iterable[tuple[int, int, float]]) -> None: ...

    @abstractmethod
    def heartbeat(self, trial_ids: Sequence[int],
                  params: dict[int, dict[str, Any]] | None = None) -> None: ...

    @abstractmethod
    def reap_stale(self, study_id: int, older_than: float) -> list[int]: ...

    @abstractmethod
    def get_trials(self, study_id: int, *, since: int = 0,
                   states: Sequence[str] | None = None) -> tuple[list[FrozenTrial], int]: ...

    def progress(self, study_id: int, direction: str) -> tuple[int, float | None]:
        """(trials finished that count, best complete value): what a progress bar shows."""
        trials, _ = self.get_trials(study_id)
        done = sum(1 for t in trials if t.counted and t.state != "running")
        vals = [t.value for t in trials if t.state == "complete" and t.value is not None]
        best = (min(vals) if direction == "minimize" else max(vals)) if vals else None
        return done, best

    def lost_count(self, study_id: int) -> int:
        """How many of the study's trials finished uncounted (lost or interrupted). SQL
        backends answer from the value their last ``create_trials`` in this thread read."""
        raise NotImplementedError

    def get_trial(self, trial_id: int) -> FrozenTrial | None:
        """One trial by id (None when it does not exist)."""
        raise NotImplementedError

    @abstractmethod
    def get_reports(self, study_id: int, trial_ids: Sequence[int] | None = None
                    ) -> list[tuple[int, int, float]]: ...

    @abstractmethod
    def claim(self, study_id: int, counter: str, n: int = 1,
              params: Callable[[int], Mapping[int, dict[str, Any]]] | None = None,
              system_attrs: Mapping[int, dict[str, Any]] | None = None) -> int: ...

    @abstractmethod
    def add_event(self, trial_id: int, kind: str, payload: dict[str, Any]) -> int: ...

    @abstractmethod
    def get_events(self, trial_id: int, *, after: int = 0) -> list[Event]: ...

    def finish_and_create(self, updates: Sequence[TrialUpdate], study_id: int, n: int, *,
                          cap: int | None = None, worker: str | None = None
                          ) -> tuple[list[bool], list[FrozenTrial]]:
        """``finish_trials`` then ``create_trials``; SQL backends do both in one transaction
        (the worker loop's hot path: one write per trial instead of two)."""
        return self.finish_trials(updates), self.create_trials(study_id, n, cap=cap,
                                                               worker=worker)

    @property
    def schema_version(self) -> int:
        return SCHEMA_VERSION

    @property
    def shared_between_processes(self) -> bool:
        return True

    def close(self) -> None:  # noqa: B027 - optional hook
        pass
