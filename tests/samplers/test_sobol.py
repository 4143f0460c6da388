"""Sobol: scipy's scrambled sequence for the seed, never a repeated point across processes."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
from scipy.stats import qmc

from caviar import Choice, Float, Int, SobolSampler, UsageError, create_study, load_study
from caviar.samplers import SAMPLERS, make_sampler
from caviar.space import Space

SPACE = {"lr": Float(1e-4, 1.0, scale="log"), "beta": Float(0.9, 0.999, scale="reverse_log"),
         "units": Int(8, 256, scale="log"), "act": Choice(["relu", "tanh"])}


def expected(seed, n):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # n need not be a power of 2 here
        u = qmc.Sobol(d=len(SPACE), scramble=True, seed=seed).random(n)
    return Space(SPACE).from_unit(u)


def test_matches_scipy_scrambled_sobol():
    study = create_study(sampler="sobol", seed=5, space=SPACE)
    study.optimize(lambda t: t.params["lr"], n_trials=16)
    assert [t.params for t in study.trials] == expected(5, 16)
    assert [t.system_attrs["sobol_index"] for t in study.trials] == list(range(16))


@pytest.mark.filterwarnings("error")
def test_batches_continue_the_sequence():
    study = create_study(sampler=SobolSampler(seed=2), space=SPACE)
    got = [t.params for t in study.ask(3) + study.ask(5) + [study.ask()]]
    assert got == expected(2, 9)


def test_first_points_are_balanced():
    study = create_study(sampler="quasirandom", seed=0, space={"x": Float(0.0, 1.0)})
    xs = np.sort([t.params["x"] for t in study.ask(64)])
    # scrambled Sobol is a (0, m, 1)-net: one point in each of 64 equal cells
    assert (np.floor(xs * 64) == np.arange(64)).all()


RUN = """
import sys, time
from caviar import Choice, Float, Int, create_study
space = {"lr": Float(1e-4, 1.0, scale="log"), "beta": Float(0.9, 0.999, scale="reverse_log"),
         "units": Int(8, 256, scale="log"), "act": Choice(["relu", "tanh"])}
def objective(t):
    time.sleep(0.005)
    return t.params["lr"]
study = create_study("q", storage=sys.argv[1], sampler="sobol", seed=11, space=space)
study.optimize(objective, n_trials=48, workers=4)
"""


def test_four_processes_never_repeat_a_point(sqlite_url, python):
    python(RUN, sqlite_url)
    ts = load_study("q", storage=sqlite_url).trials
    assert len(ts) == 48 and all(t.state == "complete" for t in ts)
    indices = sorted(t.system_attrs["sobol_index"] for t in ts)
    assert indices == list(range(48))
    by_index = {t.system_attrs["sobol_index"]: t.params for t in ts}
    assert [by_index[i] for i in range(48)] == expected(11, 48)
    assert len({json.dumps(p, sort_keys=True) for p in by_index.values()}) == 48


def test_unknown_sampler_name():
    with pytest.raises(UsageError) as e:
        make_sampler("bayes")
    msg = str(e.value)
    assert "'bayes'" in msg and str(sorted(SAMPLERS)) in msg
    assert {"grid", "random", "sobol"} <= set(SAMPLERS)
    assert "sampler='random'" in msg
    with pytest.raises(UsageError, match="unknown name 'bayes'"):
        make_sampler({"name": "bayes"})
