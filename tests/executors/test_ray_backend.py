"""The Ray backend against a real local Ray cluster (ray.init on this machine's cores)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import caviar
from caviar.executors.ray_backend import RayOptions

pytestmark = [pytest.mark.ray, pytest.mark.slow]


def quadratic(trial):
    x = trial.suggest_float("x", -2.0, 2.0)
    lr = trial.suggest_float("lr", 1e-4, 1.0, log=True)
    return x * x + lr


def test_trials_run_as_ray_tasks_and_storage_is_the_truth(ray_cluster, tmp_path):
    url = f"sqlite:///{tmp_path / 'r.db'}"
    study = caviar.create_study("ray", storage=url, seed=5)
    study.optimize(quadratic, n_trials=24, workers=2, backend="ray")
    trials = caviar.load_study("ray", storage=url).trials
    assert len(trials) == 24 and all(t.state == "complete" for t in trials)
    assert sorted(t.number for t in trials) == list(range(24))
    # the tasks ran in Ray worker processes, not in this one
    runners = {t.system_attrs["ray_worker"] for t in trials}
    assert runners and not any(r.endswith(f":{os.getpid()}") for r in runners)
    # same seed, same params by number as a local run
    local = caviar.create_study("local", seed=5)
    local.optimize(quadratic, n_trials=24)
    assert {t.number: t.params for t in trials} == {t.number: t.params for t in local.trials}


def killer(trial):
    """Kills its own Ray worker on the first attempt of trial 2; completes on the retry."""
    x = trial.suggest_float("x", 0.0, 1.0)
    flag = Path(os.environ["CAVIAR_TEST_FLAGS"]) / f"killed-{trial.number}"
    if trial.number == 2 and not flag.exists():
        flag.write_text("killed once")
        os.kill(os.getpid(), 9)
    return x


def test_a_trial_whose_ray_worker_dies_is_retried(ray_cluster, tmp_path, monkeypatch):
    flags = tmp_path / "flags"
    flags.mkdir()
    monkeypatch.setenv("CAVIAR_TEST_FLAGS", str(flags))
    url = f"sqlite:///{tmp_path / 'k.db'}"
    study = caviar.create_study("kill", storage=url, seed=1)
    ray_cluster.shutdown()
    ray_cluster.init(num_cpus=2, include_dashboard=False, configure_logging=False,
                     runtime_env={"env_vars": {"CAVIAR_TEST_FLAGS": str(flags)}})
    study.optimize(killer, n_trials=6, workers=2, backend="ray",
                   ray=RayOptions(max_retries=2))
    assert (flags / "killed-2").exists()          # the worker really died once
    trials = study.trials
    assert [t.state for t in trials] == ["complete"] * 6
    assert trials[2].number == 2 and trials[2].value is not None  # same trial, retried


def always_dies(trial):
    os.kill(os.getpid(), 9)


def test_a_trial_that_kills_every_worker_is_failed_after_max_retries(ray_cluster, tmp_path):
    url = f"sqlite:///{tmp_path / 'd.db'}"
    study = caviar.create_study("die", storage=url)
    study.optimize(always_dies, n_trials=1, workers=1, backend="ray",
                   ray=RayOptions(max_retries=1), timeout=3)
    lost = [t for t in study.trials if t.state == "fail"]
    assert lost and all(not t.counted and "Ray worker lost 2 times" in (t.error or "")
                        for t in lost)


def test_ray_needs_a_shared_storage(ray_cluster):
    with pytest.raises(caviar.UsageError, match="storage every Ray worker can reach"):
        caviar.create_study().optimize(quadratic, n_trials=2, backend="ray")


def test_an_objective_ray_cannot_load_stops_the_study_with_a_clear_error(ray_cluster, tmp_path):
    from caviar.objective_ref import ObjectiveRef

    src = tmp_path / "pkg_objective.py"
    src.write_text("def objective(trial):\n    return trial.suggest_float('x', 0, 1)\n")
    ref = ObjectiveRef(f"{src}:objective")
    src.unlink()  # now the Ray workers cannot load it
    study = caviar.create_study("gone", storage=f"sqlite:///{tmp_path / 'g.db'}")
    with pytest.raises(caviar.UsageError, match="make the objective importable there"):
        study.optimize(ref, n_trials=4, workers=2, backend="ray")
    assert not [t for t in study.trials if t.state == "running"]
