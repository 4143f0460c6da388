"""SQL storage on SQLAlchemy Core: SQLite (the embedded default) and, later, PostgreSQL.

Writes are short transactions. On SQLite each write transaction starts with ``BEGIN IMMEDIATE``
(so two writers never deadlock upgrading a read lock), the journal is WAL, and synchronous is
NORMAL (durable across process crashes; a power cut may lose the last commits, never corrupt).
Every write that changes a trial first bumps its study's row (``seq``), which also serializes
writers of one study on PostgreSQL.
"""

from __future__ import annotations

import functools
import json
import os
import random
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import Connection, create_engine, event, func, inspect, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DatabaseError, IntegrityError, OperationalError

from caviar.errors import (
    ParamConflictError,
    SchemaVersionError,
    StorageError,
    StudyNotFoundError,
)
from caviar.storage.base import SCHEMA_VERSION, Event, Storage, StudySummary
from caviar.storage.common import REAPED, check_existing, not_found
from caviar.storage.sql.schema import counters, events, meta, metadata, reports, studies, trials
from caviar.trial_record import (
    COMPLETE,
    FAIL,
    MINIMIZE,
    RUNNING,
    FrozenTrial,
    StudyRecord,
    TrialUpdate,
)

_dumps = json.dumps
F = TypeVar("F", bound=Callable[..., Any])


def _loads(s: str | None) -> Any:
    return {} if s is None or s == "{}" else json.loads(s)


_RETRY_STATES = {"40001", "40P01"}  # serialization failure, deadlock detected


