"""Panda mode end to end with real processes: a babysat caviar.nn run on digits in one
process, nudged, paused, resumed and stopped from others (the CLI); a rewind whose branch
starts from the checkpoint's weights; kill -9 and ``caviar babysit --resume``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("sklearn")

from caviar import COMPLETE, FAIL, artifacts, get_storage, load_study
from caviar.panda import control

SRC = os.path.join(os.path.dirname(__file__), "..", "..", "src")
ENV = {**os.environ, "PYTHONPATH": os.path.abspath(SRC)}


def cli(*args, ok=True):
    res = subprocess.run([sys.executable, "-m", "caviar", *args], env=ENV, text=True,
                         capture_output=True, timeout=120)
    if ok:
        assert res.returncode == 0, res.stdout + res.stderr
    return res


def start(*args):
    return subprocess.Popen([sys.executable, "-m", "caviar", *args], env=ENV, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def wait_for(pred, proc=None, timeout=90.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        got = pred()
        if got:
            return got
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"babysit exited early: {proc.stdout.read()}")
        time.sleep(0.05)
    raise AssertionError("timed out waiting")


def trial_of(store, study, number):
    try:
        rec = store.get_study(study)
    except Exception:
        return None
    ts = [t for t in store.get_trials(rec.id)[0] if t.number == number]
    return ts[0] if ts else None


def applied(store, tid, event_id):
    for e in store.get_events(tid):
        if e.kind == "applied" and e.payload.get("event") == event_id:
            return e.payload
    return None


def last_event(store, tid, kind):
    evs = [e for e in store.get_events(tid) if e.kind == kind]
    return evs[-1] if evs else None


def steps(store, study_id, tid):
    return [s for _, s, _ in store.get_reports(study_id, [tid])]


@pytest.mark.slow
def test_nudge_pause_stop_then_rewind_from_the_checkpoint(tmp_path):
    url = "sqlite:///" + str(tmp_path / "b.db")
    run = ["--storage", url, "--study", "s"]
    proc = start("babysit", "--mlp", "--data", "digits", "--epochs", "400", "-p", "hidden=16",
                 "-p", "depth=1", "--min-epoch-seconds", "0.05", "--quiet", *run)
    try:
        store = get_storage(url)
        t = wait_for(lambda: trial_of(store, "s", 0), proc)
        sid = t.study_id
        wait_for(lambda: len(steps(store, sid, t.id)) >= 2, proc)
        before = max(steps(store, sid, t.id))
        cli("nudge", "0", "lr=3e-4", *run)
        nudge = last_event(store, t.id, "nudge")
        assert nudge.payload == {"param": "lr", "value": 3e-4, "source": "cli"}
        first = wait_for(lambda: applied(store, t.id, nudge.id), proc)
        assert first["step"] > before and first["old"] == 1e-3 and first["new"] == 3e-4

        cli("pause", "0", *run)
        pause = last_event(store, t.id, "pause")
        paused_at = wait_for(lambda: applied(store, t.id, pause.id), proc)["step"]
        # bad input while it waits: rejected with a clear message, nothing recorded
        n_events = len(store.get_events(t.id))
        for bad, words in ((["hidden=8"], "immutable"), (["lr=5"], "must lie in"),
                           (["nope=1"], "has no param 'nope'"), (["lr=fast"], "finite number")):
            res = cli("nudge", "0", *bad, *run, ok=False)
            assert res.returncode == 2 and words in res.stderr and "fix:" in res.stderr
        assert cli("nudge", "7", "lr=1e-3", *run, ok=False).returncode == 2
        assert len(store.get_events(t.id)) == n_events
        cli("nudge", "0", "lr=2e-4", *run)
        second = last_event(store, t.id, "nudge")
        got = wait_for(lambda: applied(store, t.id, second.id), proc)
        assert got["step"] == paused_at  # applied while paused: holds from the next epoch
        cli("resume", "0", *run)
        wait_for(lambda: max(steps(store, sid, t.id)) >= paused_at + 1, proc)
        cli("stop", "0", *run)
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    done = store.get_trial(t.id)
    assert done.state == COMPLETE and done.value == done.user_attrs["curves"]["val_acc"][-1]
    lr = {u["epoch"]: u["lr"] for u in done.user_attrs["optimizer"]}  # read from param_groups
    e1 = first["step"]
    assert all(lr[e] == 1e-3 for e in range(e1))
    assert all(lr[e] == 3e-4 for e in range(e1, paused_at))
    assert all(lr[e] == 2e-4 for e in range(paused_at, max(lr) + 1))
    assert cli("nudge", "0", "lr=1e-3", *run, ok=False).returncode == 2  # finished now
    hist = cli("history", "0", *run).stdout
    assert "nudge" in hist and "pause" in hist and "stop" in hist and "applied" in hist
    assert "complete" in cli("trials", "s", "--storage", url).stdout  # an ordinary trial

    # rewind to epoch K with a new lr: the branch trains epoch K+1 from K's checkpoint
    k = 1
    cli("rewind", "0", "--epoch", str(k), "lr=5e-4", "--stop-after", str(k + 1), "--quiet",
        *run)
    study = load_study("s", storage=url)
    child = next(x for x in study.trials if x.number == 1)
    assert child.parent_id == t.id and child.state == COMPLETE
    assert child.params["lr"] == 5e-4 and child.system_attrs["rewind_epoch"] == k
    assert [u["lr"] for u in child.user_attrs["optimizer"]] == [5e-4]
    root = study.artifacts_dir
    p_marks = control.checkpoints(store, t.id)
    c_marks = control.checkpoints(store, child.id)
    assert sorted(c_marks) == [k + 1]
    parent_k = artifacts.load(os.path.join(root, p_marks[k]))
    child_k1 = artifacts.load(os.path.join(root, c_marks[k + 1]))
    expect = _one_epoch_from(parent_k, child.params, k + 1, lr=5e-4)
    for name, arr in child_k1["model"].items():
        np.testing.assert_allclose(arr, expect[name], rtol=1e-9, atol=1e-12, err_msg=name)
    # ...and not from anywhere else: the parent's own epoch k+1 (another lr) differs
    parent_k1 = artifacts.load(os.path.join(root, p_marks[k + 1]))
    assert not np.allclose(parent_k1["model"]["0.weight"], child_k1["model"]["0.weight"])
    reports = study.reports([t.id, child.id])
    assert all(reports[child.id][s] == reports[t.id][s] for s in range(k + 1))
    assert last_event(store, t.id, "rewind").payload["child"] == 1


def _one_epoch_from(state, params, epoch, *, lr):
    """Recompute, in this process, epoch ``epoch`` from a checkpoint with lr ``lr``."""
    import torch

    from caviar import nn
    from caviar.adapters.babysit import apply_hypers, load_state, train_epoch

    cfg = nn.parse_config({**params, "epochs": epoch + 1})
    data = nn.load_dataset("digits", seed=0)
    model = nn.reference_module(cfg, data.n_features, data.n_classes, dtype=torch.float64)
    opt = nn.torch_optimizer(cfg, model)
    load_state(model, opt, state)
    apply_hypers(opt, cfg.optimizer, {"lr": lr, "beta1": params["beta1"],
                                      "beta2": params["beta2"]})
    x = torch.as_tensor(data.X_train, dtype=torch.float64)
    train_epoch(model, opt, x, torch.as_tensor(data.y_train), cfg, epoch)
    return {k: v.detach().numpy() for k, v in model.state_dict().items()}


@pytest.mark.slow
def test_kill_9_then_resume_from_the_last_checkpoint(tmp_path):
    url = "sqlite:///" + str(tmp_path / "k.db")
    run = ["--storage", url, "--study", "k"]
    proc = start("babysit", "--mlp", "--epochs", "60", "-p", "hidden=16", "-p", "depth=1",
                 "--min-epoch-seconds", "0.2", "--quiet", *run)
    store = get_storage(url)
    try:
        t = wait_for(lambda: trial_of(store, "k", 0), proc)
        wait_for(lambda: len(control.checkpoints(store, t.id)) >= 3, proc)
        cli("pause", "0", *run)
        pause = last_event(store, t.id, "pause")
        wait_for(lambda: applied(store, t.id, pause.id), proc)
        cli("nudge", "0", "lr=2e-3", *run)
        nudge = last_event(store, t.id, "nudge")
        at = wait_for(lambda: applied(store, t.id, nudge.id), proc)["step"]
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    last = max(control.checkpoints(store, t.id))
    res = cli("babysit", "--resume", "0", *run, ok=False)  # still heartbeating: refused
    assert res.returncode == 2 and "--force" in res.stderr
    cli("babysit", "--resume", "0", "--force", "--quiet", *run)
    old = store.get_trial(t.id)
    assert old.state == FAIL and not old.counted
    study = load_study("k", storage=url)
    new = next(x for x in study.trials if x.number == 1)
    assert new.state == COMPLETE and new.parent_id == t.id
    assert new.system_attrs["retry_of"] == 0 and new.system_attrs["restored"] == {"step": last}
    used = new.user_attrs["optimizer"]
    assert used[0]["epoch"] == last + 1 and used[-1]["epoch"] == 59  # continues, finishes
    # the nudge survives the crash: it holds from the epoch where it took effect
    assert [u["lr"] for u in used] == [2e-3 if u["epoch"] >= at else 1e-3 for u in used]
    assert any(u["lr"] == 2e-3 for u in used)
    assert sorted(study.reports([new.id])[new.id]) == list(range(60))
    assert last_event(store, t.id, "resumed").payload["child"] == 1
    assert cli("babysit", "--resume", "0", "--force", *run, ok=False).returncode == 2
