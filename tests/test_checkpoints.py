"""Checkpoints: files beside the store, referenced by events, never pickled; a retried trial
resumes from the lost trial's checkpoint."""

from __future__ import annotations

import os

import numpy as np
import pytest

import caviar
from caviar import artifacts


def test_round_trip_of_nested_state(tmp_path):
    state = {"w": np.arange(6.0).reshape(2, 3), "opt": {"step": 7, "betas": [0.9, 0.999],
             "m": {0: np.ones(3, dtype=np.float32)}}, "name": "adam", "none": None}
    path = tmp_path / "c.npz"
    artifacts.save(str(path), state)
    back = artifacts.load(str(path))
    np.testing.assert_array_equal(back["w"], state["w"])
    assert back["opt"]["step"] == 7 and back["opt"]["betas"] == [0.9, 0.999]
    assert back["opt"]["m"][0].dtype == np.float32 and back["name"] == "adam"
    assert back["none"] is None


def test_objects_are_refused_not_pickled(tmp_path):
    with pytest.raises(caviar.UsageError, match="never pickled"):
        artifacts.save(str(tmp_path / "x.npz"), {"f": object()})
    assert not (tmp_path / "x.npz").exists()


def test_trial_checkpoint_is_a_file_beside_the_store_and_an_event(tmp_path):
    url = f"sqlite:///{tmp_path / 'c.db'}"
    study = caviar.create_study("ck", storage=url)
    trial = study.ask()
    trial.report(0.5, 3)
    path = trial.checkpoint({"w": np.ones(2)})
    assert path.startswith(str(tmp_path / "c-artifacts")) and os.path.exists(path)
    state, step = trial.restore()
    assert step == 3 and state["w"].tolist() == [1.0, 1.0]
    events = study.storage.get_events(trial.id)
    assert [e.kind for e in events] == ["checkpoint"]
    study.tell(trial, 1.0)


OBJECTIVE = """
import os

def resumable(trial):
    lr = trial.suggest_float("lr", 1e-3, 1e-1, log=True)
    restored = trial.restore()
    start = 0 if restored is None else restored[1] + 1
    trial.set_user_attr("started_at_epoch", start)
    for epoch in range(start, 5):
        trial.report(lr * epoch, epoch)
        trial.checkpoint({"epoch": epoch}, step=epoch)
        if epoch == 2 and restored is None and os.environ.get("CAVIAR_TEST_DIE") == "1":
            os._exit(9)  # the process dies mid-trial, like kill -9
    return lr
"""

RUN = """
import sys, caviar
sys.path.insert(0, sys.argv[1])
from resumable_objective import resumable
study = caviar.create_study("resume", storage=sys.argv[2], seed=0)
study.optimize(resumable, n_trials=2, heartbeat=0.05, stale_after=0.5)
"""


def test_a_lost_trial_is_retried_with_its_params_from_its_checkpoint(tmp_path, python):
    import subprocess
    import sys
    import time

    (tmp_path / "resumable_objective.py").write_text(OBJECTIVE)
    url = f"sqlite:///{tmp_path / 'r.db'}"
    env = {**os.environ, "CAVIAR_TEST_DIE": "1",
           "PYTHONPATH": os.path.dirname(os.path.dirname(caviar.__file__))}
    died = subprocess.run([sys.executable, "-c", RUN, str(tmp_path), url], env=env,
                          capture_output=True, text=True, timeout=120)
    assert died.returncode == 9, died.stderr
    lost = caviar.load_study("resume", storage=url).trials[0]
    assert lost.state == "running"  # nobody has reaped it yet
    time.sleep(0.6)
    python(RUN, str(tmp_path), url)  # the same command again: reaps, retries, resumes
    trials = caviar.load_study("resume", storage=url).trials
    assert trials[0].state == "fail" and not trials[0].counted
    retry = [t for t in trials if t.system_attrs.get("retry_of") == lost.number]
    assert len(retry) == 1
    assert retry[0].params == lost.params and retry[0].state == "complete"
    assert retry[0].user_attrs["started_at_epoch"] == 3
    assert sum(t.state == "complete" for t in trials) == 2
