"""Panda mode in one process (no torch): control events, validation, the controller at step
boundaries, rewind / resume / replay of a plain Python objective, the live view."""

from __future__ import annotations

import io

import numpy as np
import pytest
from rich.console import Console

import caviar
from caviar import panda
from caviar.panda import control
from caviar.panda.control import Change, ControlError
from caviar.panda.view import LiveView, render, sparkline


def make_objective(epochs=6, hook=None):
    """A tiny 'training': w follows lr; the state is checkpointed every epoch."""

    def objective(trial):
        trial.suggest_float("lr", 1e-4, 1.0, log=True)
        trial.suggest_int("width", 1, 8)
        w, start = np.zeros(2), 0
        got = trial.restore()
        if got is not None:
            w, start = got[0]["w"], got[1] + 1
        for epoch in range(start, epochs):
            lr = trial.hyper("lr")
            w = w + lr
            trial.set_user_attr("lr_used", [*trial.user_attrs.get("lr_used", []), [epoch, lr]])
            if hook is not None:
                hook(trial, epoch)
            trial.report(float(w[0]), epoch)
            trial.checkpoint({"w": w}, epoch)
        return float(w[0])
    return objective


@pytest.fixture
def study(tmp_path):
    return caviar.create_study("p", storage="sqlite:///" + str(tmp_path / "p.db"))


def frozen(study, number):
    return control.find_trial(study.storage, study.storage.get_study(study.name), number)


def test_parse_changes_and_bad_items():
    got = control.parse_changes(["lr=3e-4", "momentum=0.95", "width=4", "act=relu", "b*=0.5"])
    assert got == [Change("lr", 3e-4), Change("momentum", 0.95), Change("width", 4),
                   Change("act", "relu"), Change("b", factor=0.5)]
    for bad in (["lr"], ["=1"], ["lr="], ["lr=1", "lr=2"], ["lr*=-1"], ["lr*=x"]):
        with pytest.raises(ControlError):
            control.parse_changes(bad)
    with pytest.raises(ControlError, match="factor"):
        control.parse_params(["lr*=2"])


def test_sparkline():
    assert sparkline([0, 1, 2, 3, 4, 5, 6, 7]) == "▁▂▃▄▅▆▇█"
    assert sparkline([1, 1]) == "▅▅"
    assert sparkline([0, float("nan"), 1]) == "▁ █"
    assert len(sparkline(list(range(100)), width=10)) == 10
    assert sparkline([]) == ""


def test_nudge_applies_at_the_next_boundary_and_is_recorded(study):
    def hook(trial, epoch):  # "another terminal" writes events while epoch 1 runs
        if epoch == 1:
            rec = study.storage.get_study("p")
            t = frozen(study, trial.number)
            panda.nudge(study.storage, rec, t, [Change("lr", 0.5)], source="test")
            # a bad nudge slipped past validation (e.g. the dashboard): rejected at apply time
            study.storage.add_event(trial.id, "nudge", {"param": "lr", "value": 50.0})
            study.storage.add_event(trial.id, "nudge", {"param": "width", "value": 3})

    out = panda.babysit(study, make_objective(hook=hook), params={"lr": 0.1, "width": 2},
                        quiet=True)
    assert out.state == caviar.COMPLETE
    used = dict((e, lr) for e, lr in out.user_attrs["lr_used"])
    assert used == {0: 0.1, 1: 0.1, 2: 0.5, 3: 0.5, 4: 0.5, 5: 0.5}
    assert [s["lr"] for s in out.user_attrs["schedule"]] == [0.1, 0.1, 0.5, 0.5, 0.5, 0.5]
    evs = study.storage.get_events(out.id)
    nudge = next(e for e in evs if e.kind == "nudge")
    assert nudge.payload == {"param": "lr", "value": 0.5, "source": "test"}
    applied = [e.payload for e in evs if e.kind == "applied"]
    assert applied[0] == {"event": nudge.id, "kind": "nudge", "step": 2, "param": "lr",
                          "old": 0.1, "new": 0.5, "values": {"lr": 0.5}}
    rejected = [e.payload["reason"] for e in evs if e.kind == "rejected"]
    assert "must lie in" in rejected[0] and "immutable" in rejected[1]
    rows = control.history_rows(evs)
    assert [r["status"][:8] for r in rows] == ["applied", "rejected", "rejected"]
    assert rows[0]["epoch"] == 2 and rows[0]["detail"]["old"] == 0.1
    assert out.params == {"lr": 0.1, "width": 2}  # params keep the start values


