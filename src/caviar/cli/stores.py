"""Opening a storage from the command line: a read-only command never creates a database."""

from __future__ import annotations

import os
import re
from typing import Any

from caviar.errors import UsageError


def open_existing(url: str) -> Any:
    """Open the storage at ``url`` for reading; a SQLite file that does not exist is an error
    (a mistyped path must not leave an empty database behind)."""
    from caviar.storage import get_storage

    check_exists(url)
    try:
        return get_storage(url)
    except UsageError:
        raise
    except Exception as e:
        if type(e).__module__.startswith("caviar"):
            raise
        raise UsageError(f"storage {url!r}: cannot be opened ({type(e).__name__}: {e})") \
            from None


def check_exists(url: str) -> None:
    """A SQLite URL must name a file that exists (other URLs are checked when opened)."""
    m = re.fullmatch(r"sqlite:///(.+)", url or "")
    if m and m.group(1) != ":memory:" and not os.path.exists(m.group(1)):
        raise UsageError(f"storage {url!r}: no database at {m.group(1)!r}; check the "
                         "path (three slashes for a relative path, four for an absolute one), "
                         "or run `caviar tune ... --storage URL` to create one")


def check_output(path: str, option: str = "--output") -> None:
    """Before any work: the file ``path`` can be created (its folder exists and is writable)."""
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise UsageError(f"{option} {path!r}: is a folder; give a file name, e.g. "
                         f"{os.path.join(path, 'out.csv')!r}")
    if not os.path.isdir(folder):
        raise UsageError(f"{option} {path!r}: the folder {folder!r} does not exist; create it "
                         "first (mkdir -p) or write elsewhere")
    if not os.access(folder, os.W_OK) or (os.path.exists(path) and not os.access(path, os.W_OK)):
        raise UsageError(f"{option} {path!r}: not writable; choose a path you can write to")


def write_failed(path: str, option: str, e: OSError) -> UsageError:
    """The error for a write the checks let through (e.g. a read-only file system)."""
    return UsageError(f"{option} {path!r}: cannot be written ({e.strerror or e}); choose a "
                      "path you can write to")
