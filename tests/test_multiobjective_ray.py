"""A study with several directions and a constraints callable on the Ray backend (a real
local Ray): values and constraint values are stored by the Ray tasks."""

from __future__ import annotations

import pytest

import caviar

pytestmark = [pytest.mark.ray, pytest.mark.slow]


def two(trial):
    x = trial.suggest_float("x", 0.0, 1.0)
    return x, x * x  # a trade-off: every trial is on the front


def at_most_half(trial):
    return [trial.values[1] - 0.25]  # feasible while x <= 0.5


def test_values_and_constraints_from_ray_tasks(ray_cluster, tmp_path):
    url = f"sqlite:///{tmp_path / 'r.db'}"
    study = caviar.create_study("ray-mo", storage=url, directions=["maximize", "minimize"],
                                seed=3, constraints=at_most_half)
    study.optimize(two, n_trials=8, workers=2, backend="ray")
    trials = caviar.load_study("ray-mo", storage=url).trials
    assert [t.state for t in trials] == ["complete"] * 8
    for t in trials:
        x = t.params["x"]
        assert t.values == (x, x * x)
        assert t.system_attrs["constraints"] == [x * x - 0.25]
    # only the feasible ones are best
    feasible = {t.number for t in trials if t.params["x"] ** 2 <= 0.25}
    assert feasible and {t.number for t in study.best_trials} == feasible