def test_pause_resume_stop_and_a_factor(study):
    def hook(trial, epoch):
        s = study.storage
        if epoch == 0:
            s.add_event(trial.id, "pause", {"source": "test"})
            s.add_event(trial.id, "nudge", {"param": "lr", "factor": 0.5})
            s.add_event(trial.id, "resume", {})
        if epoch == 2:
            s.add_event(trial.id, "stop", {})

    out = panda.babysit(study, make_objective(hook=hook), params={"lr": 0.2, "width": 2},
                        quiet=True, poll=0.01)
    assert out.state == caviar.COMPLETE and out.system_attrs["stopped_after_epoch"] == 2
    assert [lr for _, lr in out.user_attrs["lr_used"]] == [0.2, 0.1, 0.1]
    assert out.value == pytest.approx(0.4)
    kinds = [(e.payload["kind"], e.payload["step"]) for e in
             study.storage.get_events(out.id) if e.kind == "applied"]
    assert kinds == [("pause", 1), ("nudge", 1), ("resume", 1), ("stop", 2)]


def test_bad_requests_are_rejected_before_anything_is_written(study):
    seen = {}

    def hook(trial, epoch):
        if epoch != 1:
            return
        rec, t = study.storage.get_study("p"), frozen(study, trial.number)
        before = len(study.storage.get_events(t.id))
        cases = {"unknown": Change("nope", 1.0), "range": Change("lr", 5.0),
                 "type": Change("lr", "fast"), "immutable": Change("width", 3),
                 "factor-range": Change("lr", factor=1e5)}
        for key, c in cases.items():
            with pytest.raises(ControlError) as e:
                panda.nudge(study.storage, rec, t, [Change("lr", 0.2), c])
            seen[key] = str(e.value)
        assert len(study.storage.get_events(t.id)) == before  # nothing written

    out = panda.babysit(study, make_objective(hook=hook), params={"lr": 0.1, "width": 2},
                        quiet=True)
    assert [lr for _, lr in out.user_attrs["lr_used"]] == [0.1] * 6  # untouched
    assert "has no param 'nope'" in seen["unknown"] and "lr, width" in seen["unknown"]
    assert "must lie in [0.0001, 1.0], got 5.0" in seen["range"] and "fix:" in seen["range"]
    assert "finite number, got 'fast'" in seen["type"]
    assert "immutable" in seen["immutable"] and "mutable here: lr" in seen["immutable"]
    assert "must lie in" in seen["factor-range"]
    rec = study.storage.get_study("p")
    with pytest.raises(ControlError, match=r"is complete, not running.*caviar rewind 0"):
        panda.nudge(study.storage, rec, frozen(study, 0), [Change("lr", 0.2)])
    with pytest.raises(ControlError, match="not running"):
        panda.command(study.storage, frozen(study, 0), "pause")
    with pytest.raises(caviar.UsageError, match=r"is not in study .p. .*0\.\.0"):
        control.locate(study.storage, "p", 7)


def test_not_babysat_trial_is_refused(study):
    t = study.ask()
    t.suggest_float("lr", 1e-4, 1.0, log=True)
    rec = study.storage.get_study("p")
    with pytest.raises(ControlError, match="without a babysitter"):
        panda.nudge(study.storage, rec, frozen(study, t.number), [Change("lr", 0.2)])


