"""Crash safety: a worker killed with SIGKILL, and Ctrl-C of a whole run."""

from __future__ import annotations

import os
import signal
import time

import pytest
from tests.conftest import wait_for

from caviar import COMPLETE, FAIL, RUNNING, StudyNotFoundError, get_storage, load_study

SCRIPT = """
import sys, time
from caviar import create_study
def objective(t):
    x = t.suggest_float("x", 0.0, 1.0)
    time.sleep(0.3)
    return x
study = create_study("crash", storage=sys.argv[1], seed=0)
study.optimize(objective, n_trials=int(sys.argv[2]), workers=int(sys.argv[3]),
               heartbeat=0.2, stale_after=1.5)
"""

#: a grid with no seed (the default): every point exactly once, whatever is killed
GRID_SCRIPT = """
import sys, time
from caviar import Int, create_study
def objective(t):
    time.sleep(0.3)
    return float(t.params["x"])
study = create_study("crash", storage=sys.argv[1], sampler="grid",
                     space={"x": Int(0, int(sys.argv[2]) - 1)})
study.optimize(objective, n_trials=int(sys.argv[2]), workers=int(sys.argv[3]),
               heartbeat=0.2, stale_after=30.0)
"""




def study_trials(store):
    try:
        sid = store.get_study("crash").id
    except StudyNotFoundError:
        return []
    return store.get_trials(sid)[0]


def finished_exactly(url, n):
    study = load_study("crash", storage=url)
    ts = study.trials
    assert not [t for t in ts if t.state == RUNNING]
    assert len([t for t in ts if t.counted]) == n
    assert len([t for t in ts if t.state == COMPLETE]) == n
    assert sorted(t.params["x"] for t in ts if t.state == COMPLETE) == sorted(
        {t.params["x"] for t in ts if t.state == COMPLETE})
    return ts


def test_worker_killed_mid_trial_is_reaped_and_replaced(sqlite_url, start):
    proc = start(SCRIPT, sqlite_url, "12", "3")
    try:
        store = get_storage(sqlite_url)

        def a_running_trial():
            running = [t for t in study_trials(store) if t.state == RUNNING]
            return running[0] if running else None

        victim = wait_for(a_running_trial)
        pid = int(victim.worker.rsplit(":", 1)[1])
        assert pid not in (os.getpid(), proc.pid)
        os.kill(pid, signal.SIGKILL)
        _, err = proc.communicate(timeout=90)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    ts = finished_exactly(sqlite_url, 12)
    lost = next(t for t in ts if t.number == victim.number)
    assert lost.state == FAIL and lost.counted is False
    assert "worker lost" in lost.error
    assert len({t.worker for t in ts if t.state == COMPLETE}) >= 3  # a replacement ran trials


