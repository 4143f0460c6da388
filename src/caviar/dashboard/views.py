"""The dashboard's server-side state: one incremental cache per study (``since=`` reads), and
the downsampled figure specs, trial pages and trial-table pages built from it.

Big studies stay fast because nothing sends everything: the history and param plots are thinned
to ``max_points`` (keeping every improving trial), parallel coordinates to the best lines, the
learning curves to ``max_curves`` picked trials of at most ``curve_points`` points each, and only
those trials' reports are read. Finished trials' curves are cached; running ones are re-read.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Sequence
from typing import Any

from caviar.dashboard import filters, trial_page
from caviar.space import Space
from caviar.storage import Storage
from caviar.trial_record import COMPLETE, FINISHED, MINIMIZE, RUNNING, FrozenTrial
from caviar.viz import build, data

SORT_KEYS = ("number", "value", "state", "duration")
#: figure kinds ordered or drawn by param importance: sent once importance is computed
NEEDS_IMPORTANCE = frozenset({"importance", "rounds", "contour", "rank"})


class StudyView:
    """One study as the dashboard sees it; every method is safe to call from many threads."""

    def __init__(self, storage: Storage, name: str, *, max_points: int = 1500,
                 max_curves: int = 60, curve_points: int = 100) -> None:
        self.storage = storage
        self.record = storage.get_study(name)  # raises StudyNotFoundError
        self.name = name
        self.space = Space.from_json(self.record.space)
        self.by_number: dict[int, FrozenTrial] = {}
        self.seq = 0
        self.max_points, self.max_curves, self.curve_points = max_points, max_curves, \
            curve_points
        self._lock = threading.RLock()
        self._curves: dict[int, dict[int, float]] = {}  # finished trials' curves by trial id
        self._figs: tuple[int, dict[str, Any]] | None = None
        self._imp: tuple[int, Any] | None = None
        self._imp_thread: threading.Thread | None = None
        self._sorted: dict[tuple[str, bool, str | None], tuple[int, list[FrozenTrial]]] = {}
        self._memo: dict[str, tuple[int, Any]] = {}  # name: (seq, value), see memo()
        self.refreshed_at = 0.0

    # ------------------------------------------------------------------ reading
    def refresh(self, min_interval: float = 0.0) -> int:
        """Read what changed since the last call; returns the study's sequence number."""
        with self._lock:
            if min_interval and time.time() - self.refreshed_at < min_interval:
                return self.seq
            new, seq = self.storage.get_trials(self.record.id, since=self.seq)
            for t in new:
                self.by_number[t.number] = t
            if new and any(n not in self.space for t in new for n in t.params):
                self.record = self.storage.get_study(self.name)  # a define-by-run param met
                self.space = Space.from_json(self.record.space)
            self.seq = max(self.seq, seq)
            self.refreshed_at = time.time()
            return self.seq

    def memo(self, key: str, build: Any, seq: int | None = None) -> Any:
        """``build()`` once per sequence number: what every page load asks first (the summary,
        the history, the encoded figures) is computed once per change of the study, not once
        per request. ``seq``: the number the value was built at, when the caller holds one (a
        request between building and storing may have moved ``self.seq`` on)."""
        with self._lock:
            seq = self.seq if seq is None else seq
            hit = self._memo.get(key)
            if hit is not None and hit[0] == seq:
                return hit[1]
        value = build()
        with self._lock:
            self._memo[key] = (seq, value)
        return value

    def trials(self) -> list[FrozenTrial]:
        with self._lock:
            return [self.by_number[k] for k in sorted(self.by_number)]

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for t in self.trials():
            out[t.state] = out.get(t.state, 0) + 1
        return out

    def best(self) -> FrozenTrial | None:
        best = None
        sign = 1.0 if self.record.direction == MINIMIZE else -1.0
        for t in self.trials():
            if t.state == COMPLETE and t.value is not None and (
                    best is None or sign * t.value < sign * best.value):  # type: ignore[operator]
                best = t
        return best

    def summary(self) -> dict[str, Any]:
        return self.memo("summary", self._summary)  # type: ignore[no-any-return]

    def _summary(self) -> dict[str, Any]:
        best = self.best()
        return {"name": self.name, "direction": self.record.direction, "seq": self.seq,
                "n_trials": len(self.by_number), "counts": self.counts(),
                "best": None if best is None else trial_row(best),
                "space": {n: p.to_json() for n, p in self.space.items()},
                "user_attrs": self.record.user_attrs}

    # ------------------------------------------------------------------ trials table
    def page(self, *, offset: int, limit: int, sort: str, descending: bool,
             state: str | None, ranges: Sequence[Any] = (), text: str | None = None
             ) -> dict[str, Any]:
        """One page of the table. ``offset`` past the end gives the last page (a jump to page
        400 of a table that shrank under a filter still shows rows)."""
        key = (sort, descending, state)
        with self._lock:
            hit = self._sorted.get(key)
            if hit is None or hit[0] != self.seq:
                rows = [t for t in self.trials() if state is None or t.state == state]
                rows.sort(key=_sort_key(sort), reverse=descending)
                if sort != "number":  # trials without the key go last either way
                    have = [t for t in rows if _sort_key(sort)(t)[0] == 0]
                    rows = have + [t for t in rows if _sort_key(sort)(t)[0] != 0]
                self._sorted = {k: v for k, v in self._sorted.items() if v[0] == self.seq}
                self._sorted[key] = hit = (self.seq, rows)
        rows = hit[1]
        if ranges or text:
            rows = filters.apply(rows, ranges, text)
        total = len(rows)
        if offset >= total and total:
            offset = (total - 1) // limit * limit
        return {"total": total, "n_trials": len(self.by_number), "offset": offset,
                "limit": limit, "sort": sort, "order": "desc" if descending else "asc",
                "direction": self.record.direction, "columns": list(self.space),
                "rows": [trial_row(t) for t in rows[offset:offset + limit]]}

    # ------------------------------------------------------------------ figures
    def importance(self, *, wait: bool = True) -> Any:
        """Param importance (a random forest: seconds on a big study), recomputed only when the
        completed trials grew by a tenth. ``wait=False``: the last result, or None while the
        first is computed in a background thread (the figures never wait for it)."""
        ts = self.trials()
        n = sum(1 for t in ts if t.state == COMPLETE)
        with self._lock:
            fresh = self._imp is not None and n < self._imp[0] * 1.1 + 5 and \
                (self._imp[0] > 0 or n == 0)
            if fresh:
                return self._imp[1]  # type: ignore[index]
            if not wait:
                if self._imp_thread is None or not self._imp_thread.is_alive():
                    self._imp_thread = threading.Thread(target=self._compute_importance,
                                                        args=(ts, n), daemon=True)
                    self._imp_thread.start()
                return None if self._imp is None else self._imp[1]
        return self._compute_importance(ts, n)

    def _compute_importance(self, ts: Sequence[FrozenTrial], n: int) -> Any:
        from caviar.analysis.importance import param_importance

        imp = param_importance(ts, self.space, max_trials=1000)
        with self._lock:
            self._imp = (n, imp)
            self._figs = None  # the next figures call carries it
        return imp

    def history_only(self) -> dict[str, Any]:
        """The history figure alone (tens of KB even at 10,000 trials): the page asks for it
        first, so the history is drawn before the full figure set (~0.8 MB there) arrives."""
        return self.memo("history", self._history_only)  # type: ignore[no-any-return]

    def _history_only(self) -> dict[str, Any]:
        directions = tuple(self.record.directions or (self.record.direction,))
        if "history" not in build.kinds_for(directions):
            return {}
        return build.figure_set(self.trials(), self.space, directions, kinds=["history"],
                                max_points=self.max_points)

    def figures(self) -> dict[str, Any]:
        """Downsampled figure specs of the study at its current sequence number (cached).
        ``pending`` lists what is still being computed (importance and the rounds plot that
        orders its axes by it): the page asks again until it is empty."""
        return self.figures_at()[1]

    def figures_at(self) -> tuple[int, dict[str, Any]]:
        """``figures()`` with the sequence number they were built at."""
        with self._lock:
            if self._figs is not None and self._figs[0] == self.seq:
                return self._figs
            seq = self.seq
        ts = self.trials()
        directions = tuple(self.record.directions or (self.record.direction,))
        imp = self.importance(wait=False)
        kinds = build.kinds_for(directions)
        slow = [k for k in kinds if k in NEEDS_IMPORTANCE]
        out: dict[str, Any] = build.figure_set(
            ts, self.space, directions, kinds=kinds if imp is not None else
            [k for k in kinds if k not in NEEDS_IMPORTANCE], reports=self.reports_of,
            events=self.storage.get_events, importance=imp,
            user_attrs=self.record.user_attrs, max_points=self.max_points,
            max_curves=self.max_curves, curve_points=self.curve_points)
        out["pending"] = slow if imp is None else []
        if imp is not None and "importance" in kinds:
            out["importance_table"] = imp.to_json()
        with self._lock:
            if not out["pending"]:
                self._figs = (seq, out)
        return seq, out

    def reports_of(self, ts: Sequence[FrozenTrial]) -> dict[int, dict[int, float]]:
        """Curves of the given trials: cached for finished ones, re-read for running ones."""
        with self._lock:
            need = [t.id for t in ts if t.id not in self._curves or t.state == RUNNING]
        fresh: dict[int, dict[int, float]] = {i: {} for i in need}
        if need:
            for tid, step, v in self.storage.get_reports(self.record.id, need):
                fresh[tid][step] = v
        with self._lock:
            for t in ts:
                if t.id in fresh and t.state in FINISHED:
                    self._curves[t.id] = fresh[t.id]
            if len(self._curves) > 20 * self.max_curves:
                self._curves.clear()
            return {t.id: fresh.get(t.id) or self._curves.get(t.id, {}) for t in ts}

    # ------------------------------------------------------------------ one trial
    def trial_page(self, number: int) -> dict[str, Any] | None:
        with self._lock:
            t = self.by_number.get(number)
        if t is None:
            return None
        fresh = self.storage.get_trial(t.id) if hasattr(self.storage, "get_trial") else None
        t = fresh or t
        curve: dict[int, float] = {}
        for _, step, v in self.storage.get_reports(self.record.id, [t.id]):
            curve[step] = v
        events = self.storage.get_events(t.id)
        steps, values = data.thin_steps(sorted(curve), [curve[s] for s in sorted(curve)], 2000)
        page = trial_page.build(t, events, dict(zip(steps, values, strict=True)))
        return {"trial": {**trial_row(t), "worker": t.worker, "created_at": t.created_at,
                          "finished_at": t.finished_at},
                "n_reports": len(curve), "direction": self.record.direction, **page}


