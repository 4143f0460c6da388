"""The hot paths of SQLStorage: trials created, finished, heartbeated, reaped and read.

They run prepared SQL (statements.py) on one raw DBAPI connection per thread: SQLAlchemy's
per-statement overhead inside SQLite's write lock would serialize parallel workers. On SQLite a
busy ``BEGIN`` is retried with sub-millisecond sleeps (retry.begin_sqlite). Every write that
changes a trial first bumps its study's row (``seq``), which also serializes writers of one
study on PostgreSQL.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy.engine import Engine

from caviar.errors import StudyNotFoundError
from caviar.storage.common import REAPED
from caviar.storage.sql import statements as S
from caviar.storage.sql.queries import loads
from caviar.storage.sql.retry import begin_sqlite
from caviar.trial_record import FAIL, RUNNING, FrozenTrial, TrialUpdate

_dumps = json.dumps


class HotPaths:
    def __init__(self, engine: Engine, url: str, is_sqlite: bool) -> None:
        self.engine = engine
        self.url = url
        self.is_sqlite = is_sqlite
        self.q = S.as_written if is_sqlite else S.pyformat
        self._local = threading.local()

    # ---------------------------------------------------------------- the connection
    def _raw(self) -> Any:
        raw = getattr(self._local, "raw", None)
        if raw is None or self._local.pid != os.getpid():
            raw = self.engine.raw_connection()
            if self.is_sqlite:
                # SQLite's own busy handler sleeps at least 1 ms per retry; under parallel
                # workers that idles the machine. We retry BEGIN ourselves with short sleeps.
                raw.cursor().execute("PRAGMA busy_timeout = 0")
            self._local.raw, self._local.pid = raw, os.getpid()
        return raw

    def drop(self) -> None:
        """Forget this thread's connection (it was lost); the next call opens a new one."""
        raw = getattr(self._local, "raw", None)
        self._local.raw = None
        if raw is None or self._local.pid != os.getpid():
            return
        for step in (raw.invalidate, raw.close):
            try:
                step()
            except Exception:  # a dead connection may fail to close: it is gone anyway
                continue

    def close(self) -> None:
        raw = getattr(self._local, "raw", None)
        if raw is not None and self._local.pid == os.getpid():
            raw.close()
        self._local = threading.local()

    @contextmanager
    def _tx(self, write: bool = True) -> Iterator[Any]:
        raw = self._raw()
        cur = raw.cursor()
        try:
            if self.is_sqlite:
                begin_sqlite(cur, write)
            yield cur
        except BaseException:
            try:
                raw.rollback()
            except Exception:
                if self.is_sqlite:
                    raise
                # PostgreSQL: the connection is gone, and the server rolled back for us
            raise
        else:
            raw.commit()
        finally:
            try:
                cur.close()
            except Exception:
                if self.is_sqlite:
                    raise

    # ---------------------------------------------------------------- create and finish
    def create_trials(self, study_id: int, n: int, cap: int | None, worker: str | None,
                      params: Sequence[dict[str, Any]] | None,
                      system_attrs: Sequence[dict[str, Any]] | None) -> list[FrozenTrial]:
        with self._tx() as cur:
            return self._create(cur, study_id, n, cap, worker, params, system_attrs)

    def finish_and_create(self, updates: Sequence[TrialUpdate], study_id: int, n: int,
                          cap: int | None, worker: str | None
                          ) -> tuple[list[bool], list[FrozenTrial]]:
        values = _update_rows(updates)
        with self._tx() as cur:
            applied = self._finish(cur, values)
            return applied, self._create(cur, study_id, n, cap, worker, None, None)

    def finish_trials(self, updates: Sequence[TrialUpdate]) -> list[bool]:
        if not updates:
            return []
        values = _update_rows(updates)
        with self._tx() as cur:
            return self._finish(cur, values)

    def _create(self, cur: Any, study_id: int, n: int, cap: int | None, worker: str | None,
                params: Sequence[dict[str, Any]] | None,
                system_attrs: Sequence[dict[str, Any]] | None) -> list[FrozenTrial]:
        q = self.q
        now = time.time()
        if n == 1:  # the hot path: claim a slot and insert, two round trips
            cur.execute(q(S.CLAIM_ONE), {"sid": study_id,
                                         "cap": cap if cap is not None else 2 ** 62})
            got = cur.fetchone()
            if got is not None:
                seq, number, lost = got
                self._local.lost = (study_id, lost)
                cur.execute(q(S.INSERT_TRIAL_RETURNING), {
                    "sid": study_id, "params": _dumps(params[0] if params else {}),
                    "attrs": _dumps(system_attrs[0] if system_attrs else {}),
                    "worker": worker, "now": now, "number": number, "seq": seq})
                tid = cur.fetchone()[0]
                return [FrozenTrial(
                    id=tid, study_id=study_id, number=number, state=RUNNING, value=None,
                    params=dict(params[0]) if params else {},
                    system_attrs=dict(system_attrs[0]) if system_attrs else {},
                    worker=worker, created_at=now, heartbeat_at=now, seq=seq)]
        cur.execute(q(S.STUDY_COUNTS if self.is_sqlite else S.STUDY_COUNTS_LOCK),
                    {"sid": study_id})
        row = cur.fetchone()
        if row is None:
            raise StudyNotFoundError(f"study id {study_id} does not exist in {self.url!r}")
        seq, first, n_counted, lost = row
        self._local.lost = (study_id, lost)
        if cap is not None:
            n = max(0, min(n, cap - n_counted))
        if n <= 0:
            return []
        seq += 1
        cur.execute(q(S.BUMP_CREATE), {"sid": study_id, "seq": seq, "next": first + n,
                                       "counted": n_counted + n})
        rows = [{
            "sid": study_id, "params": _dumps(params[i] if params else {}),
            "attrs": _dumps(system_attrs[i] if system_attrs else {}),
            "worker": worker, "now": now, "number": first + i, "seq": seq,
        } for i in range(n)]
        cur.executemany(q(S.INSERT_TRIAL), rows)
        cur.execute(q(S.TRIAL_IDS), {"sid": study_id, "first": first, "end": first + n})
        ids = [r[0] for r in cur.fetchall()]
        return [FrozenTrial(
            id=tid, study_id=study_id, number=first + i, state=RUNNING, value=None,
            params=dict(params[i]) if params else {},
            system_attrs=dict(system_attrs[i]) if system_attrs else {},
            worker=worker, created_at=now, heartbeat_at=now, seq=seq,
        ) for i, tid in enumerate(ids)]

    def _finish(self, cur: Any, values: list[dict[str, Any]]) -> list[bool]:
        """Finish many trials with a handful of statements (the write lock is held here)."""
        if not values:
            return []
        q = self.q
        now = time.time()
        args = {f"t{i}": v["tid"] for i, v in enumerate(values)}
        marks = ", ".join(f":t{i}" for i in range(len(values)))
        lock = "" if self.is_sqlite else " FOR UPDATE"
        cur.execute(q(S.TRIAL_STATES.format(marks=marks) + lock), args)
        info = {r[0]: (r[1], r[2]) for r in cur.fetchall()}
        seqs: dict[int, int] = {}
        for sid in sorted({info[v["tid"]][0] for v in values if v["tid"] in info}):
            cur.execute(q(S.STUDY_BUMP_SEQ), {"sid": sid})
            seqs[sid] = cur.fetchone()[0]
        applied: list[bool] = []
        rows: list[dict[str, Any]] = []
        uncounted: dict[int, int] = {}
        for v in values:
            sid, state = info.get(v["tid"], (None, None))
            ok = state == RUNNING and sid is not None
            applied.append(ok)
            if ok:
                assert sid is not None
                rows.append({**v, "seq": seqs[sid], "now": now})
                if not v["counted"]:
                    uncounted[sid] = uncounted.get(sid, 0) + 1
        if rows:
            cur.executemany(q(S.FINISH), rows)
        for sid, k in uncounted.items():
            cur.execute(q(S.UNCOUNT), {"sid": sid, "k": k})
        return applied

    # ---------------------------------------------------------------- while trials run
    def add_reports(self, rows: Iterable[tuple[int, int, float]]) -> None:
        now = time.time()
        keyed = {(int(t), int(s)): float(v) for t, s, v in rows}
        if not keyed:
            return
        data = [{"tid": t, "step": s, "value": v, "at": now} for (t, s), v in keyed.items()]
        with self._tx() as cur:
            cur.executemany(self.q(S.DELETE_REPORT), data)
            cur.executemany(self.q(S.INSERT_REPORT), data)

    def heartbeat(self, trial_ids: Sequence[int],
                  params: dict[int, dict[str, Any]] | None) -> None:
        if not trial_ids:
            return
        now = time.time()
        data = [{"tid": t, "now": now,
                 "params": _dumps(params[t]) if params and t in params else None}
                for t in trial_ids]
        with self._tx() as cur:
            cur.executemany(self.q(S.HEARTBEAT), data)

    def reap_stale(self, study_id: int, older_than: float) -> list[int]:
        args = {"sid": study_id, "limit": time.time() - older_than}
        with self._tx(write=False) as cur:  # cheap check first: most calls find nothing
            cur.execute(self.q(S.STALE_ANY), args)
            if cur.fetchone() is None:
                return []
        msg = REAPED.format(older_than)
        with self._tx() as cur:
            cur.execute(self.q(S.STALE), args)
            stale = [r[0] for r in cur.fetchall()]
            applied = self._finish(cur, [{
                "tid": t, "state": FAIL, "value": None, "values": None, "error": msg,
                "counted": 0,
                "params": None, "user_attrs": None, "system_attrs": None, "parent_id": None}
                for t in stale])
        return [t for t, ok in zip(stale, applied, strict=True) if ok]

    def claim(self, study_id: int, counter: str, n: int,
              params: Callable[[int], Mapping[int, dict[str, Any]]] | None = None,
              system_attrs: Mapping[int, dict[str, Any]] | None = None) -> int:
        args = {"sid": study_id, "name": counter, "n": n}
        q = self.q
        with self._tx() as cur:
            # the study row is locked first (PostgreSQL) so two first claims cannot race
            cur.execute(q(S.STUDY_COUNTS if self.is_sqlite else S.STUDY_COUNTS_LOCK), args)
            cur.execute(q(S.COUNTER), args)
            row = cur.fetchone()
            if row is None:
                cur.execute(q(S.COUNTER_INSERT), args)
                start = 0
            else:
                cur.execute(q(S.COUNTER_ADD), args)
                start = int(row[0])
            held = params(start) if params is not None else None
            if held:  # the claimed points reach their trials in this write
                now = time.time()
                cur.executemany(q(S.HEARTBEAT), [
                    {"tid": tid, "now": now, "params": _dumps(p)} for tid, p in held.items()])
                attrs = [{"tid": tid, "attrs": _dumps(system_attrs[tid])}
                         for tid in held if system_attrs and tid in system_attrs]
                if attrs:
                    cur.executemany(q(S.SYSTEM_ATTRS), attrs)
            return start

    # ---------------------------------------------------------------- reads
    def get_trials(self, study_id: int, since: int, states: Sequence[str] | None
                   ) -> tuple[list[FrozenTrial], int]:
        with self._tx(write=False) as cur:
            cur.execute(self.q(S.STUDY_SEQ), {"sid": study_id})
            row = cur.fetchone()
            if row is None:
                raise StudyNotFoundError(f"study id {study_id} does not exist in {self.url!r}")
            if states is None:
                cur.execute(self.q(S.TRIALS), {"sid": study_id, "since": since})
            else:
                args: dict[str, Any] = {"sid": study_id, "since": since}
                names = []
                for i, st in enumerate(states):
                    args[f"s{i}"] = st
                    names.append(f":s{i}")
                cur.execute(self.q(S.TRIALS.replace(
                    " ORDER BY", f" AND state IN ({', '.join(names) or 'NULL'}) ORDER BY")), args)
            rows = cur.fetchall()
        return [_trial(r) for r in rows], row[0]

    def progress(self, study_id: int, direction: str) -> tuple[int, float | None]:
        with self._tx(write=False) as cur:
            cur.execute(self.q(S.COUNT_DONE), {"sid": study_id})
            done = int(cur.fetchone()[0])
            agg = "MIN" if direction == "minimize" else "MAX"
            cur.execute(self.q(S.BEST.format(agg=agg)), {"sid": study_id})
            best = cur.fetchone()[0]
        return done, best

    def lost_count(self, study_id: int) -> int:
        seen = getattr(self._local, "lost", None)
        if seen is not None and seen[0] == study_id:
            return int(seen[1])  # read by this thread's last create: no round trip
        with self._tx(write=False) as cur:
            cur.execute(self.q(S.STUDY_LOST), {"sid": study_id})
            row = cur.fetchone()
        return int(row[0]) if row else 0

    def get_trial(self, trial_id: int) -> FrozenTrial | None:
        with self._tx(write=False) as cur:
            cur.execute(self.q(S.TRIAL), {"tid": trial_id})
            row = cur.fetchone()
        return None if row is None else _trial(row)


def _update_rows(updates: Sequence[TrialUpdate]) -> list[dict[str, Any]]:
    return [{
        "tid": u.trial_id, "state": u.state, "value": u.value, "error": u.error,
        "values": None if u.values is None else _dumps(list(u.values)),
        "counted": int(u.counted), "now": 0.0, "seq": 0,
        "params": None if u.params is None else _dumps(u.params),
        "user_attrs": None if u.user_attrs is None else _dumps(u.user_attrs),
        "system_attrs": None if u.system_attrs is None else _dumps(u.system_attrs),
        "parent_id": u.parent_id,
    } for u in updates]


def _trial(r: Any) -> FrozenTrial:
    return FrozenTrial.fast(r[0], r[1], r[2], r[3], r[4], loads(r[5]), loads(r[6]),
                            loads(r[7]), r[8], r[9], bool(r[10]), r[11], r[12], r[13], r[14],
                            r[15], None if r[16] is None else tuple(json.loads(r[16])))
