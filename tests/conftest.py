"""Shared fixtures for the core suite.

``storage`` runs a test against every backend in ``STORAGE_BACKENDS``. Adding a backend is one
``pytest.param`` line; a URL param is opened with ``get_storage`` (PostgreSQL URLs get a fresh
schema per test, dropped afterwards). Without a PostgreSQL server or psycopg the postgres
params are skipped, except under ``CI=true``, where they fail instead.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from caviar import MemoryStorage, Storage, get_storage

SRC = str(Path(__file__).resolve().parents[1] / "src")
from pgsupport import POSTGRES_URL, in_ci, postgres_schema, unavailable  # noqa: E402, F401

STORAGE_BACKENDS = [
    pytest.param("memory", id="memory"),
    pytest.param("sqlite", id="sqlite"),
    pytest.param(POSTGRES_URL, id="postgres", marks=pytest.mark.postgres),
]


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return "sqlite:///" + str(tmp_path / "c.db")


@pytest.fixture(params=STORAGE_BACKENDS)
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Storage]:
    backend = request.param
    if backend == "memory":
        yield MemoryStorage()
        return
    with contextlib.ExitStack() as stack:
        if backend == "sqlite":
            url = "sqlite:///" + str(tmp_path / "c.db")
        else:
            url = stack.enter_context(postgres_schema(backend))
        store = get_storage(url)
        stack.callback(store.close)
        yield store


def xfail_on(request: pytest.FixtureRequest, backends: tuple[str, ...], reason: str) -> None:
    """Mark the running parametrized test xfail (strict) for the named storage backends."""
    if request.node.callspec.id.split("-")[0] in backends:
        request.applymarker(pytest.mark.xfail(reason=reason, strict=True))


def wait_for(pred: object, timeout: float = 60.0) -> object:
    """Poll ``pred()`` until it returns something truthy (returned), or fail after ``timeout``."""
    import time

    deadline = time.time() + timeout
    while time.time() < deadline:
        got = pred()  # type: ignore[operator]
        if got:
            return got
        time.sleep(0.05)
    raise AssertionError("timed out waiting")


def python_env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": SRC}


def run_python(code: str, *args: str, timeout: float = 120) -> str:
    """Run ``code`` in a fresh interpreter with caviar importable; its stdout (exit 0 checked)."""
    res = subprocess.run([sys.executable, "-c", code, *args], env=python_env(), text=True,
                         capture_output=True, timeout=timeout)
    assert res.returncode == 0, f"exit {res.returncode}\n{res.stdout}\n{res.stderr}"
    return res.stdout


def start_python(code: str, *args: str, **kw: object) -> subprocess.Popen[str]:
    """Start ``code`` in a fresh interpreter with caviar importable (stdout, stderr piped)."""
    return subprocess.Popen([sys.executable, "-c", code, *args], env=python_env(), text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)  # type: ignore[call-overload]


@pytest.fixture
def python() -> object:
    """``python(code, *args)``: run code in a fresh interpreter, return its stdout."""
    return run_python


@pytest.fixture
def start() -> object:
    """``start(code, *args)``: a Popen of code in a fresh interpreter."""
    return start_python


@pytest.fixture
def xfail_backend(request: pytest.FixtureRequest) -> object:
    return lambda backends, reason: xfail_on(request, backends, reason)


@pytest.fixture(scope="module")
def ray_cluster(request: pytest.FixtureRequest) -> Iterator[object]:
    """A real local Ray (ray.init on this machine's cores) for one test module; the module's
    functions are shipped to the workers by value (test modules are not importable there)."""
    try:
        import ray
        from ray import cloudpickle
    except ImportError:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("ray is not installed (CI=true: the Ray tests must run)")
        pytest.skip("ray is not installed")
    cloudpickle.register_pickle_by_value(request.module)
    ray.init(num_cpus=2, include_dashboard=False, configure_logging=False)
    yield ray
    ray.shutdown()
