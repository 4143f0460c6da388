"""SIGTERM, a storage that stops taking writes, and a crash on this host: real processes,
real signals, real SQLite. Each run ends with nothing left running and resumes exactly."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tests.conftest import wait_for

from caviar import COMPLETE, FAIL, RUNNING, StudyNotFoundError, get_storage, load_study

OBJECTIVE = """
import time
def objective(trial):
    x = trial.suggest_float("x", 0.0, 1.0)
    time.sleep(0.2)
    return x
"""

#: the child restores SIGINT/SIGTERM's defaults (a background shell child ignores SIGINT)
CLI = """
import signal, sys
signal.signal(signal.SIGINT, signal.default_int_handler)
signal.signal(signal.SIGTERM, signal.SIG_DFL)
from caviar.cli.main import main
main(sys.argv[1:])
"""


def cli(args: list[str], **kw: object) -> subprocess.Popen[str]:
    from tests.conftest import python_env

    return subprocess.Popen([sys.executable, "-c", CLI, *args], env=python_env(), text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)  # type: ignore[call-overload]




def trials_of(url: str):
    try:
        store = get_storage(url)
        return store.get_trials(store.get_study("s").id)[0]
    except (StudyNotFoundError, Exception):
        return []


def tune_args(tmp_path: Path, url: str, n: int, workers: int) -> list[str]:
    f = tmp_path / "obj.py"
    f.write_text(OBJECTIVE)
    return ["tune", f"{f}:objective", "--storage", url, "--study", "s", "--trials", str(n),
            "--workers", str(workers), "--quiet"]


@pytest.mark.parametrize("target", ["parent", "group"])
def test_sigterm_stops_workers_releases_trials_and_exits_143(target, tmp_path, sqlite_url):
    args = tune_args(tmp_path, sqlite_url, 40, 2)
    proc = cli(args, start_new_session=True)
    try:
        wait_for(lambda: sum(t.state == COMPLETE for t in trials_of(sqlite_url)) >= 3)
        if target == "group":
            os.killpg(proc.pid, signal.SIGTERM)
        else:
            os.kill(proc.pid, signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 143, err
    assert "Traceback" not in err and "SIGTERM" in err
    time.sleep(0.5)
    # no orphaned worker keeps tuning: the trial count stays where it stopped
    ts = trials_of(sqlite_url)
    assert not [t for t in ts if t.state == RUNNING]
    assert sum(t.state == COMPLETE for t in ts) < 40
    time.sleep(1.0)
    assert len(trials_of(sqlite_url)) == len(ts)
    for t in ts:
        if t.state == FAIL:
            assert not t.counted and ("terminated" in t.error or "interrupted" in t.error
                                      or "not run" in t.error), t.error
    res = subprocess.run(cli(args).args, env=_env(), text=True, capture_output=True,
                         timeout=120)
    assert res.returncode == 0, res.stderr
    done = [t for t in load_study("s", storage=sqlite_url).trials if t.state == COMPLETE]
    assert len(done) == 40


def _env() -> dict[str, str]:
    from tests.conftest import python_env

    return python_env()


@pytest.fixture
def small_disk(tmp_path: Path):
    """A 4 MiB filesystem (tmpfs; needs root, which CI on this machine is) or, without root,
    a plain folder whose database the test makes read-only."""
    where = tmp_path / "disk"
    where.mkdir()
    mounted = os.geteuid() == 0 and subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(where)]).returncode == 0
    yield where, mounted
    if mounted:
        subprocess.run(["umount", "-l", str(where)])


def _break(where: Path, mounted: bool) -> None:
    if mounted:  # fill the disk
        with open(where / "filler", "wb") as f, contextlib.suppress(OSError):
            while True:
                f.write(b"\0" * 65536)
                f.flush()
    else:
        for p in where.iterdir():
            os.chmod(p, 0o444)


def _mend(where: Path, mounted: bool) -> None:
    if mounted:
        (where / "filler").unlink(missing_ok=True)
    else:
        for p in where.iterdir():
            os.chmod(p, 0o644)


def test_a_storage_that_stops_taking_writes_fails_the_run_and_resumes_exactly(tmp_path,
                                                                             small_disk):
    """The disk fills up (or the file turns read-only) mid-run: the run exits non-zero with a
    message naming the storage, leaves what it can released, and once the disk has room the
    same command resumes to exactly the target."""
    where, mounted = small_disk
    db = where / "c.db"
    url = f"sqlite:///{db}"
    args = tune_args(tmp_path, url, 30, 2)
    proc = cli(args)
    try:
        wait_for(lambda: sum(t.state == COMPLETE for t in trials_of(url)) >= 4)
        _break(where, mounted)
        _, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
        _mend(where, mounted)
    assert proc.returncode == 1, err
    assert str(db) in err and "Traceback" not in err, err
    res = subprocess.run(cli(args).args, env=_env(), text=True, capture_output=True,
                         timeout=120)
    assert res.returncode == 0, res.stderr
    ts = load_study("s", storage=url).trials
    assert not [t for t in ts if t.state == RUNNING]
    assert sum(t.counted for t in ts) == 30
    assert sum(t.state == COMPLETE for t in ts) == 30
