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
    """A URL whose connections use a fresh schema of ``url``'s database; dropped on exit.
    Its connections carry the schema's name as application_name, so ``terminate_backends``
    can cut exactly them (other tests share the server)."""
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
            yield f"{url}{sep}options=-csearch_path%3D{schema}&application_name={schema}"
        finally:
            admin.execute(f"DROP SCHEMA {schema} CASCADE")


def terminate_backends(url: str) -> int:
    """Terminate every server connection opened through ``url`` (a ``postgres_schema`` URL),
    as a server restart or ``pg_terminate_backend`` by an administrator would; how many."""
    import urllib.parse

    import psycopg

    name = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["application_name"][0]
    with psycopg.connect(url, autocommit=True, connect_timeout=3) as admin:
        row = admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND application_name = %s", (name,)).fetchone()
    return int(row[0]) if row else 0
