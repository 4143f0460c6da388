"""The SQLAlchemy Core side of SQLStorage: the schema's creation and the study-level calls
(studies, params, reports read, events). These are not hot, so they favour clarity."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, func, inspect, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DatabaseError, IntegrityError, OperationalError

from caviar.errors import ParamConflictError, StorageError, StudyNotFoundError
from caviar.storage.base import SCHEMA_VERSION, Event, StudySummary
from caviar.storage.common import check_existing, conflict, not_found
from caviar.storage.sql.engine import display_url
from caviar.storage.sql.failures import lost_connection
from caviar.storage.sql.precheck import check_version, first_line, no_database, open_error
from caviar.storage.sql.schema import counters, events, meta, metadata, reports, studies, trials
from caviar.trial_record import COMPLETE, MINIMIZE, StudyRecord

_dumps = json.dumps


def loads(s: str | None) -> Any:
    return {} if s is None or s == "{}" else json.loads(s)


class CoreQueries:
    def __init__(self, engine: Engine, url: str, is_sqlite: bool) -> None:
        self.engine = engine
        self.url = url
        self.is_sqlite = is_sqlite

    @contextmanager
    def write(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            if self.is_sqlite:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                _rollback(conn)
                raise
            conn.commit()

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            yield conn
            conn.rollback()

    def _missing(self, study_id: int) -> StudyNotFoundError:
        return StudyNotFoundError(f"study id {study_id} does not exist in {self.url!r}")

    # ---------------------------------------------------------------- schema
    def open_schema(self, create: bool) -> None:
        """Check the schema version, or create the schema in an empty database (``create``)."""
        where = display_url(self.url)
        try:
            with self.engine.connect() as conn:
                names = set(inspect(conn).get_table_names())
        except (OperationalError, DatabaseError) as e:
            if not self.is_sqlite and lost_connection(e) is not None:
                raise  # the caller waits for the server
            raise StorageError(open_error(where, first_line(e))) from None
        if meta.name not in names:
            if names:
                raise StorageError(
                    f"storage {where!r}: is not a caviar database (it holds tables "
                    f"{sorted(names)[:5]} but no {meta.name}); point caviar at a new file or an "
                    "empty database"
                )
            if not create:
                raise no_database(where, "this URL (the database holds no caviar tables)")
            with self.write() as conn:
                metadata.create_all(conn, checkfirst=True)
                if conn.execute(select(meta.c.value).where(meta.c.key == "schema_version")
                                ).first() is None:
                    conn.execute(meta.insert(), [
                        {"key": "schema_version", "value": str(SCHEMA_VERSION)},
                        {"key": "created_at", "value": repr(time.time())},
                    ])
            return
        with self.read() as conn:
            row = conn.execute(select(meta.c.value).where(meta.c.key == "schema_version")).first()
        check_version(where, int(row[0]) if row else 0)

    def schema_version(self) -> int:
        with self.read() as conn:
            row = conn.execute(select(meta.c.value).where(meta.c.key == "schema_version")).one()
        return int(row[0])

    # ---------------------------------------------------------------- studies
    def create_study(self, name: str, direction: str, sampler: dict[str, Any],
                     space: dict[str, Any], load_if_exists: bool,
                     user_attrs: dict[str, Any] | None,
                     directions: Sequence[str] | None = None) -> StudyRecord:
        dirs = tuple(directions) if directions else (direction,)
        for _ in range(3):
            try:
                with self.write() as conn:
                    row = conn.execute(select(studies).where(studies.c.name == name)).first()
                    if row is not None:
                        rec = _study_record(row)
                        check_existing(rec, direction, load_if_exists, dirs)
                        return rec
                    conn.execute(studies.insert().values(
                        name=name, direction=direction, directions=_dumps(list(dirs)),
                        sampler=_dumps(sampler),
                        space=_dumps(space), user_attrs=_dumps(user_attrs or {}),
                        created_at=time.time(), seq=0, next_number=0, n_counted=0,
                        n_lost=0))
                    row = conn.execute(select(studies).where(studies.c.name == name)).one()
                    return _study_record(row)
            except IntegrityError:  # created concurrently by another machine: load it
                continue
        return self.get_study(name)

    def get_study(self, name: str) -> StudyRecord:
        with self.read() as conn:
            row = conn.execute(select(studies).where(studies.c.name == name)).first()
            if row is None:
                known = [r[0] for r in conn.execute(select(studies.c.name).limit(11))]
                raise StudyNotFoundError(not_found(name, known))
        return _study_record(row)

    def list_studies(self) -> list[StudySummary]:
        with self.read() as conn:
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
            dirs = _directions(r)
            if len(dirs) > 1:
                b = None  # several directions: the best trials are a front, not one value
            out.append(StudySummary(r.name, r.direction, sum(c.values()), c, b, r.created_at,
                                    dirs))
        return out

    def set_study_attr(self, study_id: int, key: str, value: Any) -> None:
        with self.write() as conn:
            row = conn.execute(select(studies.c.user_attrs).where(studies.c.id == study_id)
                               .with_for_update()).first()
            if row is None:
                raise self._missing(study_id)
            attrs = loads(row[0])
            attrs[key] = value
            conn.execute(studies.update().where(studies.c.id == study_id)
                         .values(user_attrs=_dumps(attrs)))

    def set_sampler(self, study_id: int, sampler: dict[str, Any]) -> None:
        text = _dumps(sampler)  # before the transaction: a value JSON cannot hold writes nothing
        with self.write() as conn:
            done = conn.execute(studies.update().where(studies.c.id == study_id)
                                .values(sampler=text))
            if done.rowcount == 0:
                raise self._missing(study_id)

    def delete_study(self, name: str) -> None:
        rec = self.get_study(name)
        with self.write() as conn:
            ids = select(trials.c.id).where(trials.c.study_id == rec.id)
            conn.execute(reports.delete().where(reports.c.trial_id.in_(ids)))
            conn.execute(events.delete().where(events.c.trial_id.in_(ids)))
            conn.execute(trials.delete().where(trials.c.study_id == rec.id))
            conn.execute(counters.delete().where(counters.c.study_id == rec.id))
            conn.execute(studies.delete().where(studies.c.id == rec.id))

    def register_params(self, study_id: int, defs: dict[str, dict[str, Any]]
                        ) -> dict[str, dict[str, Any]]:
        with self.write() as conn:
            row = conn.execute(select(studies.c.space).where(studies.c.id == study_id)
                               .with_for_update()).first()
            if row is None:
                raise self._missing(study_id)
            space = loads(row[0])
            for name, pd in defs.items():
                if name in space and space[name] != pd:
                    raise ParamConflictError(conflict(name, space[name], pd))
            new = {k: v for k, v in defs.items() if k not in space}
            if new:
                space.update(new)
                conn.execute(studies.update().where(studies.c.id == study_id)
                             .values(space=_dumps(space)))
            return dict(space)

    # ---------------------------------------------------------------- reports and events
    def get_reports(self, study_id: int, trial_ids: Sequence[int] | None
                    ) -> list[tuple[int, int, float]]:
        q = select(reports.c.trial_id, reports.c.step, reports.c.value)
        if trial_ids is None:
            q = q.where(reports.c.trial_id.in_(
                select(trials.c.id).where(trials.c.study_id == study_id)))
        else:
            q = q.where(reports.c.trial_id.in_(list(trial_ids)))
        with self.read() as conn:
            rows = conn.execute(q.order_by(reports.c.trial_id, reports.c.step)).all()
        return [(r[0], r[1], r[2]) for r in rows]

    def add_event(self, trial_id: int, kind: str, payload: dict[str, Any]) -> int:
        with self.write() as conn:
            res = conn.execute(events.insert().values(
                trial_id=trial_id, kind=kind, payload=_dumps(payload), at=time.time()))
            pk = res.inserted_primary_key
            assert pk is not None
            return int(pk[0])

    def get_events(self, trial_id: int, after: int) -> list[Event]:
        with self.read() as conn:
            rows = conn.execute(select(events).where(events.c.trial_id == trial_id,
                                                     events.c.id > after)
                                .order_by(events.c.id)).all()
        return [Event(r.id, r.trial_id, r.kind, loads(r.payload), r.at, r.applied_step)
                for r in rows]


def _directions(row: Any) -> tuple[str, ...]:
    held = row.directions
    return tuple(json.loads(held)) if held else (row.direction,)


def _study_record(row: Any) -> StudyRecord:
    return StudyRecord(row.id, row.name, row.direction, loads(row.sampler),
                       loads(row.space), loads(row.user_attrs), row.created_at,
                       _directions(row))


def _rollback(conn: Connection) -> None:
    """Roll back after a failure; on a connection that is already gone there is nothing to
    roll back (the server did), and the failure that got us here is the one to report."""
    try:
        conn.rollback()
    except Exception:
        if conn.invalidated or conn.closed:
            return
        raise
