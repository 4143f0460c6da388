"""caviar.torch.optimize as a study's loop: every member a trial with its curve, pruning per
epoch, checkpoints that load into the user's module, failures alone, bad input before any
training, on SQLite and PostgreSQL."""

from __future__ import annotations

import re

import pytest

torch = pytest.importorskip("torch")

import torch.nn as nn  # noqa: E402

import caviar  # noqa: E402
import caviar.torch as ct  # noqa: E402
from caviar.errors import UsageError  # noqa: E402


def member(trial):
    width = trial.suggest_categorical("width", [12, 20])
    model = nn.Sequential(nn.Linear(64, width, bias=False), nn.BatchNorm1d(width), nn.ReLU(),
                          nn.Dropout(0.1), nn.Linear(width, 10))
    return ct.Member(model, optimizer=trial.suggest_categorical("opt", ["adam", "sgd"]),
                     lr=trial.suggest_float("lr", 1e-3, 3e-2, log=True),
                     momentum=0.9, batch_size=32)


def sqlite(tmp_path, name="t"):
    return caviar.create_study(name, storage=f"sqlite:///{tmp_path}/s.db",
                               direction="maximize", seed=3)


def test_each_member_is_a_trial_with_its_curve_and_its_weights_load_back(tmp_path, digits64):
    x, y, xv, yv = digits64
    study = sqlite(tmp_path)
    groups: list[list[str]] = []
    ct.optimize(study, member, train=(x, y), val=(xv, yv), epochs=3, population=4,
                n_trials=6, dtype=torch.float64, on_groups=groups.append)
    trials = study.trials
    assert [t.state for t in trials] == ["complete"] * 6
    assert sorted(t.system_attrs["population_size"] for t in trials) == [2, 2, 4, 4, 4, 4]
    assert groups and all(re.search(r"\d+ members?\b", g) for gs in groups for g in gs)
    curves = study.reports()
    for t in trials:
        assert sorted(curves[t.id]) == [0, 1, 2] and t.value == curves[t.id][2]
        model = ct.load_model(study, t.number, member)
        assert isinstance(model, nn.Sequential) and not model.training
        assert model[0].weight.dtype == torch.float64 and model[0].out_features == \
            t.params["width"]
        with torch.no_grad():
            acc = (model(xv).argmax(1) == yv).double().mean().item()
        assert acc == t.value  # predicts exactly what the member predicted in the population
        assert int(model[1].num_batches_tracked) == 3 * (len(x) // 32)


def test_the_pruner_stops_members_per_epoch_and_they_are_told_pruned(tmp_path, digits64):
    x, y, xv, yv = digits64
    from caviar.pruners import make_pruner

    study = caviar.create_study("p", storage=f"sqlite:///{tmp_path}/s.db", direction="maximize",
                                seed=1, pruner=make_pruner("asha", min_budget=1, eta=2))
    ct.optimize(study, member, train=(x, y), val=(xv, yv), epochs=4, population=8,
                n_trials=8, dtype=torch.float64)
    states = [t.state for t in study.trials]
    assert states.count("pruned") >= 2 and states.count("complete") >= 1
    curves = study.reports()
    for t in study.trials:
        n = len(curves[t.id])
        assert (n < 4) if t.state == "pruned" else (n == 4)
        assert t.user_attrs["epochs_trained"] == n
        if t.state == "pruned":  # its weights at the epoch it stopped load back too
            model = ct.load_model(study, t.number, member)
            with torch.no_grad():
                acc = (model(xv).argmax(1) == yv).double().mean().item()
            assert acc == curves[t.id][n - 1]


def test_a_diverging_member_fails_alone(tmp_path, digits64):
    x, y, xv, yv = digits64

    def wild(trial):
        m = member(trial)
        if trial.number == 1:
            m.optimizer, m.lr = "sgd", 1e300
        return m

    study = sqlite(tmp_path)
    ct.optimize(study, wild, train=(x, y), val=(xv, yv), epochs=2, population=3, n_trials=3,
                dtype=torch.float64)
    by = {t.number: t for t in study.trials}
    assert by[1].state == "fail" and "diverged" in by[1].error and by[1].counted
    assert by[0].state == by[2].state == "complete"


def test_a_member_function_that_returns_no_member_stops_before_training(tmp_path, digits64):
    x, y, xv, yv = digits64
    study = sqlite(tmp_path)
    with pytest.raises(UsageError, match=r"must return a caviar\.torch\.Member, got Sequential"):
        ct.optimize(study, lambda t: member(t).model, train=(x, y), val=(xv, yv), epochs=1,
                    population=3, n_trials=3)
    assert all(t.state == "fail" and not t.counted for t in study.trials)
    assert not study.reports()
    with pytest.raises(UsageError, match="batch_size=1000 is larger than the 320"):
        ct.optimize(study, lambda t: ct.Member(member(t).model, batch_size=1000),
                    train=(x, y), val=(xv, yv), epochs=1, population=2, n_trials=2)
    with pytest.raises(UsageError, match="metric='accuracy' is to maximize"):
        ct.optimize(caviar.create_study(direction="minimize"), member, train=(x, y),
                    val=(xv, yv), epochs=1)
    # nothing stored is lost, nothing counted: a good run afterwards fills the target
    ct.optimize(study, member, train=(x, y), val=(xv, yv), epochs=1, population=2, n_trials=2)
    assert sum(t.counted for t in study.trials) == 2


def test_a_member_function_raising_fails_only_that_trial(tmp_path, digits64):
    x, y, xv, yv = digits64

    def flaky(trial):
        if trial.number == 0:
            raise RuntimeError("no such architecture")
        return member(trial)

    study = sqlite(tmp_path)
    ct.optimize(study, flaky, train=(x, y), val=(xv, yv), epochs=1, population=3, n_trials=3)
    by = {t.number: t for t in study.trials}
    assert by[0].state == "fail" and "no such architecture" in by[0].error
    assert by[1].state == by[2].state == "complete"


@pytest.mark.postgres
def test_two_populations_on_postgresql(digits64):
    from pgsupport import POSTGRES_URL, postgres_schema

    x, y, xv, yv = digits64
    with postgres_schema(POSTGRES_URL) as url:
        study = caviar.create_study("pg", storage=url, direction="maximize", seed=0)
        import os
        import tempfile

        with tempfile.TemporaryDirectory() as d:
            study.set_user_attr("artifacts", d)
            ct.optimize(study, member, train=(x, y), val=(xv, yv), epochs=2, population=3,
                        n_trials=5)
            assert [t.state for t in study.trials] == ["complete"] * 5
            t = study.best_trial
            model = ct.load_model(study, t.number, member)
            with torch.no_grad():
                acc = (model(xv.float()).argmax(1) == yv).float().mean().item()
            assert acc == pytest.approx(t.value, abs=1e-6)
            assert os.listdir(d)
