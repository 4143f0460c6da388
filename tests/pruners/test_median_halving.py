"""Median stopping, successive halving and ASHA on hand-made curves."""

from __future__ import annotations

import pytest

import caviar
from caviar import Float
from caviar.errors import UsageError
from caviar.pruners import (
    ASHAPruner,
    MedianPruner,
    SuccessiveHalvingPruner,
    make_pruner,
)
from caviar.pruners.base import Other


def finished(curves):
    return [Other(i, "complete", c) for i, c in enumerate(curves)]


def test_median_prunes_a_trial_worse_than_the_median_at_its_step():
    others = finished([{1: 1.0, 2: 0.5}, {1: 2.0, 2: 1.0}, {1: 3.0, 2: 1.5}])
    p = MedianPruner(n_startup_trials=3)
    assert p.decide_trial(9, {1: 2.5}, others, True).prune          # 2.5 > median 2.0
    assert not p.decide_trial(9, {1: 1.5}, others, True).prune      # 1.5 < 2.0
    assert not p.decide_trial(9, {1: 3.0, 2: 0.9}, others, True).prune  # best 0.9 < 1.0
    assert p.decide_trial(9, {1: 0.5}, others, False).prune         # maximize: 0.5 < 2.0


def test_median_waits_for_startup_trials_and_warmup():
    others = finished([{1: 1.0}, {1: 2.0}])
    assert not MedianPruner(n_startup_trials=3).decide_trial(9, {1: 9.0}, others, True).prune
    assert not MedianPruner(n_startup_trials=1, warmup_steps=2).decide_trial(
        9, {1: 9.0}, others, True).prune


def test_median_on_a_population():
    curves = {"a": {3: 1.0}, "b": {3: 2.0}, "c": {3: 3.0}, "d": {3: 4.0}}
    d = MedianPruner(n_startup_trials=2).decide_values(curves)
    assert [k for k, x in d.items() if x.prune] == ["c", "d"]


def test_asha_promotes_the_top_third_at_each_rung():
    p = ASHAPruner(min_budget=1, eta=3, max_budget=9)
    assert p.rungs == [1, 3, 9]
    others = [Other(i, "running", {1: v}) for i, v in enumerate([0.2, 0.4, 0.6, 0.8, 1.0])]
    assert p.decide_trial(9, {1: 0.1}, others, True).action == "promote"   # best of 6: top 2
    assert p.decide_trial(9, {1: 0.3}, others, True).action == "promote"   # 2nd of 6
    assert p.decide_trial(9, {1: 0.5}, others, True).prune                 # 3rd of 6
    assert p.decide_trial(9, {1: 0.1, 2: 0.1}, others, True).action == "continue"  # between


def test_sync_halving_schedule_and_certain_rule():
    p = SuccessiveHalvingPruner(min_budget=1, max_budget=9, eta=3)
    assert p.schedule() == [(9, 1), (3, 3), (1, 9)]
    mates = [Other(i, "complete", {1: float(i)}) for i in range(3)]   # 0, 1, 2 are better
    assert p.decide_trial(5, {1: 5.0}, mates, True).prune               # 3 better, keep 3
    assert p.decide_trial(5, {1: -1.0}, mates, True).action == "continue"  # 5 still to come
    all_in = [Other(i, "complete", {1: float(i)}) for i in range(8)]
    assert p.decide_trial(8, {1: -1.0}, all_in, True).action == "promote"
    other_bracket = [Other(i + 9, "complete", {1: float(i) - 10}) for i in range(8)]
    assert p.decide_trial(8, {1: -1.0}, other_bracket, True).action == "continue"


def test_sync_halving_population_is_exact():
    p = SuccessiveHalvingPruner(min_budget=1, max_budget=9, eta=3)
    curves = {m: {1: float(m)} for m in range(9)}
    d = p.decide_values(curves)
    assert sorted(k for k, x in d.items() if not x.prune) == [0, 1, 2]


@pytest.mark.parametrize("make", [
    lambda: ASHAPruner(eta=1),
    lambda: ASHAPruner(min_budget=10, max_budget=5),
    lambda: SuccessiveHalvingPruner(min_budget=10, max_budget=5),
    lambda: MedianPruner(warmup_steps=10, max_budget=10),
    lambda: make_pruner("nope"),
    lambda: make_pruner("hyperband"),
])
def test_bad_settings(make):
    with pytest.raises(UsageError):
        make()


def objective(trial):
    x = trial.params["x"]
    for step in range(1, 10):
        trial.report((x - 0.5) ** 2 + 1.0 / step, step)
        if trial.should_prune():
            raise caviar.TrialPruned()
    return (x - 0.5) ** 2 + 1.0 / 9


@pytest.mark.parametrize("pruner", ["median", "asha", ASHAPruner(max_budget=9),
                                    SuccessiveHalvingPruner(max_budget=9),
                                    make_pruner("hyperband", max_budget=9)])
def test_pruners_stop_trials_in_a_study(pruner):
    study = caviar.create_study(space={"x": Float(0, 1)}, seed=0, pruner=pruner)
    study.optimize(objective, n_trials=40)
    counts = study.counts()
    assert counts.get("pruned", 0) > 5 and counts.get("complete", 0) >= 1
    pruned = [t for t in study.trials if t.state == "pruned"]
    assert all(t.system_attrs.get("pruned_because") for t in pruned)
    assert study.best_value < 0.13
