"""PostgreSQL helpers shared by tests (a plain module: conftest names clash across folders)."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator

import pytest

POSTGRES_URL = os.environ.get("CAVIAR_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def unavailable(why: str) -> None:
    """Skip a test whose service is missing; in CI, fail: a skipped backend is untested."""
    if in_ci():
        pytest.fail(f"{why} (CI=true: these tests must run, not skip)")
    pytest.skip(why)


@contextlib.contextmanager
def postgres_schema(url: str) -> Iterator[str]:
    """A URL whose connections use a fresh schema of ``url``'s database; dropped on exit."""
    try:
        import psycopg
    except ImportError:
        unavailable("psycopg is not installed: .venv/bin/pip install 'psycopg[binary]'")
    try:
        admin = psycopg.connect(url, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as e:
        unavailable(f"no PostgreSQL server at {url}: {str(e).strip()}")
    schema = f"caviar_test_{uuid.uuid4().hex[:12]}"
    with admin:
        admin.execute(f"CREATE SCHEMA {schema}")
        try:
            sep = "&" if "?" in url else "?"
            yield f"{url}{sep}options=-csearch_path%3D{schema}"
        finally:
            admin.execute(f"DROP SCHEMA {schema} CASCADE")
