"""In-memory storage: the fastest backend, for one process (tests, notebooks, benchmarks)."""

from __future__ import annotations

import bisect
import copy
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from caviar.errors import ParamConflictError, StudyNotFoundError
from caviar.storage.base import Event, Storage, StudySummary
from caviar.storage.common import REAPED, check_existing, check_study_name, conflict, not_found
from caviar.trial_record import (
    COMPLETE,
    FAIL,
    RUNNING,
    FrozenTrial,
    StudyRecord,
    TrialUpdate,
    better,
)


class _StudyData:
    def __init__(self, record: StudyRecord) -> None:
        self.record = record
        self.trials: list[FrozenTrial] = []
        self.counted = 0  # running + finished-and-counted
        self.lost = 0  # finished uncounted (lost with a worker, interrupted)
        self.seq = 0
        self.counters: dict[str, int] = {}
        self.reports: dict[int, dict[int, float]] = {}
        self.log: list[tuple[int, int]] = []  # (seq, index of the trial it changed)


class MemoryStorage(Storage):
    url = "memory"

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._studies: dict[str, _StudyData] = {}
        self._by_id: dict[int, _StudyData] = {}
        self._trial_study: dict[int, _StudyData] = {}
        self._index: dict[int, int] = {}  # trial id -> position in its study's list
        self._events: list[Event] = []
        self._next_trial_id = 1
        self._next_study_id = 0

    @property
    def shared_between_processes(self) -> bool:
        return False

    def _study(self, study_id: int) -> _StudyData:
        try:
            return self._by_id[study_id]
        except KeyError:
            raise StudyNotFoundError(f"study id {study_id} does not exist in memory") from None

    def create_study(self, name: str, *, direction: str, sampler: dict[str, Any],
                     space: dict[str, Any], load_if_exists: bool = True,
                     user_attrs: dict[str, Any] | None = None,
                     directions: Sequence[str] | None = None) -> StudyRecord:
        check_study_name(name)
        dirs = tuple(directions) if directions else (direction,)
        with self._lock:
            old = self._studies.get(name)
            if old is not None:
                check_existing(old.record, direction, load_if_exists, dirs)
                return old.record
            self._next_study_id += 1
            rec = StudyRecord(self._next_study_id, name, direction, dict(sampler), dict(space),
                              dict(user_attrs or {}), time.time(), dirs)
            data = _StudyData(rec)
            self._studies[name] = data
            self._by_id[rec.id] = data
            return rec

    def get_study(self, name: str) -> StudyRecord:
        with self._lock:
            if name not in self._studies:
                raise StudyNotFoundError(not_found(name, list(self._studies)))
            return self._studies[name].record

    def list_studies(self) -> list[StudySummary]:
        with self._lock:
            return [_summary(d.record, d.trials) for d in self._studies.values()]

    def set_study_attr(self, study_id: int, key: str, value: Any) -> None:
        with self._lock:
            d = self._study(study_id)
            d.record = replace(d.record, user_attrs={**d.record.user_attrs,
                                                     key: copy.deepcopy(value)})

    def set_sampler(self, study_id: int, sampler: dict[str, Any]) -> None:
        with self._lock:
            d = self._study(study_id)
            d.record = replace(d.record, sampler=copy.deepcopy(sampler))

    def delete_study(self, name: str) -> None:
        with self._lock:
            d = self._studies.pop(name, None)
            if d is None:
                raise StudyNotFoundError(not_found(name, list(self._studies)))
            del self._by_id[d.record.id]

    def register_params(self, study_id: int, defs: dict[str, dict[str, Any]]
                        ) -> dict[str, dict[str, Any]]:
        with self._lock:
            d = self._study(study_id)
            space = d.record.space
            for name, pd in defs.items():
                if name in space and space[name] != pd:
                    raise ParamConflictError(conflict(name, space[name], pd))
            new = {k: v for k, v in defs.items() if k not in space}
            if new:
                d.record = replace(d.record, space={**space, **new})
            return dict(d.record.space)

    def create_trials(self, study_id: int, n: int, *, cap: int | None = None,
                      worker: str | None = None,
                      params: Sequence[dict[str, Any]] | None = None,
                      system_attrs: Sequence[dict[str, Any]] | None = None) -> list[FrozenTrial]:
        with self._lock:
            d = self._study(study_id)
            if cap is not None:
                n = max(0, min(n, cap - d.counted))
            if n == 0:
                return []
            d.seq += 1
            now = time.time()
            out = []
            for i in range(n):
                t = FrozenTrial.fast(
                    self._next_trial_id, study_id, len(d.trials), RUNNING, None,
                    dict(params[i]) if params else {}, {},
                    dict(system_attrs[i]) if system_attrs else {}, None, worker, True, now,
                    None, now, d.seq, None)
                self._next_trial_id += 1
                self._index[t.id] = len(d.trials)
                d.log.append((d.seq, len(d.trials)))
                d.trials.append(t)
                self._trial_study[t.id] = d
                out.append(t)
            d.counted += n
            return out

    def _locate(self, trial_id: int) -> tuple[_StudyData, int]:
        return self._trial_study[trial_id], self._index[trial_id]

    def finish_trials(self, updates: Sequence[TrialUpdate]) -> list[bool]:
        out = []
        with self._lock:
            now = time.time()
            for u in updates:
                d, i = self._locate(u.trial_id)
                t = d.trials[i]
                if t.state != RUNNING:
                    out.append(False)
                    continue
                d.seq += 1
                d.log.append((d.seq, i))
                d.trials[i] = FrozenTrial.fast(
                    t.id, t.study_id, t.number, u.state, u.value,
                    # the finished trial hands over its dicts: no copy needed
                    u.params if u.params is not None else t.params,
                    u.user_attrs if u.user_attrs is not None else t.user_attrs,
                    u.system_attrs if u.system_attrs is not None else t.system_attrs,
                    u.error, t.worker, u.counted, t.created_at, now, t.heartbeat_at, d.seq,
                    u.parent_id if u.parent_id is not None else t.parent_id, u.values,
                )
                if not u.counted:
                    d.counted -= 1
                    d.lost += 1
                out.append(True)
        return out

    def discard_unstarted(self, trial_ids: Sequence[int]) -> None:
        """Forget trials this process created in a batch but never ran (memory only: no other
        process can have seen them). Only the newest trials of a study can be discarded."""
        with self._lock:
            for tid in sorted(trial_ids, reverse=True):
                d, i = self._locate(tid)
                if i != len(d.trials) - 1 or d.trials[i].state != "running":
                    continue
                d.trials.pop()
                d.counted -= 1
                del self._index[tid], self._trial_study[tid]

    def add_reports(self, rows: Iterable[tuple[int, int, float]]) -> None:
        with self._lock:
            for trial_id, step, value in rows:
                d = self._trial_study[trial_id]
                d.reports.setdefault(trial_id, {})[int(step)] = float(value)

    def heartbeat(self, trial_ids: Sequence[int],
                  params: dict[int, dict[str, Any]] | None = None) -> None:
        with self._lock:
            now = time.time()
            for tid in trial_ids:
                d, i = self._locate(tid)
                t = d.trials[i]
                if t.state == RUNNING:
                    p = (params or {}).get(tid)
                    d.trials[i] = replace(t, heartbeat_at=now,
                                          params=dict(p) if p is not None else t.params)

    def reap_stale(self, study_id: int, older_than: float) -> list[int]:
        with self._lock:
            d = self._study(study_id)
            limit = time.time() - older_than
            stale = [t.id for t in d.trials
                     if t.state == RUNNING and (t.heartbeat_at or t.created_at) < limit]
        self.finish_trials([TrialUpdate(tid, FAIL, error=REAPED.format(older_than),
                                        counted=False) for tid in stale])
        return stale

    def get_trials(self, study_id: int, *, since: int = 0,
                   states: Sequence[str] | None = None) -> tuple[list[FrozenTrial], int]:
        with self._lock:
            d = self._study(study_id)
            if since == 0:
                ts = d.trials
            else:  # only what changed: the change log is ordered by seq
                start = bisect.bisect_right(d.log, (since, len(d.trials)))
                ts = [d.trials[i] for i in sorted({i for _, i in d.log[start:]})
                      if i < len(d.trials)]
            if states is not None:
                ts = [t for t in ts if t.state in states]
            return list(ts), d.seq

    def lost_count(self, study_id: int) -> int:
        with self._lock:
            return self._study(study_id).lost

    def get_trial(self, trial_id: int) -> FrozenTrial | None:
        with self._lock:
            if trial_id not in self._index:
                return None
            d, i = self._locate(trial_id)
            return d.trials[i]

    def get_reports(self, study_id: int, trial_ids: Sequence[int] | None = None
                    ) -> list[tuple[int, int, float]]:
        with self._lock:
            d = self._study(study_id)
            ids = sorted(d.reports) if trial_ids is None else sorted(trial_ids)
            return [(tid, s, v) for tid in ids for s, v in sorted(d.reports.get(tid, {}).items())]

    def claim(self, study_id: int, counter: str, n: int = 1,
              params: Callable[[int], Mapping[int, dict[str, Any]]] | None = None,
              system_attrs: Mapping[int, dict[str, Any]] | None = None) -> int:
        with self._lock:
            d = self._study(study_id)
            start = d.counters.get(counter, 0)
            d.counters[counter] = start + n
            if params is not None:
                self.heartbeat(list(held := params(start)), dict(held))
                for tid in held:
                    if system_attrs and tid in system_attrs:
                        dd, i = self._locate(tid)
                        if dd.trials[i].state == RUNNING:
                            dd.trials[i] = replace(dd.trials[i], system_attrs=copy.deepcopy(
                                dict(system_attrs[tid])))
            return start

    def add_event(self, trial_id: int, kind: str, payload: dict[str, Any]) -> int:
        with self._lock:
            ev = Event(len(self._events) + 1, trial_id, kind, copy.deepcopy(payload), time.time())
            self._events.append(ev)
            return ev.id

    def get_events(self, trial_id: int, *, after: int = 0) -> list[Event]:
        with self._lock:
            return [e for e in self._events if e.trial_id == trial_id and e.id > after]


def _summary(rec: StudyRecord, trials: Sequence[FrozenTrial]) -> StudySummary:
    counts: dict[str, int] = {}
    best: float | None = None
    for t in trials:
        counts[t.state] = counts.get(t.state, 0) + 1
        if t.state == COMPLETE and t.value is not None and (
                best is None or better(rec.direction, t.value, best)):
            best = t.value
    return StudySummary(rec.name, rec.direction, len(trials), counts, best, rec.created_at,
                        rec.directions)
