"""Schema migrations: ``caviar db upgrade URL`` brings an older caviar database up to date.

Each step runs in one transaction and moves the version by one; a failed step leaves the
database at the version before it. Opening an older database without upgrading is refused
with a message naming this command, so nothing is ever written by a caviar that does not
understand the schema.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, create_engine, inspect, text
from sqlalchemy.exc import ArgumentError, DatabaseError, OperationalError

from caviar.errors import SchemaVersionError, StorageError
from caviar.storage.base import SCHEMA_VERSION
from caviar.storage.sql.engine import READ_WRITE, display_url, sqlite_path
from caviar.storage.sql.precheck import first_line, inspect_sqlite, open_error


def _v1_to_v2(conn: Connection) -> None:
    """v2 adds ``caviar_trials.parent_id`` (lineage of retries and branches), backfilled from
    the ``retry_of_id`` that v1 kept in system_attrs, and ``caviar_studies.n_lost`` (trials
    lost with their workers, so the next slot retries them at once)."""
    conn.execute(text("ALTER TABLE caviar_studies ADD COLUMN n_lost INTEGER NOT NULL DEFAULT 0"))
    conn.execute(text("UPDATE caviar_studies SET n_lost = (SELECT COUNT(*) FROM caviar_trials "
                      "WHERE caviar_trials.study_id = caviar_studies.id "
                      "AND state = 'fail' AND counted = 0)"))
    conn.execute(text("ALTER TABLE caviar_trials ADD COLUMN parent_id INTEGER"))
    conn.execute(text("CREATE INDEX ix_caviar_trials_parent ON caviar_trials (parent_id)"))
    rows = conn.execute(text("SELECT id, system_attrs FROM caviar_trials "
                             "WHERE system_attrs LIKE '%retry_of_id%'")).all()
    for tid, attrs in rows:
        parent = json.loads(attrs).get("retry_of_id")
        if parent is not None:
            conn.execute(text("UPDATE caviar_trials SET parent_id = :p WHERE id = :id"),
                         {"p": int(parent), "id": tid})


def _v2_to_v3(conn: Connection) -> None:
    """v3 adds ``caviar_studies.directions`` (a JSON array, one direction per objective,
    filled in for every existing study from its one direction) and ``caviar_trials.values_json``
    (a JSON array of a trial's values when its study has several directions; NULL, as in every
    existing row, means the trial's values are its one value)."""
    conn.execute(text("ALTER TABLE caviar_studies ADD COLUMN directions TEXT"))
    conn.execute(text("UPDATE caviar_studies SET directions = '[\"' || direction || '\"]'"))
    conn.execute(text("ALTER TABLE caviar_trials ADD COLUMN values_json TEXT"))


STEPS: dict[int, Callable[[Connection], None]] = {1: _v1_to_v2, 2: _v2_to_v3}


def _version(conn: Connection) -> int:
    if "caviar_meta" not in inspect(conn).get_table_names():
        raise StorageError("not a caviar database (no caviar_meta table); nothing to upgrade")
    row = conn.execute(text("SELECT value FROM caviar_meta WHERE key = 'schema_version'")).first()
    return int(row[0]) if row else 0


def current_version(url: str) -> int:
    """The schema version of the caviar database at ``url`` (nothing is created or written;
    a missing, foreign or non-SQLite file raises StorageError naming it)."""
    if url.startswith("sqlite"):
        _, version = inspect_sqlite(url, create=False)
        assert version is not None  # create=False refuses a file without caviar's tables
        return version
    engine = _engine(url)
    try:
        with _connect(engine, url) as conn:
            return _version(conn)
    finally:
        engine.dispose()


def upgrade(url: str, *, progress: Callable[[str], Any] = lambda _msg: None) -> tuple[int, int]:
    """Upgrade the database at ``url`` to this caviar's schema. Returns (from, to)."""
    if url.startswith("sqlite"):
        mode, _ = inspect_sqlite(url, create=False)
        if mode != READ_WRITE:
            raise StorageError(f"storage {url!r}: {sqlite_path(url)} is read-only, so its "
                               "schema cannot be upgraded; make the file and its folder "
                               "writable, then run caviar db upgrade again")
    engine = _engine(url)
    try:
        with _connect(engine, url) as conn:
            start = _version(conn)
            conn.rollback()
        if start > SCHEMA_VERSION:
            raise SchemaVersionError(
                f"storage {url!r}: schema version {start} is newer than this caviar's "
                f"{SCHEMA_VERSION}; upgrade caviar instead")
        version = start
        while version < SCHEMA_VERSION:
            step = STEPS[version]
            with engine.begin() as conn:
                step(conn)
                conn.execute(text("UPDATE caviar_meta SET value = :v "
                                  "WHERE key = 'schema_version'"), {"v": str(version + 1)})
            progress(f"upgraded schema {version} -> {version + 1}: {step.__doc__ or ''}".strip())
            version += 1
        return start, version
    finally:
        engine.dispose()


def _engine(url: str) -> Any:
    from caviar.storage import normalize_url

    url = normalize_url(url)
    try:
        return create_engine(url)
    except ImportError as e:
        raise StorageError(f"storage {url!r}: driver missing ({e})") from None
    except ArgumentError:
        raise StorageError(f"storage URL {url!r}: not a database URL; use "
                           "'sqlite:///caviar.db' or 'postgresql://user@host:5432/db'") from None


@contextmanager
def _connect(engine: Any, url: str) -> Iterator[Connection]:
    try:
        conn = engine.connect()
    except (OperationalError, DatabaseError) as e:
        raise StorageError(open_error(display_url(url), first_line(e))) from None
    with conn:
        yield conn