def _retrying(fn: F) -> F:
    """Re-run a whole write when PostgreSQL aborts it for a serialization failure or a
    deadlock (the transaction was rolled back, so running it again is safe)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        for attempt in range(6):
            try:
                return fn(*args, **kwargs)
            except Exception as e:
                state = getattr(e, "sqlstate", None) or getattr(getattr(e, "orig", None),
                                                                "sqlstate", None)
                if state not in _RETRY_STATES or attempt == 5:
                    raise
                time.sleep(0.005 * (2 ** attempt) * (0.5 + random.random()))
        raise AssertionError("unreachable")

    return wrapper  # type: ignore[return-value]


class SQLStorage(Storage):
    def __init__(self, url: str, *, engine: Engine | None = None) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        self.engine = engine or self._make_engine(url)
        self._local = threading.local()
        self._open_schema()

    # ---------------------------------------------------------------- connection handling
    def _make_engine(self, url: str) -> Engine:
        if self.is_sqlite:
            self._precheck_sqlite(url)
            engine = create_engine(url, connect_args={"timeout": 60.0})

            @event.listens_for(engine, "connect")
            def _on_connect(dbapi_conn: Any, _rec: Any) -> None:
                dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
                cur = dbapi_conn.cursor()
                cur.execute("PRAGMA journal_mode=WAL")
                cur.execute("PRAGMA synchronous=NORMAL")
                cur.execute("PRAGMA mmap_size=268435456")  # re-reading pages after another
                # worker's commit is then a memory copy, not a read() per page
                cur.execute("PRAGMA foreign_keys=ON")
                cur.close()

            return engine
        try:
            return create_engine(url, pool_pre_ping=True, pool_size=2, max_overflow=4,
                                 connect_args={"connect_timeout": 10})
        except ImportError:
            raise StorageError(
                f"storage {_safe(url)!r}: PostgreSQL needs the psycopg driver; install it with "
                "pip install 'caviar[postgres]'") from None

    def _precheck_sqlite(self, url: str) -> None:
        """Refuse a foreign file before the engine switches it to WAL mode."""
        import sqlite3

        path = sqlite_path(url)
        if not os.path.exists(path) or os.path.getsize(path) == 0:
            return
        try:
            con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            try:
                names = {r[0] for r in con.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table'")}
                version = None
                if meta.name in names:
                    row = con.execute(f"SELECT value FROM {meta.name} "
                                      "WHERE key = 'schema_version'").fetchone()
                    version = int(row[0]) if row else None
            finally:
                con.close()
        except sqlite3.DatabaseError as e:
            raise StorageError(
                f"storage {url!r}: file {path!r} is not a SQLite database ({e}); point caviar "
                "at a new file or an existing caviar database") from None
        if names and meta.name not in names:
            raise StorageError(
                f"storage {url!r}: is not a caviar database (it holds tables "
                f"{sorted(names)[:5]} but no {meta.name}); point caviar at a new file or an "
                "empty database")
        if version is not None and version != SCHEMA_VERSION:
            _check_version(url, version)  # before anything (WAL mode included) is written

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            if self.is_sqlite:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.rollback()
                raise
            conn.commit()

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            yield conn
            conn.rollback()

    def _open_schema(self) -> None:
        where = self.url
        try:
            with self.engine.connect() as conn:
                names = set(inspect(conn).get_table_names())
        except (OperationalError, DatabaseError) as e:
            raise StorageError(_open_error(_safe(where), _first_line(e))) from None
        if meta.name not in names:
            if names:
                raise StorageError(
                    f"storage {where!r}: is not a caviar database (it holds tables "
                    f"{sorted(names)[:5]} but no {meta.name}); point caviar at a new file or an "
                    "empty database"
                )
            with self._write() as conn:
                metadata.create_all(conn, checkfirst=True)
                if conn.execute(select(meta.c.value).where(meta.c.key == "schema_version")
                                ).first() is None:
                    conn.execute(meta.insert(), [
                        {"key": "schema_version", "value": str(SCHEMA_VERSION)},
                        {"key": "created_at", "value": repr(time.time())},
                    ])
            return
        with self._read() as conn:
            row = conn.execute(select(meta.c.value).where(meta.c.key == "schema_version")).first()
        version = int(row[0]) if row else 0
        _check_version(where, version)

    @property
    def schema_version(self) -> int:
        with self._read() as conn:
            row = conn.execute(select(meta.c.value).where(meta.c.key == "schema_version")).one()
        return int(row[0])

    def close(self) -> None:
        raw = getattr(self._local, "raw", None)
        if raw is not None and self._local.pid == os.getpid():
            raw.close()
        self._local = threading.local()
        self.engine.dispose()

    # ---------------------------------------------------------------- studies
    def _study_record(self, row: Any) -> StudyRecord:
        return StudyRecord(row.id, row.name, row.direction, _loads(row.sampler),
                           _loads(row.space), _loads(row.user_attrs), row.created_at)

    def create_study(self, name: str, *, direction: str, sampler: dict[str, Any],
                     space: dict[str, Any], load_if_exists: bool = True,
                     user_attrs: dict[str, Any] | None = None) -> StudyRecord:
        for _ in range(3):
            try:
                with self._write() as conn:
                    row = conn.execute(select(studies).where(studies.c.name == name)).first()
                    if row is not None:
                        rec = self._study_record(row)
                        check_existing(rec, direction, load_if_exists)
                        return rec
                    conn.execute(studies.insert().values(
                        name=name, direction=direction, sampler=_dumps(sampler),
                        space=_dumps(space), user_attrs=_dumps(user_attrs or {}),
                        created_at=time.time(), seq=0, next_number=0, n_counted=0,
                        n_lost=0))
                    row = conn.execute(select(studies).where(studies.c.name == name)).one()
                    return self._study_record(row)
            except IntegrityError:  # created concurrently by another machine: load it
                continue
        return self.get_study(name)

    def get_study(self, name: str) -> StudyRecord:
        with self._read() as conn:
            row = conn.execute(select(studies).where(studies.c.name == name)).first()
            if row is None:
                known = [r[0] for r in conn.execute(select(studies.c.name).limit(11))]
                raise StudyNotFoundError(not_found(name, known))
        return self._study_record(row)

    def list_studies(self) -> list[StudySummary]:
        with self._read() as conn:
            rows = conn.execute(select(studies).order_by(studies.c.id)).all()
            counts = conn.execute(select(trials.c.study_id, trials.c.state, func.count())
                                  .group_by(trials.c.study_id, trials.c.state)).all()
            best = conn.execute(
                select(trials.c.study_id, func.min(trials.c.value), func.max(trials.c.value))
                .where(trials.c.state == COMPLETE).group_by(trials.c.study_id)).all()
        by_study: dict[int, dict[str, int]] = {}
        for sid, state, c in counts:
            by_study.setdefault(sid, {})[state] = c
        bests = {sid: (lo, hi) for sid, lo, hi in best}
        out = []
        for r in rows:
            c = by_study.get(r.id, {})
            lo_hi = bests.get(r.id)
            b = None if lo_hi is None else (lo_hi[0] if r.direction == MINIMIZE else lo_hi[1])
            out.append(StudySummary(r.name, r.direction, sum(c.values()), c, b, r.created_at))
        return out

    def set_study_attr(self, study_id: int, key: str, value: Any) -> None:
        with self._write() as conn:
            row = conn.execute(select(studies.c.user_attrs).where(studies.c.id == study_id)
                               .with_for_update()).first()
            if row is None:
                raise StudyNotFoundError(f"study id {study_id} does not exist in {self.url!r}")
            attrs = _loads(row[0])
            attrs[key] = value
            conn.execute(studies.update().where(studies.c.id == study_id)
                         .values(user_attrs=_dumps(attrs)))

    def delete_study(self, name: str) -> None:
        rec = self.get_study(name)
        with self._write() as conn:
            ids = select(trials.c.id).where(trials.c.study_id == rec.id)
            conn.execute(reports.delete().where(reports.c.trial_id.in_(ids)))
            conn.execute(events.delete().where(events.c.trial_id.in_(ids)))
            conn.execute(trials.delete().where(trials.c.study_id == rec.id))
            conn.execute(counters.delete().where(counters.c.study_id == rec.id))
            conn.execute(studies.delete().where(studies.c.id == rec.id))

    @_retrying
    def register_params(self, study_id: int, defs: dict[str, dict[str, Any]]
                        ) -> dict[str, dict[str, Any]]:
        with self._write() as conn:
            row = conn.execute(select(studies.c.space).where(studies.c.id == study_id)
                               .with_for_update()).first()
            if row is None:
                raise StudyNotFoundError(f"study id {study_id} does not exist in {self.url!r}")
            space = _loads(row[0])
            for name, pd in defs.items():
                if name in space and space[name] != pd:
                    raise ParamConflictError(
                        f"param {name!r}: a study keeps one definition per param, it holds "
                        f"{space[name]} but got {pd}; rename the new param or use a new study")
            new = {k: v for k, v in defs.items() if k not in space}
            if new:
                space.update(new)
                conn.execute(studies.update().where(studies.c.id == study_id)
                             .values(space=_dumps(space)))
            return dict(space)

    # ---------------------------------------------------------------- trials (hot paths)
    # These run on a raw DBAPI connection per thread with prepared SQL strings: SQLAlchemy's
    # per-statement overhead inside a write lock would serialize parallel workers.
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

    def _begin(self, cur: Any, write: bool) -> None:
        import sqlite3

        statement = "BEGIN IMMEDIATE" if write else "BEGIN"
        delay, deadline = 5e-5, time.monotonic() + 120.0
        while True:
            try:
                cur.execute(statement)
                return
            except sqlite3.OperationalError as e:
                msg = str(e)
                if ("locked" not in msg and "busy" not in msg) or time.monotonic() > deadline:
                    raise
            time.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 1.5, 0.0005)

    @contextmanager
    def _tx(self, write: bool = True) -> Iterator[Any]:
        raw = self._raw()
        cur = raw.cursor()
        try:
            if self.is_sqlite:
                self._begin(cur, write)
            yield cur
        except BaseException:
            raw.rollback()
            raise
        else:
            raw.commit()
        finally:
            cur.close()

    def _q(self, sql: str) -> str:
        return sql if self.is_sqlite else _NAMED.sub(r"%(\1)s", sql)

    @_retrying
    def create_trials(self, study_id: int, n: int, *, cap: int | None = None,
                      worker: str | None = None,
                      params: Sequence[dict[str, Any]] | None = None,
                      system_attrs: Sequence[dict[str, Any]] | None = None) -> list[FrozenTrial]:
        with self._tx() as cur:
            return self._create(cur, study_id, n, cap, worker, params, system_attrs)

    @_retrying
    def finish_and_create(self, updates: Sequence[TrialUpdate], study_id: int, n: int, *,
                          cap: int | None = None, worker: str | None = None
                          ) -> tuple[list[bool], list[FrozenTrial]]:
        values = _update_rows(updates)
        with self._tx() as cur:
            applied = self._finish(cur, values)
            return applied, self._create(cur, study_id, n, cap, worker, None, None)

    def _create(self, cur: Any, study_id: int, n: int, cap: int | None, worker: str | None,
                params: Sequence[dict[str, Any]] | None,
                system_attrs: Sequence[dict[str, Any]] | None) -> list[FrozenTrial]:
        q = self._q
        now = time.time()
        if n == 1:  # the hot path: claim a slot and insert, two round trips
            cur.execute(q(_SQL_CLAIM_ONE), {"sid": study_id,
                                            "cap": cap if cap is not None else 2 ** 62})
            got = cur.fetchone()
            if got is not None:
                seq, number, lost = got
                self._local.lost = (study_id, lost)
                cur.execute(q(_SQL_INSERT_TRIAL + " RETURNING id"), {
                    "sid": study_id, "params": _dumps(params[0] if params else {}),
                    "attrs": _dumps(system_attrs[0] if system_attrs else {}),
                    "worker": worker, "now": now, "number": number, "seq": seq})
                tid = cur.fetchone()[0]
                return [FrozenTrial(
                    id=tid, study_id=study_id, number=number, state=RUNNING, value=None,
                    params=dict(params[0]) if params else {},
                    system_attrs=dict(system_attrs[0]) if system_attrs else {},
                    worker=worker, created_at=now, heartbeat_at=now, seq=seq)]
        cur.execute(q(_SQL_STUDY_COUNTS if self.is_sqlite else _SQL_STUDY_COUNTS_LOCK),
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
        cur.execute(q(_SQL_BUMP_CREATE), {"sid": study_id, "seq": seq, "next": first + n,
                                          "counted": n_counted + n})
        rows = [{
            "sid": study_id, "params": _dumps(params[i] if params else {}),
            "attrs": _dumps(system_attrs[i] if system_attrs else {}),
            "worker": worker, "now": now, "number": first + i, "seq": seq,
        } for i in range(n)]
        cur.executemany(q(_SQL_INSERT_TRIAL), rows)
        cur.execute(q(_SQL_TRIAL_IDS), {"sid": study_id, "first": first, "end": first + n})
        ids = [r[0] for r in cur.fetchall()]
        return [FrozenTrial(
            id=tid, study_id=study_id, number=first + i, state=RUNNING, value=None,
            params=dict(params[i]) if params else {},
            system_attrs=dict(system_attrs[i]) if system_attrs else {},
            worker=worker, created_at=now, heartbeat_at=now, seq=seq,
        ) for i, tid in enumerate(ids)]

    @_retrying
    def finish_trials(self, updates: Sequence[TrialUpdate]) -> list[bool]:
        if not updates:
            return []
        values = _update_rows(updates)
        with self._tx() as cur:
            return self._finish(cur, values)

    def _finish(self, cur: Any, values: list[dict[str, Any]]) -> list[bool]:
        """Finish many trials with a handful of statements (the write lock is held here)."""
        if not values:
            return []
        q = self._q
        now = time.time()
        args = {f"t{i}": v["tid"] for i, v in enumerate(values)}
        marks = ", ".join(f":t{i}" for i in range(len(values)))
        lock = "" if self.is_sqlite else " FOR UPDATE"
        cur.execute(q(f"SELECT id, study_id, state FROM caviar_trials WHERE id IN ({marks})"
                      + lock), args)
        info = {r[0]: (r[1], r[2]) for r in cur.fetchall()}
        seqs: dict[int, int] = {}
        for sid in sorted({info[v["tid"]][0] for v in values if v["tid"] in info}):
            cur.execute(q("UPDATE caviar_studies SET seq = seq + 1 WHERE id = :sid "
                          "RETURNING seq"), {"sid": sid})
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
            cur.executemany(q(_SQL_FINISH), rows)
        for sid, k in uncounted.items():
            cur.execute(q(_SQL_UNCOUNT), {"sid": sid, "k": k})
        return applied

    @_retrying
    def add_reports(self, rows: Iterable[tuple[int, int, float]]) -> None:
        now = time.time()
        keyed = {(int(t), int(s)): float(v) for t, s, v in rows}
        if not keyed:
            return
        data = [{"tid": t, "step": s, "value": v, "at": now} for (t, s), v in keyed.items()]
        with self._tx() as cur:
            cur.executemany(self._q(_SQL_DELETE_REPORT), data)
            cur.executemany(self._q(_SQL_INSERT_REPORT), data)

    @_retrying
    def heartbeat(self, trial_ids: Sequence[int],
                  params: dict[int, dict[str, Any]] | None = None) -> None:
        if not trial_ids:
            return
        now = time.time()
        data = [{"tid": t, "now": now,
                 "params": _dumps(params[t]) if params and t in params else None}
                for t in trial_ids]
        with self._tx() as cur:
            cur.executemany(self._q(_SQL_HEARTBEAT), data)

    @_retrying
    def reap_stale(self, study_id: int, older_than: float) -> list[int]:
        args = {"sid": study_id, "limit": time.time() - older_than}
        with self._tx(write=False) as cur:  # cheap check first: most calls find nothing
            cur.execute(self._q(_SQL_STALE + " LIMIT 1"), args)
            if cur.fetchone() is None:
                return []
        msg = REAPED.format(older_than)
        with self._tx() as cur:
            cur.execute(self._q(_SQL_STALE), args)
            stale = [r[0] for r in cur.fetchall()]
            applied = self._finish(cur, [{
                "tid": t, "state": FAIL, "value": None, "error": msg, "counted": 0,
                "params": None, "user_attrs": None, "system_attrs": None, "parent_id": None}
                for t in stale])
        return [t for t, ok in zip(stale, applied, strict=True) if ok]

    def get_trials(self, study_id: int, *, since: int = 0,
                   states: Sequence[str] | None = None) -> tuple[list[FrozenTrial], int]:
        with self._tx(write=False) as cur:
            cur.execute(self._q("SELECT seq FROM caviar_studies WHERE id = :sid"),
                        {"sid": study_id})
            row = cur.fetchone()
            if row is None:
                raise StudyNotFoundError(f"study id {study_id} does not exist in {self.url!r}")
            if states is None:
                cur.execute(self._q(_SQL_TRIALS), {"sid": study_id, "since": since})
            else:
                args: dict[str, Any] = {"sid": study_id, "since": since}
                names = []
                for i, st in enumerate(states):
                    args[f"s{i}"] = st
                    names.append(f":s{i}")
                cur.execute(self._q(_SQL_TRIALS.replace(
                    " ORDER BY", f" AND state IN ({', '.join(names) or 'NULL'}) ORDER BY")), args)
            rows = cur.fetchall()
        return [_trial(r) for r in rows], row[0]

    def progress(self, study_id: int, direction: str) -> tuple[int, float | None]:
        with self._tx(write=False) as cur:
            cur.execute(self._q(
                "SELECT COUNT(*) FROM caviar_trials WHERE study_id = :sid AND counted = 1 "
                "AND state <> 'running'"), {"sid": study_id})
            done = int(cur.fetchone()[0])
            agg = "MIN" if direction == "minimize" else "MAX"
            cur.execute(self._q(f"SELECT {agg}(value) FROM caviar_trials WHERE study_id = :sid "
                                "AND state = 'complete'"), {"sid": study_id})
            best = cur.fetchone()[0]
        return done, best

    def lost_count(self, study_id: int) -> int:
        seen = getattr(self._local, "lost", None)
        if seen is not None and seen[0] == study_id:
            return int(seen[1])  # read by this thread's last create: no round trip
        with self._tx(write=False) as cur:
            cur.execute(self._q("SELECT n_lost FROM caviar_studies WHERE id = :sid"),
                        {"sid": study_id})
            row = cur.fetchone()
        return int(row[0]) if row else 0

    def get_trial(self, trial_id: int) -> FrozenTrial | None:
        with self._tx(write=False) as cur:
            cur.execute(self._q(f"SELECT {_TRIAL_COLS} FROM caviar_trials WHERE id = :tid"),
                        {"tid": trial_id})
            row = cur.fetchone()
        return None if row is None else _trial(row)

    def get_reports(self, study_id: int, trial_ids: Sequence[int] | None = None
                    ) -> list[tuple[int, int, float]]:
        q = select(reports.c.trial_id, reports.c.step, reports.c.value)
        if trial_ids is None:
            q = q.where(reports.c.trial_id.in_(
                select(trials.c.id).where(trials.c.study_id == study_id)))
        else:
            q = q.where(reports.c.trial_id.in_(list(trial_ids)))
        with self._read() as conn:
            rows = conn.execute(q.order_by(reports.c.trial_id, reports.c.step)).all()
        return [(r[0], r[1], r[2]) for r in rows]

    @_retrying
    def claim(self, study_id: int, counter: str, n: int = 1) -> int:
        args = {"sid": study_id, "name": counter, "n": n}
        with self._tx() as cur:
            # the study row is locked first (PostgreSQL) so two first claims cannot race
            cur.execute(self._q(_SQL_STUDY_COUNTS if self.is_sqlite else _SQL_STUDY_COUNTS_LOCK),
                        args)
            cur.execute(self._q("SELECT value FROM caviar_counters WHERE study_id = :sid "
                                "AND name = :name"), args)
            row = cur.fetchone()
            if row is None:
                cur.execute(self._q("INSERT INTO caviar_counters (study_id, name, value) "
                                    "VALUES (:sid, :name, :n)"), args)
                return 0
            cur.execute(self._q("UPDATE caviar_counters SET value = value + :n "
                                "WHERE study_id = :sid AND name = :name"), args)
            return int(row[0])

    def add_event(self, trial_id: int, kind: str, payload: dict[str, Any]) -> int:
        with self._write() as conn:
            res = conn.execute(events.insert().values(
                trial_id=trial_id, kind=kind, payload=_dumps(payload), at=time.time()))
            pk = res.inserted_primary_key
            assert pk is not None
            return int(pk[0])

    def get_events(self, trial_id: int, *, after: int = 0) -> list[Event]:
        with self._read() as conn:
            rows = conn.execute(select(events).where(events.c.trial_id == trial_id,
                                                     events.c.id > after)
                                .order_by(events.c.id)).all()
        return [Event(r.id, r.trial_id, r.kind, _loads(r.payload), r.at, r.applied_step)
                for r in rows]


_NAMED = re.compile(r"(?<!:):(\w+)")
_SQL_STUDY_COUNTS = (
    "SELECT seq, next_number, n_counted, n_lost FROM caviar_studies WHERE id = :sid")
_SQL_STUDY_COUNTS_LOCK = _SQL_STUDY_COUNTS + " FOR UPDATE"
_SQL_CLAIM_ONE = (
    "UPDATE caviar_studies SET seq = seq + 1, next_number = next_number + 1, "
    "n_counted = n_counted + 1 WHERE id = :sid AND n_counted < :cap "
    "RETURNING seq, next_number - 1, n_lost")
_SQL_BUMP_CREATE = (
    "UPDATE caviar_studies SET seq = :seq, next_number = :next, n_counted = :counted "
    "WHERE id = :sid")
_SQL_INSERT_TRIAL = (
    "INSERT INTO caviar_trials (study_id, number, state, value, params, user_attrs, "
    "system_attrs, error, worker, counted, created_at, finished_at, heartbeat_at, seq) VALUES "
    "(:sid, :number, 'running', NULL, :params, '{}', :attrs, NULL, :worker, 1, :now, "
    "NULL, :now, :seq)")
_SQL_TRIAL_IDS = (
    "SELECT id FROM caviar_trials WHERE study_id = :sid AND number >= :first AND number < :end "
    "ORDER BY number")
_SQL_FINISH = (
    "UPDATE caviar_trials SET state = :state, value = :value, error = :error, "
    "counted = :counted, finished_at = :now, seq = :seq, "
    "params = COALESCE(:params, params), user_attrs = COALESCE(:user_attrs, user_attrs), "
    "system_attrs = COALESCE(:system_attrs, system_attrs), "
    "parent_id = COALESCE(:parent_id, parent_id) "
    "WHERE id = :tid AND state = 'running'")
_SQL_UNCOUNT = ("UPDATE caviar_studies SET n_counted = n_counted - :k, n_lost = n_lost + :k "
                "WHERE id = :sid")
_SQL_DELETE_REPORT = "DELETE FROM caviar_reports WHERE trial_id = :tid AND step = :step"
_SQL_INSERT_REPORT = (
    "INSERT INTO caviar_reports (trial_id, step, value, at) VALUES (:tid, :step, :value, :at)")
_SQL_HEARTBEAT = (
    "UPDATE caviar_trials SET heartbeat_at = :now, params = COALESCE(:params, params) "
    "WHERE id = :tid AND state = 'running'")
_SQL_STALE = (
    "SELECT id FROM caviar_trials WHERE study_id = :sid AND state = 'running' "
    "AND heartbeat_at < :limit")
_TRIAL_COLS = ("id, study_id, number, state, value, params, user_attrs, system_attrs, error, "
               "worker, counted, created_at, finished_at, heartbeat_at, seq, parent_id")
_SQL_TRIALS = (f"SELECT {_TRIAL_COLS} FROM caviar_trials WHERE study_id = :sid "
               "AND seq > :since ORDER BY number")


def _update_rows(updates: Sequence[TrialUpdate]) -> list[dict[str, Any]]:
    return [{
        "tid": u.trial_id, "state": u.state, "value": u.value, "error": u.error,
        "counted": int(u.counted), "now": 0.0, "seq": 0,
        "params": None if u.params is None else _dumps(u.params),
        "user_attrs": None if u.user_attrs is None else _dumps(u.user_attrs),
        "system_attrs": None if u.system_attrs is None else _dumps(u.system_attrs),
        "parent_id": u.parent_id,
    } for u in updates]


def _trial(r: Any) -> FrozenTrial:
    return FrozenTrial(r[0], r[1], r[2], r[3], r[4], _loads(r[5]), _loads(r[6]), _loads(r[7]),
                       r[8], r[9], bool(r[10]), r[11], r[12], r[13], r[14], r[15])


def _first_line(e: BaseException) -> str:
    s = str(getattr(e, "orig", None) or e)
    return s.splitlines()[0] if s else type(e).__name__


def _check_version(where: str, version: int) -> None:
    if version > SCHEMA_VERSION:
        raise SchemaVersionError(
            f"storage {where!r}: schema version {version} was written by a newer caviar; "
            f"this caviar reads up to version {SCHEMA_VERSION}; upgrade caviar "
            "(pip install -U caviar)"
        )
    if version < 1:
        raise StorageError(f"storage {where!r}: has no schema version; it is not a caviar "
                           "database or was damaged")
    if version < SCHEMA_VERSION:
        raise SchemaVersionError(
            f"storage {where!r}: schema version {version} is older than this caviar's "
            f"{SCHEMA_VERSION}; upgrade it in place with `caviar db upgrade {where}` "
            "(nothing is lost; back the database up first if you like)")



def _safe(url: str) -> str:
    """The URL with any password masked, for messages."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)


def _open_error(url: str, why: str) -> str:
    low = why.lower()
    if "password" in low or "authentication" in low or ("role" in low and "not exist" in low):
        fix = "check the user name and password in the URL"
        what = "refused the login"
    elif "does not exist" in low and "database" in low:
        fix = "create the database first (createdb NAME) or fix its name in the URL"
        what = "has no such database"
    elif "connection refused" in low or "could not connect" in low or "timeout" in low \
            or "translate host" in low or "resolve" in low:
        fix = "check that the server is running and the host and port are right"
        what = "is unreachable"
    else:
        fix = "check that the path or server exists and is a caviar database"
        what = "cannot be opened"
    return f"storage {url!r}: {what} ({why}); {fix}"


def sqlite_path(url: str) -> str:
    return os.path.abspath(url[len("sqlite:///"):])

