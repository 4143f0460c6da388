"""Grid search visits every point exactly once, alone and across 4 processes."""

from __future__ import annotations

import itertools
import json

import pytest

from caviar import Choice, Float, GridSampler, Int, UsageError, create_study

SPACE = {"act": Choice(["relu", "tanh", "gelu"]), "units": Int(1, 7, step=2),
         "lr": Float(1e-3, 1e-1, scale="log")}
POINTS = {(a, u, lr) for a in ["relu", "tanh", "gelu"] for u in [1, 3, 5, 7]
          for lr in [1e-3, 1e-2, 1e-1]}
SIZE = 3 * 4 * 3


def key(t):
    return (t.params["act"], t.params["units"], round(t.params["lr"], 12))


def objective(t):
    return t.params["units"] * t.params["lr"]


def test_sequential_grid_covers_every_point_once():
    study = create_study(sampler=GridSampler(resolution=3, seed=0), space=SPACE)
    study.optimize(objective, n_trials=1000)
    ts = study.trials
    assert len(ts) == SIZE and study.counts() == {"complete": SIZE}
    assert sorted(t.system_attrs["grid_index"] for t in ts) == list(range(SIZE))
    assert {key(t) for t in ts} == {(a, u, round(lr, 12)) for a, u, lr in POINTS}
    assert study.best_params == {"act": study.best_params["act"], "units": 1, "lr": 1e-3}


def test_grid_order_is_seeded_but_shuffled():
    def order(seed):
        s = create_study(sampler=GridSampler(resolution=3, seed=seed), space=SPACE)
        return [key(t) for t in s.ask(SIZE)]

    a, b, c = order(1), order(1), order(2)
    assert a == b and a != c and sorted(a) == sorted(c)
    lexicographic = [(x, u, round(lr, 12)) for x, u, lr in itertools.product(
        ["relu", "tanh", "gelu"], [1, 3, 5, 7], [1e-3, 1e-2, 1e-1])]
    assert a != lexicographic


def test_ask_beyond_the_grid_returns_what_is_left():
    study = create_study(sampler=GridSampler(resolution=3), space=SPACE)
    assert len(study.ask(SIZE - 2)) == SIZE - 2
    last = study.ask(5)
    assert len(last) == 2
    assert study.ask(3) == []


RUN = """
import sys, time
from caviar import Choice, Float, GridSampler, Int, create_study
space = {"act": Choice(["relu", "tanh", "gelu"]), "units": Int(1, 7, step=2),
         "lr": Float(1e-3, 1e-1, scale="log")}
def objective(t):
    time.sleep(0.01)
    return t.params["units"] * t.params["lr"]
study = create_study("g", storage=sys.argv[1], sampler=GridSampler(resolution=3, seed=0),
                     space=space)
study.optimize(objective, n_trials=500, workers=4)
"""


def test_grid_across_four_processes(sqlite_url, python):
    python(RUN, sqlite_url)
    from caviar import load_study

    ts = load_study("g", storage=sqlite_url).trials
    assert len(ts) == SIZE and all(t.state == "complete" for t in ts)
    assert sorted(t.system_attrs["grid_index"] for t in ts) == list(range(SIZE))
    assert len({json.dumps(t.params, sort_keys=True) for t in ts}) == SIZE
    assert len({t.worker for t in ts}) >= 2


def test_grid_needs_a_declared_space():
    with pytest.raises(UsageError, match="GridSampler: needs a declared space"):
        create_study(sampler="grid").optimize(lambda t: 0.0, n_trials=3)


def test_grid_resolution_must_be_at_least_two():
    with pytest.raises(UsageError, match="resolution=1"):
        GridSampler(resolution=1)
