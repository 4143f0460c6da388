"""Opening a storage from the command line: a read-only command never creates a database."""

from __future__ import annotations

import os
from typing import Any

from caviar.errors import UsageError


def open_existing(url: str) -> Any:
    """Open the storage at ``url`` for reading: where no database exists, a StorageError
    "no database at PATH" (a mistyped path must not leave an empty database behind)."""
    from caviar.storage import get_storage

    try:
        return get_storage(url, create=False)
    except Exception as e:
        if type(e).__module__.startswith("caviar"):
            raise
        raise UsageError(f"storage {url!r}: cannot be opened ({type(e).__name__}: {e})") \
            from None


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
