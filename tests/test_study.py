"""Study: create / load, directions, optimize, ask / tell, reports, pruning, failures."""

from __future__ import annotations

import math
import time

import pytest

from caviar import (
    COMPLETE,
    FAIL,
    PRUNED,
    RUNNING,
    Choice,
    Float,
    Int,
    MemoryStorage,
    TrialPruned,
    TrialStateError,
    UsageError,
    create_study,
    load_study,
)


def quadratic(t):
    x = t.suggest_float("x", -3.0, 3.0)
    return (x - 1.0) ** 2


def test_create_and_load_by_name(sqlite_url):
    s = create_study("exp", storage=sqlite_url, direction="maximize", seed=4)
    s.optimize(quadratic, n_trials=4)
    back = load_study("exp", storage=sqlite_url)
    assert (back.name, back.direction, back.id) == ("exp", "maximize", s.id)
    assert [t.params for t in back.trials] == [t.params for t in s.trials]
    assert back.sampler.seed == 4 and back.space.to_json() == s.space.to_json()
    again = create_study("exp", storage=sqlite_url, direction="maximize")
    assert again.id == s.id and again.sampler.seed == 4


def test_shared_memory_storage_object():
    store = MemoryStorage()
    create_study("a", storage=store).optimize(quadratic, n_trials=2)
    assert len(load_study("a", storage=store).trials) == 2


@pytest.mark.parametrize("direction, pick", [("minimize", min), ("maximize", max),
                                             ("MAXIMIZE", max)])
def test_best_trial_follows_direction(direction, pick):
    s = create_study(direction=direction, seed=0)
    s.optimize(quadratic, n_trials=30)
    values = [t.value for t in s.trials]
    assert s.best_value == pick(values) and s.best_trial.value == s.best_value
    assert s.best_params == s.best_trial.params
    assert s.best_value == pytest.approx((s.best_params["x"] - 1.0) ** 2)


def test_best_trial_ignores_failures_and_needs_one_complete():
    s = create_study()
    s.optimize(lambda t: math.nan, n_trials=2)
    with pytest.raises(UsageError, match="no completed trial"):
        s.best_trial  # noqa: B018
    s.optimize(lambda t: -5.0 if t.number == 3 else 1.0, n_trials=5)
    assert s.best_trial.number == 3


def test_optimize_runs_n_trials_and_resumes_to_the_target():
    s = create_study(seed=1)
    s.optimize(quadratic, n_trials=7)
    assert [t.number for t in s.trials] == list(range(7))
    assert s.counts() == {COMPLETE: 7}
    s.optimize(quadratic, n_trials=7)  # the target is already met
    assert len(s.trials) == 7
    s.optimize(quadratic, n_trials=10)
    assert len(s.trials) == 10


def test_ask_tell_loop():
    s = create_study(seed=2)
    for _ in range(5):
        t = s.ask()
        x = t.suggest_float("x", 0.0, 1.0)
        assert t.suggest_float("x", 0.0, 1.0) == x  # asking again returns the same value
        t.set_user_attr("note", "hi")
        frozen = s.tell(t, x * 2)
        assert frozen.state == COMPLETE and frozen.value == pytest.approx(2 * x)
    assert [t.value for t in s.trials] == pytest.approx([2 * t.params["x"] for t in s.trials])
    assert s.trials[0].user_attrs == {"note": "hi"}
    with pytest.raises(TrialStateError, match="already finished"):
        s.tell(t, 1.0)
    batch = s.ask(3)
    assert [b.number for b in batch] == [5, 6, 7]
    assert s.tell(6, 0.5).number == 6  # by number, in the process that asked it
    assert s.tell(batch[0], float("nan")).state == FAIL
    with pytest.raises(TrialStateError, match="not a running trial"):
        s.tell(99, 1.0)
    assert s.get_trials([RUNNING])[0].number == 7


def test_report_then_reports():
    s = create_study(seed=0)

    def curve(t):
        for step in range(4):
            t.report(1.0 / (step + 1), step)
        t.report(0.2, 3)  # a repeated step overwrites
        return 0.2

    s.optimize(curve, n_trials=3)
    reps = s.reports()
    assert set(reps) == {t.id for t in s.trials}
    for r in reps.values():
        assert r == {0: 1.0, 1: 0.5, 2: pytest.approx(1 / 3), 3: 0.2}
    first = s.trials[0].id
    assert s.reports([first]) == {first: reps[first]}


def test_trial_pruned_is_recorded_with_its_last_report():
    def obj(t):
        t.report(3.0, 0)
        t.report(2.5, 1)
        if t.number % 2:
            raise TrialPruned("plateau")
        return 1.0

    s = create_study()
    s.optimize(obj, n_trials=4)
    assert [t.state for t in s.trials] == [COMPLETE, PRUNED, COMPLETE, PRUNED]
    assert s.trials[1].value == 2.5 and s.trials[1].counted


