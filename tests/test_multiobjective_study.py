"""Studies with several directions: tell and optimize with tuples, the Pareto front as best
trials (checked by brute force), pruners, and every bad input refused before it is stored."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

import caviar
from caviar import StudyConflictError, UsageError
from caviar.pruners import MedianPruner
from caviar.trial_record import TrialUpdate

DIRS = ["maximize", "minimize"]


def objective(t: caviar.Trial) -> tuple[float, float]:
    x = t.suggest_float("x", 0.0, 1.0)
    y = t.suggest_int("y", 0, 4)  # coarse: ties and duplicates on the front
    return round(x, 1), float(y) + round(x, 1) ** 2


def brute_front(trials, directions):
    done = [t for t in trials if t.state == "complete"]
    sign = [-1 if d == "maximize" else 1 for d in directions]

    def dom(a, b):
        a = [s * v for s, v in zip(sign, a.values, strict=True)]
        b = [s * v for s, v in zip(sign, b.values, strict=True)]
        return all(x <= y for x, y in zip(a, b, strict=True)) and a != b

    return [t.number for t in done if not any(dom(o, t) for o in done if o is not t)]


@pytest.mark.parametrize("backend", ["memory", "sqlite"])
def test_optimize_stores_values_and_best_trials_is_the_exact_front(backend, tmp_path: Path):
    url = None if backend == "memory" else f"sqlite:///{tmp_path / 'mo.db'}"
    study = caviar.create_study("mo", storage=url, directions=DIRS, seed=3)
    assert study.directions == ("maximize", "minimize") and study.is_multi_objective
    study.optimize(objective, n_trials=60)
    trials = study.trials
    assert all(t.value is None and len(t.values) == 2 for t in trials)
    for t in trials:
        x = round(t.params["x"], 1)
        assert t.values == (x, t.params["y"] + x * x)
    front = [t.number for t in study.best_trials]
    assert front == brute_front(trials, DIRS)
    assert 1 < len(front) < 60
    if url:
        again = caviar.load_study("mo", storage=url)
        assert again.directions == study.directions
        assert [t.number for t in again.best_trials] == front


def test_three_directions_front_by_brute_force():
    dirs = ["minimize", "maximize", "minimize"]
    study = caviar.create_study(directions=dirs, seed=0)
    rng = np.random.default_rng(0)
    for _ in range(50):
        t = study.ask()
        study.tell(t, rng.integers(0, 4, size=3).astype(float))  # an ndarray works
    assert [t.number for t in study.best_trials] == brute_front(study.trials, dirs)


def test_tell_accepts_tuple_list_and_numpy_numbers():
    study = caviar.create_study(directions=DIRS)
    a, b, c = study.ask(3)
    assert study.tell(a, (0.5, 3)).values == (0.5, 3.0)
    assert study.tell(b, [np.float32(0.25), np.int64(2)]).values == (0.25, 2.0)
    assert study.tell(c, np.array([1.0, 1.0])).values == (1.0, 1.0)
    assert [type(v) for v in study.trials[1].values] == [float, float]


@pytest.mark.parametrize("bad, needle", [
    ((1.0,), "got 1 values (1.0,); return exactly 2 values"),
    ((1.0, 2.0, 3.0), "got 3 values"),
    (0.5, "must return 2 values (a tuple), got 0.5 (float)"),
    (None, "got None (NoneType)"),
    ((1.0, "x"), "values[1] must be a number, got 'x' (str)"),
    ((True, 1.0), "values[0] must be a number, got True (bool)"),
])
def test_wrong_shape_raises_before_anything_is_stored(bad, needle):
    study = caviar.create_study(directions=DIRS)
    t = study.ask()
    with pytest.raises(UsageError) as e:
        study.tell(t, bad)
    assert needle in str(e.value) and "['maximize', 'minimize']" in str(e.value)
    assert study.trials[0].state == "running" and study.trials[0].values is None
    assert study.tell(t, (1.0, 2.0)).values == (1.0, 2.0)  # the trial can still be told


def test_wrong_shape_from_an_objective_stops_optimize_and_counts_nothing():
    study = caviar.create_study(directions=DIRS)
    with pytest.raises(UsageError, match="got 1 values"):
        study.optimize(lambda t: (t.suggest_float("x", 0, 1),), n_trials=5)
    assert [(t.state, t.counted) for t in study.trials] == [("fail", False)]


@pytest.mark.parametrize("pos, bad", list(itertools.product([0, 1], [float("nan"), float("inf")])))
def test_a_non_finite_value_fails_the_trial_naming_its_position(pos, bad):
    study = caviar.create_study(directions=DIRS)
    vals = [1.0, 2.0]
    vals[pos] = bad
    rec = study.tell(study.ask(), tuple(vals))
    assert rec.state == "fail" and rec.values is None
    assert f"values[{pos}]={bad!r}" in rec.error and "finite" in rec.error
    assert study.best_trials == []


@pytest.mark.parametrize("what", ["best_trial", "best_value", "best_params"])
def test_single_best_is_refused_naming_best_trials(what):
    study = caviar.create_study("two", directions=DIRS)
    study.tell(study.ask(), (1.0, 2.0))
    with pytest.raises(UsageError, match=rf"'two': {what} needs one direction, this study has "
                                         r"2 \['maximize', 'minimize'\]; read study.best_trials"):
        getattr(study, what)


@pytest.mark.parametrize("kw, needle", [
    ({"directions": []}, "directions: needs at least one direction, got []"),
    ({"directions": ["maximize", "up"]},
     "directions[1]: must be 'minimize' or 'maximize', got 'up'"),
    ({"directions": "maximize"}, "directions: must be a list"),
    ({"direction": "maximize", "directions": DIRS}, "pass direction= or directions=, not both"),
    ({"direction": "down"}, "direction: must be 'minimize' or 'maximize', got 'down'"),
])
def test_bad_directions_are_refused_and_store_nothing(kw, needle, tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'x.db'}"
    with pytest.raises(UsageError) as e:
        caviar.create_study("s", storage=url, **kw)
    assert needle in str(e.value)
    assert not (tmp_path / "x.db").exists() or caviar.get_storage(url).list_studies() == []


def test_reopening_with_other_directions_is_refused_and_loses_nothing(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'r.db'}"
    study = caviar.create_study("r", storage=url, directions=DIRS, seed=1)
    study.optimize(objective, n_trials=5)
    before = [(t.number, t.values) for t in study.trials]
    for other in (["minimize", "minimize"], ["maximize", "minimize", "minimize"]):
        with pytest.raises(StudyConflictError, match=r"exists with directions=\['maximize', "
                                                     r"'minimize'\]"):
            caviar.create_study("r", storage=url, directions=other)
    with pytest.raises(StudyConflictError, match="exists with directions"):
        caviar.create_study("r", storage=url, direction="maximize")
    again = caviar.create_study("r", storage=url, directions=DIRS)
    assert [(t.number, t.values) for t in again.trials] == before


def test_one_direction_is_unchanged_and_takes_a_tuple_of_one():
    study = caviar.create_study(direction="maximize")
    rec = study.tell(study.ask(), (0.5,))
    assert rec.value == 0.5 and rec.values == (0.5,)
    assert study.best_trial.values == (0.5,) and study.best_value == 0.5
    assert [t.number for t in study.best_trials] == [0]
    with pytest.raises(UsageError, match="this study has one direction, got 2 values"):
        study.tell(study.ask(), (0.5, 1.0))


def test_best_trials_of_one_direction_are_the_ties_for_best():
    study = caviar.create_study()
    for v in (3.0, 1.0, 2.0, 1.0):
        study.tell(study.ask(), v)
    assert [t.number for t in study.best_trials] == [1, 3]


def test_constraints_keep_only_feasible_trials_on_the_front():
    study = caviar.create_study(directions=DIRS)
    points = [((1.0, 1.0), [0.5]), ((0.5, 0.5), [0.0]), ((0.2, 0.1), [-1.0]),
              ((0.9, 0.9), [-0.1, 0.0])]
    for vals, cons in points:
        t = study.ask()
        t.system_attrs["constraints"] = cons
        study.tell(t, vals)
    # trial 0 dominates everything but breaks its constraint: the front is of the rest
    assert [t.number for t in study.best_trials] == [1, 2, 3]
    only_bad = caviar.create_study(directions=DIRS)
    t = only_bad.ask()
    t.system_attrs["constraints"] = [1.0]
    only_bad.tell(t, (1.0, 1.0))
    assert only_bad.best_trials == []


def test_constraints_in_one_direction_pick_the_best_feasible():
    study = caviar.create_study(direction="maximize")
    for v, c in ((0.9, [1.0]), (0.5, [0.0]), (0.7, [-2.0])):
        t = study.ask()
        t.system_attrs["constraints"] = c
        study.tell(t, v)
    assert study.best_trial.number == 2 and study.best_value == 0.7


def test_pruned_and_failed_trials_have_no_values_and_stay_off_the_front():
    study = caviar.create_study(directions=DIRS)
    a, b, c = study.ask(3)
    a.report(0.3, 0)
    study.tell(a, state="pruned")
    study.tell(b, state="fail", error="boom")
    study.tell(c, (0.1, 5.0))
    got = study.trials
    assert [(t.state, t.value, t.values) for t in got[:2]] == [("pruned", None, None),
                                                              ("fail", None, None)]
    assert [t.number for t in study.best_trials] == [2]


# ---------------------------------------------------------------------- pruners
@pytest.mark.parametrize("pruner", ["median", "asha", {"name": "halving", "max_budget": 9},
                                    {"name": "hyperband", "max_budget": 9}])
def test_a_pruner_needs_report_direction_with_several_directions(pruner, tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'p.db'}"
    with pytest.raises(UsageError, match=r"pruner .* with directions=\['maximize', 'minimize'\]"
                                         r".*report_direction='maximize'"):
        caviar.create_study("p", storage=url, directions=DIRS, pruner=pruner)
    assert not (tmp_path / "p.db").exists() or caviar.get_storage(url).list_studies() == []


def test_report_direction_is_stored_and_the_pruner_compares_that_way(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'p.db'}"
    study = caviar.create_study("p", storage=url, directions=DIRS, report_direction="maximize",
                                pruner=MedianPruner(n_startup_trials=3), seed=0)
    assert study.report_direction == "maximize"
    # the first trials report high accuracies; a low one is pruned (maximize), a high one not
    for acc in (0.9, 0.8, 0.85):
        t = study.ask()
        t.report(acc, 0)
        study.tell(t, (acc, 1.0))
    low, high = study.ask(2)
    low.report(0.1, 0)
    high.report(0.95, 0)
    assert low.should_prune() and not high.should_prune()
    # another process loads it with the pruner: the stored word holds
    again = caviar.load_study("p", storage=url, pruner="median")
    assert again.report_direction == "maximize"
    assert caviar.create_study("p", storage=url, directions=DIRS, pruner="median") is not None


def test_report_direction_bad_word_is_refused():
    with pytest.raises(UsageError, match="report_direction: must be 'minimize' or 'maximize'"):
        caviar.create_study(directions=DIRS, report_direction="upward", pruner="median")


def test_without_a_pruner_reports_are_kept_on_a_multi_objective_study():
    study = caviar.create_study(directions=DIRS)
    t = study.ask()
    t.report(0.5, 0)
    t.report(0.6, 1)
    assert not t.should_prune()
    study.tell(t, (0.6, 10.0))
    assert study.reports() == {t.id: {0: 0.5, 1: 0.6}}


# ---------------------------------------------------------------------- workers
def test_parallel_workers_share_a_multi_objective_study(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'w.db'}"
    study = caviar.create_study("w", storage=url, directions=DIRS, seed=5)
    study.optimize(objective, n_trials=12, workers=2)
    trials = caviar.load_study("w", storage=url).trials
    assert sum(t.state == "complete" for t in trials) == 12
    assert all(len(t.values) == 2 for t in trials if t.state == "complete")
    assert [t.number for t in study.best_trials] == brute_front(trials, DIRS)


def test_storage_finish_carries_values_into_the_study_history():
    study = caviar.create_study(directions=DIRS)
    t = study.ask()
    study.storage.finish_trials([TrialUpdate(t.id, "complete", None, values=(2.0, 1.0))])
    assert study.trials[0].values == (2.0, 1.0)


# ---------------------------------------------------------------------- names and exports
def test_objective_names_name_the_export_columns():
    import csv
    import io
    import json

    study = caviar.create_study(directions=DIRS)
    assert study.objective_names == ["values_0", "values_1"]
    study.optimize(objective, n_trials=4)
    cols = next(csv.reader(io.StringIO(study.to_csv())))
    assert cols[:4] == ["number", "state", "values_0", "values_1"] and "value" not in cols
    study.set_objective_names(["accuracy", "n_params"])
    assert study.objective_names == ["accuracy", "n_params"]
    df = study.to_dataframe()
    assert list(df.columns[:4]) == ["number", "state", "values_accuracy", "values_n_params"]
    assert [tuple(r) for r in df[["values_accuracy", "values_n_params"]].to_numpy()] == \
        [t.values for t in study.trials]
    doc = json.loads(study.to_json())
    assert doc["objective_names"] == ["accuracy", "n_params"]
    assert doc["trials"][0]["values"] == list(study.trials[0].values)
    for bad in (["a"], ["a", "a"], ["a", ""], "ab"):
        with pytest.raises(UsageError, match="objective names: need 2 distinct non-empty names"):
            study.set_objective_names(bad)
    assert study.objective_names == ["accuracy", "n_params"]


def test_one_direction_exports_are_unchanged():
    import csv
    import io

    study = caviar.create_study()
    study.tell(study.ask(), 1.5)
    assert study.objective_names == ["value"]
    assert next(csv.reader(io.StringIO(study.to_csv())))[:3] == ["number", "state", "value"]


# ---------------------------------------------------------------------- constraints callable
def n_params_limit(t):
    return [t.values[1] - 3.0]  # feasible while the second value is at most 3


def test_constraints_callable_is_evaluated_stored_and_honoured(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'c.db'}"
    study = caviar.create_study("c", storage=url, directions=DIRS, seed=2,
                                constraints=n_params_limit)
    study.optimize(objective, n_trials=30, workers=2)  # the callable reaches the workers
    trials = caviar.load_study("c", storage=url).trials
    assert all(t.system_attrs["constraints"] == [t.values[1] - 3.0] for t in trials)
    feasible = [t for t in trials if t.values[1] <= 3.0]
    assert [t.number for t in study.best_trials] == brute_front(feasible, DIRS)
    assert all(t.values[1] <= 3.0 for t in study.best_trials)


def test_constraints_of_the_wrong_shape_stop_before_anything_is_stored():
    study = caviar.create_study(directions=DIRS, constraints=lambda t: 1.0)
    t = study.ask()
    with pytest.raises(UsageError, match="must return a list of floats, got the single number"):
        study.tell(t, (1.0, 2.0))
    assert study.trials[0].state == "running" and "constraints" not in study.trials[0].system_attrs
    with pytest.raises(UsageError, match="constraints: must be a callable"):
        caviar.create_study(directions=DIRS, constraints=[1.0])
