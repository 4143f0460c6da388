"""Seeded reproducibility: the same seed gives the same params by trial number, in any process
and with any number of workers."""

from __future__ import annotations

import json

from caviar import create_study, load_study

OBJECTIVE = """
import time
def objective(t):
    opt = t.suggest_categorical("opt", ["sgd", "adam"])
    lr = t.suggest_float("lr", 1e-5, 1e-1, log=True)
    if opt == "sgd":
        t.suggest_float("momentum", 0.8, 0.999, scale="reverse_log")
    t.suggest_int("units", 16, 256, log=True)
    time.sleep(0.01)
    return lr
"""
ns: dict = {}
exec(OBJECTIVE, ns)
objective = ns["objective"]


def by_number(study):
    return {t.number: t.params for t in study.trials}


def run(seed, n=24):
    study = create_study(seed=seed)
    study.optimize(objective, n_trials=n)
    return by_number(study)


def test_same_seed_same_params():
    a, b = run(3), run(3)
    assert a == b and len(a) == 24
    assert {p["opt"] for p in a.values()} == {"sgd", "adam"}
    assert run(4) != a


def test_ask_tell_matches_optimize():
    study = create_study(seed=3)
    for t in study.ask(24):
        study.tell(t, objective(t))
    assert by_number(study) == run(3)


def test_same_params_in_another_process(python):
    code = OBJECTIVE + """
import json
from caviar import create_study
s = create_study(seed=3)
s.optimize(objective, n_trials=24)
print(json.dumps({t.number: t.params for t in s.trials}))
"""
    other = {int(k): v for k, v in json.loads(python(code)).items()}
    assert other == run(3)


def test_two_workers_give_the_single_process_params(sqlite_url, python):
    code = OBJECTIVE + """
import sys
from caviar import create_study
create_study("w", storage=sys.argv[1], seed=3).optimize(objective, n_trials=24, workers=2)
"""
    python(code, sqlite_url)
    study = load_study("w", storage=sqlite_url)
    assert len({t.worker for t in study.trials}) >= 2
    assert by_number(study) == run(3)
    assert study.sampler.seed == 3


def test_a_study_owns_one_stored_seed(sqlite_url):
    import pytest

    from caviar.errors import UsageError

    drawn = create_study("owned", storage=sqlite_url)
    assert isinstance(drawn.seed, int)
    assert load_study("owned", storage=sqlite_url).seed == drawn.seed  # stored, not redrawn
    # no trial yet: a seed given later holds (its sampler is stored with it)
    given = create_study("owned", storage=sqlite_url, seed=7)
    assert given.seed == 7 and load_study("owned", storage=sqlite_url).sampler.seed == 7
    given.optimize(objective, n_trials=2)
    with pytest.raises(UsageError, match="exists with seed=7, got seed=8"):
        create_study("owned", storage=sqlite_url, seed=8)
    assert create_study("owned", storage=sqlite_url).seed == 7


def test_another_sampler_for_a_stored_study_is_stored(sqlite_url):
    s = create_study("swap", storage=sqlite_url, seed=5)
    assert s.previous_sampler is None
    t = create_study("swap", storage=sqlite_url, sampler="tpe")
    assert t.previous_sampler == "random" and t.sampler.seed == 5
    again = load_study("swap", storage=sqlite_url)
    assert again.sampler.name == "tpe" and again.sampler.seed == 5