def test_rewind_branches_from_the_checkpoint_and_replay_repeats_the_schedule(study):
    def hook(trial, epoch):
        if epoch == 1 and trial.number == 0:
            study.storage.add_event(trial.id, "nudge", {"param": "lr", "value": 0.3})

    obj = make_objective(hook=hook)
    parent = panda.babysit(study, obj, params={"lr": 0.1, "width": 2}, quiet=True)
    import caviar.panda.runner as runner

    runner.make_objective = lambda spec: obj  # the in-process objective, not a stored target
    try:
        child = panda.rewind(study, 0, 3, [Change("lr", 0.05)], quiet=True)
        again = panda.replay(study, 0, quiet=True)
    finally:
        import importlib

        importlib.reload(runner)
    assert child.parent_id == parent.id and child.system_attrs["rewind_epoch"] == 3
    assert child.params == {"lr": 0.05, "width": 2}
    assert [lr for _, lr in child.user_attrs["lr_used"]] == [0.05, 0.05]  # epochs 4 and 5
    # starts from the parent's epoch-3 weights: 0.1 + 0.1 + 0.3 + 0.3, then 2 x 0.05
    assert child.value == pytest.approx(0.9)
    reports = study.reports([parent.id, child.id])
    assert {s: reports[child.id][s] for s in range(4)} == {s: reports[parent.id][s]
                                                           for s in range(4)}
    rew = [e for e in study.storage.get_events(parent.id) if e.kind == "rewind"]
    assert rew[0].payload["child"] == child.number and rew[0].payload["to_step"] == 3
    assert again.value == pytest.approx(parent.value)
    assert [lr for _, lr in again.user_attrs["lr_used"]] == \
        [lr for _, lr in parent.user_attrs["lr_used"]]
    assert {t.number for t in study.trials} == {0, 1, 2}  # all ordinary trials of the study
    with pytest.raises(ControlError, match=r"no checkpoint at epoch 9.*0\.\.5"):
        panda.rewind(study, 0, 9, [])


def test_live_view_renders_curves_hypers_and_checkpoint(study):
    text = {}

    def hook(trial, epoch):
        trial.user_attrs["curves"] = {"train_loss": [1.0 / (e + 1) for e in range(epoch + 1)]}
        if epoch == 3:
            buf = io.StringIO()
            Console(file=buf, width=120, force_terminal=False).print(
                render(trial._panda, 6, "test"))
            text["out"] = buf.getvalue()

    buf = io.StringIO()
    view_console = Console(file=buf, width=120)
    panda.babysit(study, make_objective(hook=hook), params={"lr": 0.1, "width": 2},
                  console=view_console, epochs=6)
    out = text["out"]
    for want in ("babysitting trial 0", "epoch 3/6", "elapsed", "remaining",
                 "last checkpoint: epoch 2", "train_loss", "lr", "width", "caviar nudge 0"):
        assert want in out, want
    lines = buf.getvalue()  # off a terminal: one line per epoch
    assert "trial 0 epoch 6/6" in lines
    assert isinstance(LiveView(total=1, target="x", quiet=True), LiveView)


def test_dashboard_nudges_of_a_babysat_trial_are_checked_like_the_cli(study):
    pytest.importorskip("starlette")
    from starlette.testclient import TestClient

    from caviar.dashboard import create_app

    got = {}

    def hook(trial, epoch):
        if epoch != 1:
            return
        c = TestClient(create_app(study.storage, allow_control=True))
        hdr = {"X-Caviar-Control": "1"}
        body = {"study": "p", "number": trial.number, "action": "nudge"}
        got["bad"] = c.post("/api/control", json={**body, "param": "width", "value": 3},
                            headers=hdr).json()
        got["range"] = c.post("/api/control", json={**body, "param": "lr", "value": 9.0},
                              headers=hdr).json()
        got["ok"] = c.post("/api/control", json={**body, "param": "lr", "factor": 0.5},
                           headers=hdr).json()

    out = panda.babysit(study, make_objective(hook=hook), params={"lr": 0.2, "width": 2},
                        quiet=True)
    assert "immutable" in got["bad"]["error"] and "must lie in" in got["range"]["error"]
    assert got["ok"]["ok"] is True
    assert [lr for _, lr in out.user_attrs["lr_used"]] == [0.2, 0.2, 0.1, 0.1, 0.1, 0.1]
