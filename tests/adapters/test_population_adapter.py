"""The population engine as a study's objective: every member is a trial with its curve."""

from __future__ import annotations

import math

import pytest

import caviar
from caviar.adapters import MLP_SPACE, tune_population

torch = pytest.importorskip("torch")
nn = pytest.importorskip("caviar.nn")

SMALL = {"lr": caviar.Float(1e-3, 3e-2, scale="log"), "hidden": caviar.Int(8, 16)}
FIXED = {"epochs": 3, "depth": 1, "batch_size": 128}


def test_each_member_is_a_trial_with_its_curve_and_final_accuracy():
    study = caviar.create_study(direction="maximize", space=SMALL, seed=0)
    tune_population(study, n_trials=6, population=4, fixed=FIXED, threads=1)
    trials = study.trials
    assert [t.state for t in trials] == ["complete"] * 6
    assert {t.system_attrs["population_size"] for t in trials} == {4, 2}  # 4, then the rest
    curves = study.reports()
    for t in trials:
        assert sorted(curves[t.id]) == [0, 1, 2]
        assert t.value == pytest.approx(curves[t.id][2])  # the final validation accuracy
        assert 0.0 <= t.value <= 1.0 and t.user_attrs["epochs_trained"] == 3
    assert study.best_value > 0.5  # digits: even 3 epochs learn something


def test_a_member_trained_alone_gives_the_same_accuracy():
    """Same config, same seed: the population's member equals a lone run (float64)."""
    study = caviar.create_study(direction="maximize", space=SMALL, seed=3)
    tune_population(study, n_trials=3, population=3, fixed=FIXED, threads=1,
                    dtype=torch.float64)
    t = study.trials[1]
    data = nn.load_dataset("digits", seed=0)
    alone = nn.train_population([{**FIXED, **t.params, "seed": t.number}], data,
                                dtype=torch.float64, threads=1)
    assert alone.members[0].val_accuracy == pytest.approx(t.value, abs=1e-12)


def test_a_diverging_member_fails_alone():
    space = {"lr": caviar.Float(1e-3, 1e3, scale="log")}
    study = caviar.create_study(direction="maximize", space=space, seed=1)
    fixed = {**FIXED, "optimizer": "sgd", "batch_norm": False, "epochs": 4}
    tune_population(study, n_trials=8, population=8, fixed=fixed, threads=1)
    states = {t.params["lr"]: t.state for t in study.trials}
    assert "fail" in states.values() and "complete" in states.values()
    failed = [t for t in study.trials if t.state == "fail"]
    assert all(t.error for t in failed)
    assert min(t.params["lr"] for t in failed) > max(
        t.params["lr"] for t in study.trials if t.state == "complete") / 100


def test_pruner_stops_members_per_epoch_and_saves_their_epochs():
    study = caviar.create_study(direction="maximize", space=SMALL, seed=2, pruner="median")
    tune_population(study, n_trials=12, population=6, fixed={**FIXED, "epochs": 6}, threads=1)
    pruned = [t for t in study.trials if t.state == "pruned"]
    assert pruned, "the median rule stops the worse half of later members"
    assert all(t.user_attrs["epochs_trained"] < 6 for t in pruned)
    assert all(t.state in ("complete", "pruned") for t in study.trials)


def test_bad_input_is_refused_before_any_trial():
    study = caviar.create_study(direction="minimize", space=SMALL)
    with pytest.raises(caviar.UsageError, match="direction='maximize'"):
        tune_population(study, n_trials=2, fixed=FIXED)
    study = caviar.create_study(direction="maximize", space={"dropout": caviar.Float(0, 1)})
    with pytest.raises(caviar.UsageError, match=r"not caviar\.nn hyperparameters"):
        tune_population(study, n_trials=2, fixed=FIXED)
    study = caviar.create_study(direction="maximize", space=SMALL)
    with pytest.raises(caviar.UsageError, match="unknown hyperparameters"):
        tune_population(study, n_trials=2, fixed={"epoch": 3})
    with pytest.raises(Exception, match="epochs"):
        tune_population(study, n_trials=2, fixed={"epochs": 0})
    assert study.trials == []


def test_mlp_space_has_the_lecture_scales():
    assert MLP_SPACE["lr"].scale == "log"
    assert MLP_SPACE["beta1"].scale == MLP_SPACE["beta2"].scale == "reverse_log"
    assert MLP_SPACE["bn_beta"].scale == "reverse_log"
    assert MLP_SPACE["hidden"].scale == "log" and not math.isnan(MLP_SPACE["hidden"].value(0.5))
