"""WHERE history lives: ``get_storage(url)`` opens memory, SQLite or PostgreSQL storage."""

from __future__ import annotations

import re

from caviar.errors import StorageError
from caviar.storage.base import SCHEMA_VERSION, Event, Storage, StudySummary
from caviar.storage.memory import MemoryStorage

DEFAULT_URL = "sqlite:///caviar.db"

_URL_HELP = ("use 'memory', 'sqlite:///caviar.db' (a file, created if missing) or "
             "'postgresql://user@host:5432/db'")


def normalize_url(url: str) -> str:
    """PostgreSQL URLs use the psycopg 3 driver."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def get_storage(url: str | Storage | None = None, *, create: bool = True) -> Storage:
    """Open the storage a URL names (``None`` gives a new in-memory storage).

    ``create=False`` is for callers that only read: a SQLite file or PostgreSQL database
    without caviar's tables is not created but refused (StorageError "no database at ...");
    a SQLite file this process may not write is opened read-only either way."""
    if isinstance(url, Storage):
        return url
    if url is None or url in ("memory", ":memory:"):
        return MemoryStorage()
    if not isinstance(url, str):
        raise StorageError(f"storage URL must be a string, got {url!r}; {_URL_HELP}")
    if url.startswith("sqlite"):
        m = re.fullmatch(r"sqlite:///(.+)", url)
        if not m or m.group(1) == ":memory:":
            raise StorageError(
                f"storage URL {url!r}: a SQLite URL is 'sqlite:///PATH' (three slashes, then a "
                f"relative path; four for an absolute one); {_URL_HELP}")
        import os

        parent = os.path.dirname(os.path.abspath(m.group(1)))
        if not create and not os.path.exists(os.path.abspath(m.group(1))):
            from caviar.storage.sql.precheck import file_named, no_database

            raise no_database(url, file_named(url))
        if not os.path.isdir(parent):
            raise StorageError(f"storage URL {url!r}: folder {parent!r} does not exist; "
                               "create it first or choose another path")
        from caviar.storage.sql import SQLStorage

        return SQLStorage(url, create=create)
    if re.match(r"postgres(ql)?(\+\w+)?://", url):
        from caviar.storage.sql import SQLStorage

        return SQLStorage(normalize_url(url), create=create)
    raise StorageError(f"storage URL {url!r}: unknown scheme; {_URL_HELP}")


__all__ = [
    "DEFAULT_URL", "SCHEMA_VERSION", "Event", "MemoryStorage", "Storage", "StudySummary",
    "get_storage", "normalize_url",
]
