"""SQL storage on SQLAlchemy Core: SQLite (the embedded default) and, later, PostgreSQL.

Writes are short transactions. On SQLite each write transaction starts with ``BEGIN IMMEDIATE``
(so two writers never deadlock upgrading a read lock), the journal is WAL, and synchronous is
NORMAL (durable across process crashes; a power cut may lose the last commits, never corrupt).
Every write that changes a trial first bumps its study's row (``seq``), which also serializes
writers of one study on PostgreSQL.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

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


def _loads(s: str | None) -> Any:
    return {} if s is None else json.loads(s)


class SQLStorage(Storage):
    def __init__(self, url: str, *, engine: Engine | None = None) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        self.engine = engine or self._make_engine(url)
        self._open_schema()

    # ---------------------------------------------------------------- connection handling
    def _make_engine(self, url: str) -> Engine:
        if self.is_sqlite:
            engine = create_engine(url, connect_args={"timeout": 60.0})

            @event.listens_for(engine, "connect")
            def _on_connect(dbapi_conn: Any, _rec: Any) -> None:
                dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
                cur = dbapi_conn.cursor()
                cur.execute("PRAGMA journal_mode=WAL")
                cur.execute("PRAGMA synchronous=NORMAL")
                cur.execute("PRAGMA foreign_keys=ON")
                cur.close()

            return engine
        return create_engine(url, pool_pre_ping=True, pool_size=2, max_overflow=4)

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
            raise StorageError(
                f"storage {where!r}: cannot be opened ({_first_line(e)}); check that the path "
                "or server exists and is a caviar database"
            ) from None
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
        if version > SCHEMA_VERSION:
            raise SchemaVersionError(
                f"storage {where!r}: schema version {version} was written by a newer caviar; "
                f"this caviar reads up to version {SCHEMA_VERSION}; upgrade caviar "
                "(pip install -U caviar)"
            )
        if version < 1:
            raise StorageError(f"storage {where!r}: has no schema version; it is not a caviar "
                               "database or was damaged")

    @property
    def schema_version(self) -> int:
        with self._read() as conn:
            row = conn.execute(select(meta.c.value).where(meta.c.key == "schema_version")).one()
        return int(row[0])

    def close(self) -> None:
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
                        created_at=time.time(), seq=0, next_number=0, n_counted=0))
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

    def delete_study(self, name: str) -> None:
        rec = self.get_study(name)
        with self._write() as conn:
            ids = select(trials.c.id).where(trials.c.study_id == rec.id)
            conn.execute(reports.delete().where(reports.c.trial_id.in_(ids)))
            conn.execute(events.delete().where(events.c.trial_id.in_(ids)))
            conn.execute(trials.delete().where(trials.c.study_id == rec.id))
            conn.execute(counters.delete().where(counters.c.study_id == rec.id))
            conn.execute(studies.delete().where(studies.c.id == rec.id))

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

    # ---------------------------------------------------------------- trials
    def create_trials(self, study_id: int, n: int, *, cap: int | None = None,
                      worker: str | None = None,
                      params: Sequence[dict[str, Any]] | None = None,
                      system_attrs: Sequence[dict[str, Any]] | None = None) -> list[FrozenTrial]:
        with self._write() as conn:
            row = conn.execute(
                select(studies.c.seq, studies.c.next_number, studies.c.n_counted)
                .where(studies.c.id == study_id).with_for_update()).first()
            if row is None:
                raise StudyNotFoundError(f"study id {study_id} does not exist in {self.url!r}")
            seq, first, n_counted = row
            if cap is not None:
                n = max(0, min(n, cap - n_counted))
            if n == 0:
                return []
            seq += 1
            conn.execute(studies.update().where(studies.c.id == study_id).values(
                seq=seq, next_number=first + n, n_counted=n_counted + n))
            now = time.time()
            rows = [{
                "study_id": study_id, "number": first + i, "state": RUNNING, "value": None,
                "params": _dumps(params[i] if params else {}), "user_attrs": "{}",
                "system_attrs": _dumps(system_attrs[i] if system_attrs else {}),
                "error": None, "worker": worker, "counted": 1, "created_at": now,
                "finished_at": None, "heartbeat_at": now, "seq": seq,
            } for i in range(n)]
            if n == 1:
                pk = conn.execute(trials.insert().values(rows[0])).inserted_primary_key
                assert pk is not None
                ids = [pk[0]]
            else:
                conn.execute(trials.insert(), rows)
                ids = [r[0] for r in conn.execute(
                    select(trials.c.id).where(trials.c.study_id == study_id,
                                              trials.c.number >= first,
                                              trials.c.number < first + n)
                    .order_by(trials.c.number))]
        return [FrozenTrial(
            id=tid, study_id=study_id, number=first + i, state=RUNNING, value=None,
            params=dict(params[i]) if params else {},
            system_attrs=dict(system_attrs[i]) if system_attrs else {},
            worker=worker, created_at=now, heartbeat_at=now, seq=seq,
        ) for i, tid in enumerate(ids)]

    def finish_trials(self, updates: Sequence[TrialUpdate]) -> list[bool]:
        if not updates:
            return []
        with self._write() as conn:
            return self._finish(conn, updates)

    def _finish(self, conn: Connection, updates: Sequence[TrialUpdate]) -> list[bool]:
        ids = [u.trial_id for u in updates]
        owner = dict(conn.execute(select(trials.c.id, trials.c.study_id)
                                  .where(trials.c.id.in_(ids))).all())
        seqs: dict[int, int] = {}
        for sid in sorted(set(owner.values())):
            row = conn.execute(select(studies.c.seq).where(studies.c.id == sid)
                               .with_for_update()).one()
            seqs[sid] = row[0] + 1
        now = time.time()
        applied = []
        uncounted: dict[int, int] = {}
        for u in updates:
            sid = owner.get(u.trial_id)
            if sid is None:
                applied.append(False)
                continue
            values: dict[str, Any] = {
                "state": u.state, "value": u.value, "error": u.error,
                "counted": int(u.counted), "finished_at": now, "seq": seqs[sid],
            }
            if u.params is not None:
                values["params"] = _dumps(u.params)
            if u.user_attrs is not None:
                values["user_attrs"] = _dumps(u.user_attrs)
            if u.system_attrs is not None:
                values["system_attrs"] = _dumps(u.system_attrs)
            res = conn.execute(trials.update().where(trials.c.id == u.trial_id,
                                                     trials.c.state == RUNNING).values(values))
            ok = res.rowcount == 1
            applied.append(ok)
            if ok and not u.counted:
                uncounted[sid] = uncounted.get(sid, 0) + 1
        for sid, seq in seqs.items():
            conn.execute(studies.update().where(studies.c.id == sid).values(
                seq=seq, n_counted=studies.c.n_counted - uncounted.get(sid, 0)))
        return applied

    def add_reports(self, rows: Iterable[tuple[int, int, float]]) -> None:
        rows = list(rows)
        if not rows:
            return
        now = time.time()
        keyed = {(int(t), int(s)): float(v) for t, s, v in rows}
        with self._write() as conn:
            conn.execute(reports.delete().where(
                reports.c.trial_id.in_({t for t, _ in keyed}),
                reports.c.step.in_({s for _, s in keyed})))
            conn.execute(reports.insert(), [
                {"trial_id": t, "step": s, "value": v, "at": now} for (t, s), v in keyed.items()])

    def heartbeat(self, trial_ids: Sequence[int],
                  params: dict[int, dict[str, Any]] | None = None) -> None:
        if not trial_ids:
            return
        now = time.time()
        with self._write() as conn:
            for tid in trial_ids:
                values: dict[str, Any] = {"heartbeat_at": now}
                if params and tid in params:
                    values["params"] = _dumps(params[tid])
                conn.execute(trials.update().where(trials.c.id == tid,
                                                   trials.c.state == RUNNING).values(values))

    def reap_stale(self, study_id: int, older_than: float) -> list[int]:
        limit = time.time() - older_than
        q = select(trials.c.id).where(trials.c.study_id == study_id, trials.c.state == RUNNING,
                                      trials.c.heartbeat_at < limit)
        with self._read() as conn:  # cheap check first: most calls find nothing
            if conn.execute(q.limit(1)).first() is None:
                return []
        with self._write() as conn:
            stale = [r[0] for r in conn.execute(q)]
            msg = REAPED.format(older_than)
            applied = self._finish(conn, [TrialUpdate(t, FAIL, error=msg, counted=False)
                                          for t in stale])
        return [t for t, ok in zip(stale, applied, strict=True) if ok]

    def get_trials(self, study_id: int, *, since: int = 0,
                   states: Sequence[str] | None = None) -> tuple[list[FrozenTrial], int]:
        with self._read() as conn:
            row = conn.execute(select(studies.c.seq).where(studies.c.id == study_id)).first()
            if row is None:
                raise StudyNotFoundError(f"study id {study_id} does not exist in {self.url!r}")
            q = select(trials).where(trials.c.study_id == study_id)
            if since:
                q = q.where(trials.c.seq > since)
            if states is not None:
                q = q.where(trials.c.state.in_(list(states)))
            rows = conn.execute(q.order_by(trials.c.number)).all()
        return [_trial(r) for r in rows], row[0]

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

    def claim(self, study_id: int, counter: str, n: int = 1) -> int:
        with self._write() as conn:
            conn.execute(select(studies.c.id).where(studies.c.id == study_id).with_for_update())
            row = conn.execute(select(counters.c.value).where(
                counters.c.study_id == study_id, counters.c.name == counter)).first()
            if row is None:
                conn.execute(counters.insert().values(study_id=study_id, name=counter, value=n))
                return 0
            conn.execute(counters.update().where(
                counters.c.study_id == study_id, counters.c.name == counter
            ).values(value=row[0] + n))
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


def _trial(r: Any) -> FrozenTrial:
    return FrozenTrial(
        id=r.id, study_id=r.study_id, number=r.number, state=r.state, value=r.value,
        params=_loads(r.params), user_attrs=_loads(r.user_attrs),
        system_attrs=_loads(r.system_attrs), error=r.error, worker=r.worker,
        counted=bool(r.counted), created_at=r.created_at, finished_at=r.finished_at,
        heartbeat_at=r.heartbeat_at, seq=r.seq,
    )


def _first_line(e: BaseException) -> str:
    s = str(getattr(e, "orig", None) or e)
    return s.splitlines()[0] if s else type(e).__name__


def sqlite_path(url: str) -> str:
    return os.path.abspath(url[len("sqlite:///"):])

