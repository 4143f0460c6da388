"""Babysitting members of a running population: nudge, pause and stop written by a person
(the panda control API, as `caviar nudge` writes them) while the population trains are applied
at an epoch boundary, answered with `applied` events, and show in the member's schedule."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import caviar
from caviar.adapters import schedule_watch, tune_population
from caviar.adapters.population import PBT_SPACE
from caviar.panda import control
from caviar.schedulers import PBT
from caviar.storage import get_storage

torch = pytest.importorskip("torch")
nn = pytest.importorskip("caviar.nn")

ROOT = Path(__file__).resolve().parents[2]
FIXED = {"epochs": 300, "hidden": 8, "depth": 1, "batch_size": 150}


def small() -> object:
    d = nn.load_dataset("digits", seed=0)
    return nn.Dataset(d.X_train[:300], d.y_train[:300], d.X_val[:100], d.y_val[:100],
                      d.n_classes, "digits")


def run_in_thread(url: str, scheduler) -> tuple[threading.Thread, list[BaseException]]:
    errors: list[BaseException] = []

    def target() -> None:
        try:
            study = caviar.load_study("bs", storage=url)
            tune_population(study, data=small(), n_trials=4, population=4, fixed=FIXED,
                            threads=1, scheduler=scheduler)
        except BaseException as e:  # re-raised in the test
            errors.append(e)

    th = threading.Thread(target=target, daemon=True)
    th.start()
    return th, errors


def wait_members(store, study_rec, n: int) -> list:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        ts = store.get_trials(study_rec.id, states=["running"])[0]
        if len(ts) == n and all(control.is_member(store.get_events(t.id)) for t in ts):
            return sorted(ts, key=lambda t: t.number)
        time.sleep(0.02)
    raise AssertionError("the population never declared its members")


@pytest.mark.parametrize("scheduler", [None, PBT(interval=1000, seed=0)], ids=["plain", "pbt"])
def test_nudge_pause_stop_members_of_a_running_population(tmp_path, scheduler, monkeypatch):
    # read the events at every epoch boundary: with the 0.5 s default a quiet machine can
    # train all the epochs between two reads, and nothing would be applied
    monkeypatch.setattr(schedule_watch, "POLL_SECONDS", 0.0)
    url = f"sqlite:///{tmp_path}/bs.db"
    caviar.create_study("bs", storage=url, direction="maximize", space=PBT_SPACE, seed=0)
    th, errors = run_in_thread(url, scheduler)
    store = get_storage(url)
    rec = control.find_study(store, "bs")
    a, b, c, d = wait_members(store, rec, 4)
    control.nudge(store, rec, a, [control.Change("lr", value=0.05)], source="test")
    control.command(store, b, "pause", source="test")
    control.command(store, c, "stop", source="test")
    with pytest.raises(control.ControlError, match="has no param 'hidden'"):
        control.nudge(store, rec, d, [control.Change("hidden", value=32)])
    th.join(300)
    assert not th.is_alive() and not errors, errors
    trials = {t.number: t for t in caviar.load_study("bs", storage=url).trials}
    ev = {n: store.get_events(trials[n].id) for n in (a.number, b.number, c.number)}
    nudge = next(e for e in ev[a.number] if e.kind == "applied" and e.payload["kind"] == "nudge")
    assert nudge.payload["new"] == 0.05 and nudge.payload["old"] == a.params["lr"]
    assert trials[a.number].state == "complete"
    step = nudge.payload["step"]
    assert 0 < step < FIXED["epochs"]
    from caviar.viz.build import applied_marks  # the curve plot marks the nudge

    curve = caviar.load_study("bs", storage=url).reports([a.id])[a.id]
    assert any(m["kind"] == "nudge" and m["step"] == nudge.payload["step"]
               for m in applied_marks(ev[a.number], curve, a.number))
    if scheduler is not None:  # the schedule holds the nudge; a replay would apply it
        assert [step, {**a.params, "lr": 0.05}] in trials[a.number].system_attrs["schedule"]
    paused = trials[b.number]
    assert paused.state == "pruned" and paused.user_attrs["epochs_trained"] < FIXED["epochs"]
    stop = next(e for e in ev[c.number] if e.kind == "applied" and e.payload["kind"] == "stop")
    assert trials[c.number].state == "pruned"
    assert trials[c.number].user_attrs["epochs_trained"] == stop.payload["step"] + 1
    assert trials[d.number].state == "complete"
    assert trials[d.number].user_attrs["epochs_trained"] == FIXED["epochs"]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    p = subprocess.run([sys.executable, "-m", "caviar", "history", str(a.number), "--study",
                        "bs", "--storage", url], env=env, text=True, capture_output=True,
                       timeout=120)
    assert p.returncode == 0, p.stderr
    assert "nudge" in p.stdout and "applied" in p.stdout
