"""TPE: concentrates near the optimum, handles conditional params, reproduces, rejects a
changed definition, spreads parallel proposals (constant liar)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import caviar
from caviar import Choice, Float, Int
from caviar.errors import ParamConflictError, UsageError
from caviar.samplers import TPESampler
from caviar.samplers.stream import Stream
from caviar.space import Space


def quadratic(trial):
    return (trial.params["x"] - 0.3) ** 2


def test_tpe_on_a_1d_quadratic_concentrates_near_the_optimum():
    study = caviar.create_study(space={"x": Float(-5, 5)}, sampler="tpe", seed=0)
    study.optimize(quadratic, n_trials=80)
    late = [t.params["x"] for t in study.trials[40:]]
    assert abs(study.best_params["x"] - 0.3) < 0.05
    assert np.median(np.abs(np.array(late) - 0.3)) < 1.0   # random: ~2.5; Optuna: ~0.6


def test_tpe_beats_random_on_log_scaled_param():
    def f(t):
        return (math.log10(t.params["lr"]) + 3) ** 2

    space = {"lr": Float(1e-6, 1, scale="log")}
    tpe = caviar.create_study(space=space, sampler="tpe", seed=1).optimize(f, n_trials=60)
    assert tpe.best_value < 0.01


def test_tpe_is_reproducible_and_maximizes():
    def run():
        s = caviar.create_study(space={"x": Float(0, 1), "c": Choice(["a", "b"])},
                                sampler="tpe", seed=3, direction="maximize")
        s.optimize(lambda t: -(t.params["x"] - 0.7) ** 2 + (t.params["c"] == "b"), n_trials=40)
        return s
    a, b = run(), run()
    assert [t.params for t in a.trials] == [t.params for t in b.trials]
    assert a.best_params["c"] == "b" and abs(a.best_params["x"] - 0.7) < 0.1


def test_conditional_define_by_run_params():
    def f(t):
        kind = t.suggest_categorical("kind", ["linear", "mlp"])
        if kind == "mlp":
            units = t.suggest_int("units", 4, 256, log=True)
            return abs(math.log2(units) - 5) * 0.1
        c = t.suggest_float("c", 1e-3, 1e3, log=True)
        return 1 + abs(math.log10(c))
    study = caviar.create_study(sampler="tpe", seed=0)
    study.optimize(f, n_trials=60)
    assert study.best_params["kind"] == "mlp"
    assert sum(t.params["kind"] == "mlp" for t in study.trials[30:]) > 20


class _H:
    def __init__(self, trials, space):
        self._t = trials
        self.study = type("S", (), {"space": space, "direction": "minimize"})()

    def trials(self):
        return self._t


def _frozen(number, params, value, state="complete"):
    return caviar.FrozenTrial(number, 1, number, state, value, params)


def test_constant_liar_spreads_a_batch():
    space = Space({"x": Float(0, 1)})
    done = [_frozen(i, {"x": i / 20}, abs(i / 20 - 0.5)) for i in range(20)]
    h = _H(done, space)
    rngs = [Stream(0, 100 + i) for i in range(6)]
    liar = TPESampler(seed=0).propose(space, h, [_frozen(100 + i, {}, None) for i in range(6)],
                                      rngs, lambda c, n: 0)
    rngs = [Stream(0, 100 + i) for i in range(6)]
    plain = TPESampler(seed=0, constant_liar=False).propose(
        space, h, [_frozen(100 + i, {}, None) for i in range(6)], rngs, lambda c, n: 0)
    spread = np.std([p["x"] for p in liar.params])
    assert spread > np.std([p["x"] for p in plain.params])


def test_a_changed_definition_is_a_clear_error():
    space = Space({"x": Float(0, 1)})
    done = [_frozen(i, {"x": 5.0 + i}, float(i)) for i in range(12)]  # stored outside [0, 1]
    with pytest.raises(ParamConflictError, match="definition changed mid-study"):
        TPESampler().propose(space, _H(done, space), [_frozen(99, {}, None)],
                             [Stream(0, 99)], lambda c, n: 0)
    s = TPESampler()
    s.sample_param(Float(0, 1, name="x"), Stream(0, 1))
    with pytest.raises(ParamConflictError, match="one definition per param"):
        s.sample_param(Float(0, 2, name="x"), Stream(0, 2))


def test_int_and_pruned_trials():
    def f(t):
        n = t.params["n"]
        if n > 50:
            raise caviar.TrialPruned()
        return abs(n - 20)
    study = caviar.create_study(space={"n": Int(1, 100)}, sampler="tpe", seed=0)
    study.optimize(f, n_trials=50)
    assert abs(study.best_params["n"] - 20) <= 3


@pytest.mark.parametrize("kw", [dict(gamma=0), dict(n_startup_trials=0), dict(max_good=0)])
def test_bad_settings(kw):
    with pytest.raises(UsageError):
        TPESampler(**kw)
