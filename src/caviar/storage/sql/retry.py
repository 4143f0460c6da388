"""Running a transaction again: SQLite's busy ``BEGIN``, PostgreSQL's serialization failures
and lost connections.

A storage method wrapped in ``retrying`` is one whole transaction (or a few, each safe to run
again). When PostgreSQL drops the connection (a server restart, ``pg_terminate_backend``, a
network cut) the dead connection is dropped and the method runs again on a new one, with
exponential backoff, for up to ``RECONNECT_WINDOW_S`` seconds in all; only a server that
stays away raises StorageError. A write SQLite or PostgreSQL refuses for good (read-only file,
full disk) becomes a StorageError naming the storage and the cause.

The settings are module attributes, read at each retry (tests shorten the window)::

    import caviar.storage.sql.retry as retry
    retry.RECONNECT_WINDOW_S = 2.0
"""

from __future__ import annotations

import functools
import random
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from caviar.errors import CaviarError, StorageError
from caviar.storage.sql.engine import display_url
from caviar.storage.sql.failures import lost_connection, serialization_failure, write_refused

if TYPE_CHECKING:
    from caviar.storage.sql.storage import SQLStorage

RECONNECT_WINDOW_S = 30.0  # how long a lost PostgreSQL server is waited for, in all
RECONNECT_FIRST_DELAY_S = 0.05  # the first wait before reconnecting; doubles each try
RECONNECT_MAX_DELAY_S = 2.0  # the longest single wait
SERIALIZATION_RETRIES = 5  # runs again after a serialization failure or deadlock

F = TypeVar("F", bound=Callable[..., Any])


def server_gone(url: str, seconds: float, cause: str) -> str:
    return (f"storage {display_url(url)}: the server did not answer for {seconds:g} s "
            f"({cause}); check that PostgreSQL is running and that the host and port in the "
            "URL are right, then run the same command again to resume")


def retrying(fn: F) -> F:
    """Run the storage method ``fn`` again after a lost connection or a serialization
    failure (both roll the transaction back, so running it again is safe)."""

    @functools.wraps(fn)
    def wrapper(self: SQLStorage, *args: Any, **kwargs: Any) -> Any:
        tries = 0
        deadline = 0.0
        delay = RECONNECT_FIRST_DELAY_S
        while True:
            try:
                return fn(self, *args, **kwargs)
            except CaviarError:
                raise
            except Exception as e:
                if not self.is_sqlite:
                    cause = lost_connection(e)
                    if cause is not None:
                        self.drop_connection()
                        now = time.monotonic()
                        if not deadline:
                            deadline = now + RECONNECT_WINDOW_S
                        if now >= deadline:
                            raise StorageError(
                                server_gone(self.url, RECONNECT_WINDOW_S, cause)) from None
                        time.sleep(min(delay, deadline - now))
                        delay = min(delay * 2, RECONNECT_MAX_DELAY_S)
                        continue
                    if serialization_failure(e) and tries < SERIALIZATION_RETRIES:
                        time.sleep(0.005 * (2 ** tries) * (0.5 + random.random()))
                        tries += 1
                        continue
                refused = write_refused(self.url, e)
                if refused is not None:
                    raise StorageError(refused) from None
                raise

    return wrapper  # type: ignore[return-value]


def begin_sqlite(cur: Any, write: bool) -> None:
    """``BEGIN`` (``BEGIN IMMEDIATE`` for a write), retried while another writer holds the
    lock. SQLite's own busy handler sleeps at least 1 ms per retry, which idles parallel
    workers; these sleeps stay under half a millisecond (for up to 120 s in all)."""
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
