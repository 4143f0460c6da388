"""caviar.torch members report size, FLOPs and their share of the time, and a study can tune
the metric against them (objectives=[...])."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

import torch.nn as nn  # noqa: E402
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

import caviar  # noqa: E402
import caviar.torch as ct  # noqa: E402
from caviar.errors import UsageError  # noqa: E402


def member(trial):
    width = trial.suggest_categorical("width", [4, 12, 20])
    model = nn.Sequential(nn.Linear(64, width, bias=False), nn.BatchNorm1d(width), nn.ReLU(),
                          nn.Linear(width, 10))
    return ct.Member(model, lr=trial.suggest_float("lr", 1e-3, 3e-2, log=True), batch_size=32)


def oracle_flops(width: int) -> int:
    model = nn.Sequential(nn.Linear(64, width, bias=False), nn.BatchNorm1d(width), nn.ReLU(),
                          nn.Linear(width, 10)).eval()
    with torch.no_grad(), FlopCounterMode(display=False) as c:
        model(torch.zeros(1, 64))
    return c.get_total_flops()


def test_metric_against_parameter_count(digits64):
    x, y, xv, yv = digits64
    study = caviar.create_study(directions=["maximize", "minimize"], seed=4)
    ct.optimize(study, member, train=(x, y), val=(xv, yv), epochs=2, population=6,
                n_trials=6, dtype=torch.float64, objectives=["metric", "n_params"])
    trials = study.trials
    assert [t.state for t in trials] == ["complete"] * 6
    for t in trials:
        w = t.params["width"]
        n = 64 * w + 2 * w + w * 10 + 10
        assert t.values == (t.user_attrs["metric"], float(n))
        assert t.user_attrs["n_params"] == n and t.user_attrs["flops"] == oracle_flops(w)
    wall = trials[0].system_attrs["population_seconds_per_trial"] * 6
    assert sum(t.user_attrs["train_seconds"] for t in trials) == pytest.approx(wall)
    assert study.best_trials


def test_objectives_must_match_the_study_before_training(digits64):
    x, y, xv, yv = digits64
    study = caviar.create_study(directions=["maximize", "maximize"])
    with pytest.raises(UsageError, match=r"objectives \['metric', 'n_params'\] are tuned in "
                                         r"directions \['maximize', 'minimize'\]"):
        ct.optimize(study, member, train=(x, y), val=(xv, yv), epochs=1, n_trials=2,
                    objectives=["metric", "n_params"])
    with pytest.raises(UsageError, match="unknown objective 'size'"):
        ct.optimize(study, member, train=(x, y), val=(xv, yv), epochs=1, n_trials=2,
                    objectives=["metric", "size"])
    one = caviar.create_study(directions=["maximize", "minimize"])
    with pytest.raises(UsageError, match="metric='accuracy' is to maximize"):
        ct.optimize(one, member, train=(x, y), val=(xv, yv), epochs=1, n_trials=2)
    assert study.trials == [] and one.trials == []


def test_tune_torch_objectives_on_the_command_line(tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    from test_torch_cli import TRAIN_PY  # the same user file as the tune-torch tests

    (tmp_path / "train.py").write_text(TRAIN_PY)
    db = f"sqlite:///{tmp_path}/o.db"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}

    def run(*args):
        return subprocess.run([sys.executable, "-m", "caviar", "tune-torch", "train.py:member",
                               "--storage", db, "--epochs", "1", "--population", "3",
                               "--trials", "3", "--seed", "0", "-q", *args], cwd=tmp_path,
                              env=env, text=True, capture_output=True, timeout=300)

    p = run("--study", "o", "--objectives", "metric,flops")
    assert p.returncode == 0, p.stderr
    assert "Pareto front of 'o'" in p.stdout and "flops =" in p.stdout
    study = caviar.load_study("o", storage=db)
    assert study.directions == ("maximize", "minimize")
    assert study.objective_names == ["metric", "flops"]
    assert all(t.values[1] == t.user_attrs["flops"] for t in study.trials)
    bad = run("--study", "b", "--objectives", "metric,size")
    assert bad.returncode == 2 and "unknown objective 'size'" in bad.stderr