@pytest.mark.parametrize("target", ["parent", "group"])
def test_ctrl_c_leaves_nothing_running_and_resumes_exactly(target, sqlite_url, start, python):
    proc = start(SCRIPT, sqlite_url, "10", "2", start_new_session=True)
    try:
        store = get_storage(sqlite_url)
        wait_for(lambda: sum(t.state == COMPLETE for t in study_trials(store)) >= 2)
        if target == "group":  # what a terminal's Ctrl-C does
            os.killpg(proc.pid, signal.SIGINT)
        else:
            os.kill(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode != 0 and "KeyboardInterrupt" in err
    ts = load_study("crash", storage=sqlite_url).trials
    assert not [t for t in ts if t.state == RUNNING]
    assert sum(t.state == COMPLETE for t in ts) < 10
    for t in ts:
        if t.state == FAIL:
            assert not t.counted and ("interrupted" in t.error or "not run" in t.error)
    python(SCRIPT, sqlite_url, "10", "2")
    finished_exactly(sqlite_url, 10)


def test_ctrl_c_just_after_a_trial_was_started_leaves_nothing_running(sqlite_url):
    """Deterministic form of a race seen with a terminal's Ctrl-C: the interrupt lands right
    after the write that finished one trial and started the next, before the loop holds it."""
    from caviar import create_study

    study = create_study("crash", storage=sqlite_url)
    real = study.storage.finish_and_create

    def then_ctrl_c(*a, **kw):
        real(*a, **kw)
        raise KeyboardInterrupt

    study.storage.finish_and_create = then_ctrl_c
    with pytest.raises(KeyboardInterrupt):
        study.optimize(lambda t: t.suggest_float("x", 0.0, 1.0), n_trials=5)
    ts = load_study("crash", storage=sqlite_url).trials
    assert [t.state for t in ts if t.state == RUNNING] == []


@pytest.mark.parametrize(("backend", "workers"), [
    pytest.param("sqlite", 4, id="sqlite-4-workers"),
    pytest.param("postgres", 8, id="postgres-8-workers", marks=pytest.mark.postgres),
])
def test_repeated_kill_9_of_workers_still_ends_with_exactly_n_trials(backend, workers,
                                                                    sqlite_url, start):
    """A grid with no seed under kill -9: every point exactly once, lost trials kept their
    params (stored with the claim of their grid point) and were retried with exactly those
    params; a trial killed before it claimed a point held none and is not retried (its slot
    goes to a fresh point). Deterministic forms of each kill: test_grid_kill_seams.py."""
    import contextlib

    from pgsupport import POSTGRES_URL, postgres_schema

    n = 30
    with contextlib.ExitStack() as stack:
        url = sqlite_url if backend == "sqlite" else stack.enter_context(
            postgres_schema(POSTGRES_URL))
        proc = start(GRID_SCRIPT, url, str(n), str(workers))
        killed: set[int] = set()
        try:
            wait_for(lambda: study_trials_at(url))
            store = get_storage(url)
            for _ in range(3):
                def fresh_victim():
                    for t in study_trials(store):
                        pid = int(t.worker.rsplit(":", 1)[1])
                        if t.state == RUNNING and pid not in killed:
                            return t, pid
                    return None

                _, pid = wait_for(fresh_victim)
                os.kill(pid, signal.SIGKILL)
                killed.add(pid)
                time.sleep(0.4)
            _, err = proc.communicate(timeout=120)
        finally:
            proc.kill()
        assert proc.returncode == 0, err
        ts = load_study("crash", storage=url).trials
        assert not [t for t in ts if t.state == RUNNING]
        done = [t for t in ts if t.state == COMPLETE]
        assert sorted(t.params["x"] for t in done) == list(range(n))  # each point once
        lost = [t for t in ts if int(t.worker.rsplit(":", 1)[1]) in killed
                and t.state == FAIL]
        assert len(lost) >= 2, [(t.number, t.state) for t in ts]  # kills landed mid-trial
        for t in lost:
            assert not t.counted and "worker lost" in t.error
            if t.params:  # stored with its grid claim, not at a heartbeat
                assert "x" in t.params
                # retried (again, when a retry was killed too) until done once, with exactly
                # those params; the point is held by no other trial
                same = [r for r in ts if r.params == t.params]
                assert [r.state for r in same].count(COMPLETE) == 1, same
                assert all(not r.counted for r in same if r.state != COMPLETE), same
                assert next(r for r in same if r.state == COMPLETE).parent_id is not None
            else:  # killed before it claimed a point: it held none, so nothing retries it
                assert [r for r in ts if r.parent_id == t.id] == []


def test_a_trial_lost_before_its_first_heartbeat_keeps_its_params(sqlite_url):
    """The params reach storage when the trial starts: a worker killed before any heartbeat
    (here: a study whose objective never runs) leaves them behind for the retry."""
    from caviar import Float, create_study

    study = create_study("crash", storage=sqlite_url, space={"x": Float(0.0, 1.0)})
    trial = study.ask()
    stored = get_storage(sqlite_url).get_trial(trial.id)
    assert stored is not None and stored.params == trial.params and "x" in stored.params


def study_trials_at(url):
    try:
        return study_trials(get_storage(url))
    except Exception:
        return []
