"""sampler="tpe" (MultiObjectiveTPE): one direction is TPESampler's search, proposal for
proposal; several directions take multi-objective TPE's defaults (no cap on the good side,
24 candidates)."""

from __future__ import annotations

import math

import pytest

import caviar
from caviar.errors import UsageError
from caviar.samplers import MultiObjectiveTPE, TPESampler, make_sampler


def _ask_tell(sampler, directions, n):
    s = caviar.create_study(directions=directions, sampler=sampler, seed=5)

    def f(t):
        x, y = t.suggest_float("x", 0, 1), t.suggest_float("y", 1e-3, 1, log=True)
        return (x - 0.3) ** 2 + y if len(directions) == 1 else (x + y, (1 - x) ** 2 + y)

    s.optimize(f, n_trials=n)
    return [t.params for t in s.trials]


def test_one_direction_proposes_exactly_what_tpesampler_does():
    assert isinstance(make_sampler("tpe"), MultiObjectiveTPE)
    ours = _ask_tell(MultiObjectiveTPE(seed=5), ["minimize"], 40)
    theirs = _ask_tell(TPESampler(seed=5), ["minimize"], 40)
    assert ours == theirs


def test_several_directions_take_the_multi_objective_defaults():
    s = MultiObjectiveTPE(seed=1)
    caviar.create_study(directions=["minimize", "minimize"], sampler=s, seed=1).optimize(
        lambda t: (t.suggest_float("x", 0, 1), 1 - t.suggest_float("x", 0, 1)), n_trials=12)
    assert s.n_good(300) == 30 and s._n_candidates(1000) == 24   # uncapped; 24 candidates
    capped = MultiObjectiveTPE(seed=1, max_good=25)
    caviar.create_study(directions=["minimize", "minimize"], sampler=capped, seed=1).optimize(
        lambda t: (t.suggest_float("x", 0, 1), 1.0), n_trials=12)
    assert capped.n_good(300) == 25
    one = MultiObjectiveTPE(seed=1)
    caviar.create_study(direction="minimize", sampler=one, seed=1).optimize(
        lambda t: t.suggest_float("x", 0, 1), n_trials=12)
    assert one.n_good(300) == 25 == TPESampler().n_good(300)   # one direction: capped
    # several directions differ from plain TPESampler's proposals
    assert _ask_tell(MultiObjectiveTPE(seed=5), ["minimize", "minimize"], 30) != \
        _ask_tell(TPESampler(seed=5), ["minimize", "minimize"], 30)


def test_stored_form_round_trips_and_bad_max_good_is_refused():
    s = make_sampler("tpe", seed=3)
    d = s.to_json()
    assert d["name"] == "tpe" and d["max_good"] is None
    back = make_sampler(d)
    assert isinstance(back, MultiObjectiveTPE) and back.to_json() == d
    assert make_sampler(MultiObjectiveTPE(max_good=7).to_json()).to_json()["max_good"] == 7
    for bad in (0, 2.5, True):
        with pytest.raises(UsageError, match="max_good"):
            MultiObjectiveTPE(max_good=bad)  # type: ignore[arg-type]


def test_a_study_with_several_directions_stays_within_bounds():
    s = caviar.create_study(directions=["minimize", "maximize"], sampler="tpe", seed=2)
    s.optimize(lambda t: (t.suggest_float("a", -2, 2), t.suggest_int("k", 1, 9)
                          + t.suggest_float("b", 1e-4, 1e-1, log=True)), n_trials=40)
    for t in s.trials:
        assert -2 <= t.params["a"] <= 2 and 1 <= t.params["k"] <= 9
        assert 1e-4 <= t.params["b"] <= 1e-1 and not math.isnan(t.values[0])
