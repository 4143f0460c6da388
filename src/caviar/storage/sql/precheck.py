"""Checks before a database is opened: is it there, may we write it, is it caviar's, which
schema version. A foreign or damaged file is refused before anything (WAL mode included) is
written to it, and a missing one is not created when the caller only reads."""

from __future__ import annotations

import os
import sqlite3
from urllib.parse import quote

from caviar.errors import SchemaVersionError, StorageError
from caviar.storage.base import SCHEMA_VERSION
from caviar.storage.sql.engine import IMMUTABLE, READ_ONLY, READ_WRITE, sqlite_path
from caviar.storage.sql.schema import meta


def no_database(url: str, where: str) -> StorageError:
    return StorageError(f"storage {url!r}: no database at {where}; check the path or run "
                        "caviar tune first to create it")


def file_named(url: str) -> str:
    """A SQLite URL's file as the user wrote it, quoted, and where that is when relative."""
    given = url[len("sqlite:///"):]
    where = sqlite_path(url)
    return repr(given) if given == where else f"{given!r} ({where})"


def sqlite_mode(path: str) -> str:
    """READ_WRITE when this process may write the file and its journal, else READ_ONLY, or
    IMMUTABLE when not even the shared-memory index can be made (a read-only folder)."""
    folder = os.path.dirname(path) or "."
    shm, wal = path + "-shm", path + "-wal"
    folder_ok = os.access(folder, os.W_OK)
    sides_ok = all(os.path.exists(p) and os.access(p, os.W_OK) for p in (shm, wal))
    if os.access(path, os.W_OK) and (folder_ok or sides_ok):
        return READ_WRITE
    if folder_ok or os.path.exists(shm):
        return READ_ONLY
    return IMMUTABLE


def inspect_sqlite(url: str, *, create: bool = True) -> tuple[str, int | None]:
    """(the mode to open the file in, its schema version or None when it has no schema yet).
    Raises StorageError for a missing file (``create=False``), a file that is not a SQLite
    database, or a SQLite database that is not caviar's."""
    path = sqlite_path(url)
    if not os.path.exists(path) or os.path.getsize(path) == 0:
        if not create:
            raise no_database(url, file_named(url) + (" (the file is empty)"
                                                      if os.path.exists(path) else ""))
        folder = os.path.dirname(path)
        if not os.path.exists(path) and not os.access(folder, os.W_OK):
            raise StorageError(f"storage {url!r}: cannot create {path}: its folder {folder} "
                               "is read-only; choose a writable path")
        return READ_WRITE, None
    mode = sqlite_mode(path)
    if mode == IMMUTABLE and os.path.exists(path + "-wal") and os.path.getsize(path + "-wal"):
        raise StorageError(
            f"storage {url!r}: cannot read {path}: its folder is read-only and its last "
            f"commits are still in {path}-wal, which SQLite can only read with a writable "
            "folder; make the folder writable (or copy the database files to one)")
    flags = "mode=ro&immutable=1" if mode == IMMUTABLE else "mode=ro"
    try:
        con = sqlite3.connect(f"file:{quote(path)}?{flags}", uri=True)
        try:
            names = {r[0] for r in con.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
            version = None
            if meta.name in names:
                row = con.execute(f"SELECT value FROM {meta.name} "
                                  "WHERE key = 'schema_version'").fetchone()
                version = int(row[0]) if row else 0
        finally:
            con.close()
    except sqlite3.DatabaseError as e:
        if "not a database" in str(e) or "malformed" in str(e):
            raise StorageError(
                f"storage {url!r}: file {path!r} is not a SQLite database ({e}); point "
                "caviar at a new file or an existing caviar database") from None
        raise StorageError(f"storage {url!r}: cannot read {path} ({e}); check its "
                           "permissions and those of its folder") from None
    if names and meta.name not in names:
        raise StorageError(
            f"storage {url!r}: is not a caviar database (it holds tables "
            f"{sorted(names)[:5]} but no {meta.name}); point caviar at a new file or an "
            "empty database")
    if version is None and mode != READ_WRITE:
        raise StorageError(f"storage {url!r}: {path} holds no caviar tables yet and is "
                           "read-only, so they cannot be created; make it writable")
    if version is None and not create:
        raise no_database(url, file_named(url) + " (the file holds no tables)")
    return mode, version


def check_version(where: str, version: int) -> None:
    """Refuse a schema this caviar does not write: newer (upgrade caviar), older (upgrade the
    database with ``caviar db upgrade``), or none."""
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


def first_line(e: BaseException) -> str:
    s = str(getattr(e, "orig", None) or e)
    return s.splitlines()[0] if s else type(e).__name__


def open_error(url: str, why: str) -> str:
    """The message for a database that cannot be opened, with the fix its cause suggests."""
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


def permanent(why: str) -> bool:
    """A connection failure that waiting will not cure (login refused, no such database)."""
    low = why.lower()
    return ("password" in low or "authentication" in low or ("role" in low and "not exist" in low)
            or ("database" in low and "does not exist" in low))
