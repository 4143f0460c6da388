"""The worker session's chores, one by one, on real SQLite: reaping the dead of this host,
saying why a run waits, releasing on an interrupt, SIGTERM as an interrupt."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from caviar import FAIL, RUNNING, create_study
from caviar.executors.worker import Terminated, WorkerSession


def a_dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def started_by(study, worker: str, age: float) -> int:
    """A running trial of ``study`` as if ``worker`` started it ``age`` seconds ago."""
    rec = study.storage.create_trials(study.id, 1, worker=worker)[0]
    import sqlite3

    path = study.storage.url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as c:
        c.execute("UPDATE caviar_trials SET heartbeat_at = ?, created_at = ? WHERE id = ?",
                  (time.time() - age, time.time() - age, rec.id))
    return rec.id


def test_reaps_at_once_only_the_gone_processes_of_this_host(sqlite_url):
    study = create_study("s", storage=sqlite_url)
    host = socket.gethostname()
    dead_here = started_by(study, f"{host}:{a_dead_pid()}", age=10)
    alive_here = started_by(study, f"{host}:{os.getpid()}", age=10)
    elsewhere = started_by(study, f"another-host-{os.getpid()}:{a_dead_pid()}", age=10)
    just_started = started_by(study, f"{host}:{a_dead_pid()}", age=0)
    session = WorkerSession(study, heartbeat=5.0, stale_after=30.0)
    try:
        assert session.reap_dead_here() == [dead_here]
    finally:
        session.close()
    states = {t.id: t for t in study.storage.get_trials(study.id)[0]}
    assert states[dead_here].state == FAIL and not states[dead_here].counted
    assert "worker lost" in (states[dead_here].error or "")
    for tid in (alive_here, elsewhere, just_started):
        assert states[tid].state == RUNNING


def test_says_why_it_waits_and_names_the_setting(sqlite_url):
    study = create_study("s", storage=sqlite_url)
    started_by(study, "another-host:1", age=12)
    session = WorkerSession(study, heartbeat=1.0, stale_after=45.0)
    try:
        why = session.waiting_for()
    finally:
        session.close()
    assert "1 trial(s) running elsewhere" in why and "45 s (--stale-after)" in why
    assert "in 33 s" in why  # 45 - 12: when the silent one counts as lost


def test_the_stale_after_setting_reaches_the_study(sqlite_url):
    study = create_study("s", storage=sqlite_url)
    session = WorkerSession(study, heartbeat=0.5, stale_after=3.0)
    session.close()
    assert study.stale_after == 3.0


def test_release_fails_every_held_trial_uncounted_and_keeps_finished_results(sqlite_url):
    study = create_study("s", storage=sqlite_url)
    session = WorkerSession(study, heartbeat=5.0, stale_after=30.0)
    a, b, c = session.ask(3)
    session.defer(a, 0.5)  # a finished result not yet written
    session.release("interrupted for the test")
    session.close()
    ts = {t.id: t for t in study.storage.get_trials(study.id)[0]}
    assert ts[a.id].state == "complete" and ts[a.id].value == 0.5
    for t in (b, c):
        assert ts[t.id].state == FAIL and not ts[t.id].counted
        assert ts[t.id].error == "interrupted for the test"


def test_sigterm_inside_a_session_is_an_interrupt_that_releases(sqlite_url):
    study = create_study("s", storage=sqlite_url)
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(Terminated), WorkerSession(study) as session:
        held = session.ask(2)
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)  # the signal lands before this ends
    assert signal.getsignal(signal.SIGTERM) is before  # restored
    ts = {t.id: t for t in study.storage.get_trials(study.id)[0]}
    for t in held:
        assert ts[t.id].state == FAIL and "terminated (SIGTERM)" in (ts[t.id].error or "")