@pytest.mark.parametrize("value, words", [
    (math.nan, ["nan", "finite"]), (math.inf, ["inf", "finite"]), (-math.inf, ["-inf"]),
    ("0.5", ["'0.5'", "str", "not a number", "return a float"]),
    (None, ["None", "not a number"]), (True, ["True", "not a number"]),
])
def test_bad_return_values_fail_and_the_study_goes_on(value, words):
    s = create_study()
    s.optimize(lambda t: value if t.number == 0 else 1.0, n_trials=3)
    bad, *rest = s.trials
    assert bad.state == FAIL and bad.value is None and bad.counted
    for w in words:
        assert w in bad.error
    assert [t.state for t in rest] == [COMPLETE, COMPLETE]


def test_objective_that_raises_fails_with_message_and_traceback():
    def obj(t):
        if t.number == 1:
            raise ValueError("diverged at step 3")
        return 0.0

    s = create_study()
    s.optimize(obj, n_trials=3)
    assert [t.state for t in s.trials] == [COMPLETE, FAIL, COMPLETE]
    assert s.trials[1].error == "ValueError: diverged at step 3"
    assert "diverged at step 3" in s.trials[1].system_attrs["traceback"]


def test_stop_on_error_reraises():
    s = create_study()
    with pytest.raises(ZeroDivisionError):
        s.optimize(lambda t: 1 / 0 if t.number == 2 else 1.0, n_trials=10, stop_on_error=True)
    counted = [t for t in s.trials if t.counted]
    assert [t.state for t in counted] == [COMPLETE, COMPLETE, FAIL]
    assert counted[2].error == "ZeroDivisionError: division by zero"
    assert not s.get_trials([RUNNING])


def test_stop_on_error_leaves_no_phantom_trials():
    s = create_study()
    with pytest.raises(ZeroDivisionError):
        s.optimize(lambda t: 1 / 0 if t.number == 2 else 1.0, n_trials=10, stop_on_error=True)
    assert len(s.trials) == 3


def test_timeout_stops_starting_trials():
    def slow(t):
        time.sleep(0.05)
        return 0.0

    s = create_study()
    s.optimize(slow, timeout=0.3)
    assert 1 <= len(s.trials) < 30  # with no n_trials, only the timeout stopped it
    assert all(t.state == COMPLETE for t in s.trials)


def test_conditional_params_define_by_run():
    def obj(t):
        kind = t.suggest_categorical("kind", ["svm", "mlp"])
        if kind == "svm":
            return t.suggest_float("c", 1e-3, 1e3, log=True)
        layers = t.suggest_int("layers", 1, 4)
        return sum(t.suggest_int(f"units_{i}", 8, 64, log=True) for i in range(layers))

    s = create_study(seed=0)
    s.optimize(obj, n_trials=40)
    kinds = {t.params["kind"] for t in s.trials}
    assert kinds == {"svm", "mlp"}
    for t in s.trials:
        if t.params["kind"] == "svm":
            assert set(t.params) == {"kind", "c"} and 1e-3 <= t.params["c"] <= 1e3
        else:
            n = t.params["layers"]
            assert set(t.params) == {"kind", "layers", *(f"units_{i}" for i in range(n))}
            assert t.value == sum(t.params[f"units_{i}"] for i in range(n))
    assert set(s.space) == {"kind", "c", "layers", "units_0", "units_1", "units_2", "units_3"}
    assert s.space["c"].scale == "log"


def test_declared_space_fills_params_before_the_objective():
    seen = []

    def obj(t):
        seen.append(dict(t.params))
        assert t.suggest_float("lr", 1e-4, 1.0, log=True) == t.params["lr"]
        return t.params["lr"]

    space = {"lr": Float(1e-4, 1.0, scale="log"), "units": Int(8, 64),
             "act": Choice(["relu", "tanh"]), "opt": ["sgd", "adam"]}
    s = create_study(space=space, seed=3)
    s.optimize(obj, n_trials=5)
    assert [set(p) for p in seen] == [{"lr", "units", "act", "opt"}] * 5
    assert [t.params for t in s.trials] == seen
    for p in seen:
        assert 8 <= p["units"] <= 64 and p["act"] in ("relu", "tanh")
        assert p["opt"] in ("sgd", "adam")


def test_history_read_mid_run_shows_no_ghost_trials_after_stop():
    s = create_study()
    sizes = []
    with pytest.raises(ZeroDivisionError):
        s.optimize(lambda t: 1 / 0 if t.number == 2 else 1.0, n_trials=10,
                   stop_on_error=True, callbacks=[lambda st, fr: sizes.append(len(st.trials))])
    assert not s.get_trials([RUNNING])
    assert len(s.trials) == 3
