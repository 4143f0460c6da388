"""What a failed database call means: a lost PostgreSQL connection (reconnect and run the
transaction again), a serialization failure (run it again), a write the database refuses
(read-only file, full disk: a StorageError naming the storage and the cause), or a bug."""

from __future__ import annotations

import os
from typing import Any

from sqlalchemy.exc import DBAPIError

from caviar.storage.sql.engine import display_url, sqlite_path
from caviar.storage.sql.precheck import permanent

RETRY_STATES = {"40001", "40P01"}  # serialization failure, deadlock detected
_SHUTDOWN_STATES = {"57P01", "57P02", "57P03"}  # admin / crash shutdown, cannot connect now


def _driver_error(e: BaseException) -> BaseException:
    orig = getattr(e, "orig", None) if isinstance(e, DBAPIError) else None
    return orig if isinstance(orig, BaseException) else e


def sqlstate(e: BaseException) -> str | None:
    state = getattr(_driver_error(e), "sqlstate", None)
    return state if isinstance(state, str) else None


def lost_connection(e: BaseException) -> str | None:
    """Why the PostgreSQL connection is gone ("connection refused", "connection lost"...), or
    None when ``e`` is not about the connection (or is a failure waiting will not cure)."""
    if isinstance(e, DBAPIError) and e.connection_invalidated:
        return _cause(str(_driver_error(e)))
    err = _driver_error(e)
    try:
        import psycopg
    except ImportError:  # pragma: no cover - PostgreSQL storage needs it
        return None
    if not isinstance(err, psycopg.OperationalError | psycopg.InterfaceError):
        return None
    state = getattr(err, "sqlstate", None)
    text = str(err)
    if isinstance(err, psycopg.InterfaceError) and "closed" not in text and "lost" not in text:
        return None
    if state is None or state.startswith("08") or state in _SHUTDOWN_STATES:
        return None if permanent(text) else _cause(text)
    return None


def _cause(text: str) -> str:
    low = text.lower()
    for words, cause in (
        (("refused",), "connection refused"),
        (("timeout", "timed out"), "connection timed out"),
        (("starting up",), "the server is starting up"),
        (("shutting down", "terminating connection", "administrator command"),
         "the server closed the connection"),
        (("translate host", "resolve", "name or service"), "host name not found"),
        (("lost", "closed", "unexpectedly", "consuming input", "could not receive",
          "could not send", "broken pipe", "reset by peer"), "connection lost"),
    ):
        if any(w in low for w in words):
            return cause
    first = text.strip().splitlines()[0] if text.strip() else "connection failed"
    return first[:200]


def serialization_failure(e: BaseException) -> bool:
    return sqlstate(e) in RETRY_STATES


def write_refused(url: str, e: BaseException) -> str | None:
    """The message for a write the database refused for good (read-only file or folder, full
    disk), or None for any other failure."""
    err = _driver_error(e)
    text = str(err).lower()
    state = getattr(err, "sqlstate", None)
    shown = display_url(url)
    if url.startswith("sqlite"):
        import sqlite3

        if not isinstance(err, sqlite3.OperationalError | sqlite3.DatabaseError):
            return None
        path = sqlite_path(url)
        folder = os.path.dirname(path)
        if "readonly" in text or "read-only" in text:
            if not os.access(path, os.W_OK):
                what = f"the file {path} is read-only"
                fix = f"make it writable (chmod u+w {path})"
            else:
                what = f"its folder {folder} is read-only"
                fix = f"make the folder writable (chmod u+w {folder})"
            return (f"storage {shown!r}: cannot write: {what} ({err}); {fix} or copy the "
                    "database somewhere writable, then run the same command again; nothing "
                    "stored was lost")
        if "disk is full" in text or "disk i/o" in text:
            cause = "the disk is full" if "full" in text else "the disk failed to write"
            return (f"storage {shown!r}: cannot write to {path}: {cause} ({err}); free some "
                    "space (or fix the disk), then run the same command again to resume; "
                    "nothing committed before was lost")
        return None
    if state == "53100":  # disk_full
        return (f"storage {shown!r}: cannot write: the server's disk is full ({_first(err)}); "
                "free space on the PostgreSQL server, then run the same command again")
    if state == "25006":  # read_only_sql_transaction
        return (f"storage {shown!r}: cannot write: the server accepts only reads "
                f"({_first(err)}); point caviar at the primary server, not a read replica")
    return None


def _first(err: Any) -> str:
    s = str(err).strip()
    return s.splitlines()[0] if s else type(err).__name__
