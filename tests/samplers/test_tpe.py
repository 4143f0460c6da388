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


def _valley(t):
    x, y = t.suggest_float("x", 0, 1), t.suggest_float("y", 0, 1)
    return min((x - 0.2) ** 2 + (y - 0.8) ** 2, (x - 0.8) ** 2 + (y - 0.2) ** 2)


def test_define_by_run_params_are_modelled_jointly():
    """Params met define-by-run in every trial form one joint group: the trial's proposal for
    all of them is made at once (its first ``suggest`` reads it), and it keeps the good trials'
    combinations, here (0.2, 0.8) and (0.8, 0.2), instead of mixing them."""
    space = Space({"x": Float(0, 1, name="x"), "y": Float(0, 1, name="y")})
    done = [_frozen(i, {"x": (i % 10 + 0.5) / 10, "y": (i // 10 + 0.5) / 9}, 1.0)
            for i in range(90)]
    done += [_frozen(90 + j, {"x": 0.2 + 0.01 * j, "y": 0.8 - 0.01 * j}, 0.0) for j in range(5)]
    done += [_frozen(95 + j, {"x": 0.8 + 0.01 * j, "y": 0.2 - 0.01 * j}, 0.0) for j in range(5)]
    s = TPESampler(seed=0)
    near = 0
    for k in range(60):
        rng = Stream(0, 1000 + k)
        s.propose(Space({}), _H(done, space), [_frozen(1000 + k, {}, None)], [rng],
                  lambda c, n: 0)
        ahead = dict(s._ahead[1000 + k][0])
        assert set(ahead) == {"x", "y"}
        x, y = s.sample_param(space["x"], rng), s.sample_param(space["y"], rng)
        assert (x, y) == (ahead["x"], ahead["y"])
        near += min(abs(x - 0.2) + abs(y - 0.8), abs(x - 0.8) + abs(y - 0.2)) < 0.2
    assert near >= 57


def test_a_joint_proposal_is_not_used_for_a_redefined_param():
    """A trial that asks for a param with another definition than the study's gets the
    conflict error, not the value proposed for the old definition."""
    s = caviar.create_study(sampler="tpe", seed=0)
    s.optimize(_valley, n_trials=15)
    with pytest.raises(ParamConflictError):
        s.optimize(lambda t: t.suggest_float("x", 0, 2) + t.suggest_float("y", 0, 1),
                   n_trials=16, stop_on_error=True)
