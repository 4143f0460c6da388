"""A trial whose Ray worker dies once Ray's retries are spent (max_retries=0) is failed
uncounted by the driver and retried by the study as a new trial: with the lost trial's
params (stored by the task's heartbeat), not a fresh draw. Real local Ray, real SQLite."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

import caviar
from caviar.executors.ray_backend import RayOptions

pytestmark = [pytest.mark.ray, pytest.mark.slow]


def make_objective(flags: Path):
    def dies_once_after_its_params_are_stored(trial):
        x = trial.suggest_float("x", 0.0, 1.0)
        flag = flags / f"killed-{trial.number}"
        if trial.number == 1 and not flag.exists():
            time.sleep(1.5)  # the task's heartbeat (every 0.5 s) has stored x by now
            flag.write_text(str(x))
            os.kill(os.getpid(), 9)
        return x

    return dies_once_after_its_params_are_stored


def test_a_trial_lost_with_its_worker_is_retried_with_its_own_params(ray_cluster, tmp_path):
    flags = tmp_path / "flags"
    flags.mkdir()
    url = f"sqlite:///{tmp_path / 'l.db'}"
    study = caviar.create_study("lost", storage=url, seed=4)
    study.optimize(make_objective(flags), n_trials=4, workers=2, backend="ray",
                   ray=RayOptions(max_retries=0), heartbeat=0.5)
    trials = caviar.load_study("lost", storage=url).trials
    lost = [t for t in trials if t.state == "fail"]
    done = [t for t in trials if t.state == "complete"]
    assert len(lost) == 1 and lost[0].number == 1 and not lost[0].counted
    assert "Ray worker lost 1 times" in (lost[0].error or "")
    assert len(done) == 4 and len(trials) == 5  # one retry: nothing lost, nothing doubled
    retry = next(t for t in done if t.system_attrs.get("retry_of_id") == lost[0].id)
    x = float((flags / "killed-1").read_text())
    assert lost[0].params == {"x": x} and retry.params == {"x": x} and retry.value == x
