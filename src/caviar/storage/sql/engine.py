"""Engine set-up: one SQLAlchemy engine per storage, tuned per database.

SQLite: WAL journal, ``synchronous=NORMAL`` (durable across process crashes; a power cut may
lose the last commits, never corrupt), and we issue ``BEGIN`` ourselves. A database the process
may not write is opened read-only (``mode=ro``; ``immutable`` when even its folder is
read-only), so reading commands work on it. PostgreSQL: psycopg 3, a small pool whose
connections are pinged before use.
"""

from __future__ import annotations

import os
import re
from typing import Any
from urllib.parse import quote

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine

from caviar.errors import StorageError

READ_WRITE, READ_ONLY, IMMUTABLE = "rw", "ro", "immutable"


def sqlite_path(url: str) -> str:
    return os.path.abspath(url[len("sqlite:///"):])


def display_url(url: str) -> str:
    """The URL as a message shows it: password masked, the driver name left out."""
    url = re.sub(r"^postgresql\+psycopg://", "postgresql://", url)
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)


def make_engine(url: str, mode: str = READ_WRITE) -> Engine:
    """The engine for ``url``; ``mode`` (SQLite only) is READ_WRITE, READ_ONLY or IMMUTABLE."""
    if url.startswith("sqlite"):
        return _sqlite_engine(url, mode)
    try:
        return create_engine(url, pool_pre_ping=True, pool_size=2, max_overflow=4,
                             connect_args={"connect_timeout": 10})
    except ImportError:
        raise StorageError(
            f"storage {display_url(url)!r}: PostgreSQL needs the psycopg driver; install it "
            "with pip install 'caviar[postgres]'") from None


def _sqlite_engine(url: str, mode: str) -> Engine:
    if mode == READ_WRITE:
        engine = create_engine(url, connect_args={"timeout": 60.0})
    else:
        flags = "mode=ro&immutable=1" if mode == IMMUTABLE else "mode=ro"
        engine = create_engine(f"sqlite:///file:{quote(sqlite_path(url))}?{flags}&uri=true",
                               connect_args={"timeout": 60.0})
    writable = mode == READ_WRITE

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _rec: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        if writable:  # a read-only connection keeps the journal mode the file has
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA mmap_size=268435456")  # re-reading pages after another
        # worker's commit is then a memory copy, not a read() per page
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    return engine