def trial_row(t: FrozenTrial) -> dict[str, Any]:
    """A table row. A member of a population trained together with the others as one program
    and was told at the end with them, so its duration is the population's: ``population``
    says so (size, seconds per member, the epochs this member trained)."""
    row = {"number": t.number, "state": t.state, "value": _json_num(t.value),
           "params": {k: _json_num(v) for k, v in t.params.items()},
           "duration": t.duration, "error": t.error,
           "reason": t.system_attrs.get("pruned_because")}
    size = t.system_attrs.get("population_size")
    if isinstance(size, int) and size > 1:
        row["population"] = {"size": size,
                             "seconds_per_trial": t.system_attrs.get(
                                 "population_seconds_per_trial"),
                             "epochs": t.user_attrs.get("epochs_trained")}
    return row


def _json_num(v: Any) -> Any:
    return None if isinstance(v, float) and not math.isfinite(v) else v


def _sort_key(sort: str) -> Any:
    if sort == "number":
        return lambda t: (0, t.number)
    if sort == "state":
        return lambda t: (0, t.state, t.number)
    if sort == "value":
        return lambda t: (0, t.value, t.number) if t.value is not None else (1, 0.0, t.number)
    if sort == "duration":
        return lambda t: (0, t.duration, t.number) if t.duration is not None else \
            (1, 0.0, t.number)
    name = sort[len("param:"):]

    def key(t: FrozenTrial) -> tuple[int, Any, int]:
        v = t.params.get(name)
        if v is None:
            return (1, "", t.number)
        return (0, (0, v, "") if isinstance(v, int | float) else (1, 0, str(v)), t.number)
    return key
