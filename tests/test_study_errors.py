"""Bad input: a clear error (thing, rule, value, fix) before any trial counts or completes."""

from __future__ import annotations

import sqlite3

import pytest

from caviar import (
    Choice,
    Float,
    ParamConflictError,
    SchemaVersionError,
    SpaceError,
    StorageError,
    StudyNotFoundError,
    UsageError,
    create_study,
    load_study,
)
from caviar.storage.base import SCHEMA_VERSION


def no_trial_ran(study):
    ts = study.trials
    assert not [t for t in ts if t.counted or t.state in ("complete", "running")], ts


def raised(exc, fn):
    with pytest.raises(exc) as e:
        fn()
    return str(e.value)


def has(msg, *words):
    for w in words:
        assert w in msg, f"{w!r} not in {msg!r}"


@pytest.mark.parametrize("suggest, words", [
    (lambda t: t.suggest_float("lr", 1.0, 0.0), ["'lr'", "low < high", "low=1.0", "high=0.0"]),
    (lambda t: t.suggest_int("units", 64, 64), ["'units'", "low < high", "low=64"]),
    (lambda t: t.suggest_float("lr", 0.0, 1.0, log=True),
     ["'lr'", "scale='log' needs low > 0", "low=0.0", "1e-6"]),
    (lambda t: t.suggest_float("beta", 0.0, 0.99, scale="reverse_log"),
     ["'beta'", "low > 0", "low=0.0"]),
    (lambda t: t.suggest_float("beta", 0.9, 1.0, scale="reverse_log"),
     ["'beta'", "high < 1", "high=1.0", "0.999"]),
    (lambda t: t.suggest_float("drop", 0.0, 1.0, step=0.3),
     ["'drop'", "step must divide", "step=0.3", "such as"]),
    (lambda t: t.suggest_categorical("act", []), ["'act'", "at least one choice", "empty"]),
    (lambda t: t.suggest_float("lr", 1e-4, 1.0, log=True, scale="reverse_log"),
     ["'lr'", "log=True contradicts", "'reverse_log'"]),
])
def test_bad_define_by_run_param_stops_optimize(suggest, words):
    study = create_study()
    has(raised(SpaceError, lambda: study.optimize(suggest, n_trials=5)), *words)
    no_trial_ran(study)
    assert words[0] in study.trials[0].error


@pytest.mark.parametrize("space, words", [
    ({"lr": lambda: Float(1.0, 0.5)}, ["low < high", "low=1.0", "high=0.5", "swap"]),
    ({"lr": lambda: Float(0.0, 1.0, scale="log")}, ["low > 0", "low=0.0", "1e-6"]),
    ({"beta": lambda: Float(0.9, 1.0, scale="reverse_log")}, ["high < 1", "high=1.0"]),
    ({"drop": lambda: Float(0.0, 1.0, step=0.3)}, ["step must divide", "step=0.3"]),
    ({"act": lambda: Choice([])}, ["at least one choice"]),
])
def test_bad_declared_param(space, words, sqlite_url):
    (name, make), = space.items()
    has(raised(SpaceError, lambda: create_study("s", storage=sqlite_url,
                                                space={name: make()})), *words)


def test_declared_shorthand_empty_choice_names_the_param(sqlite_url):
    has(raised(SpaceError, lambda: create_study("s", storage=sqlite_url, space={"act": []})),
        "Choice('act')", "at least one choice")
    with pytest.raises(StudyNotFoundError):
        load_study("s", storage=sqlite_url)


def test_param_redeclared_define_by_run():
    study = create_study(seed=0)
    study.optimize(lambda t: t.suggest_float("x", 0.0, 1.0), n_trials=2)
    msg = raised(ParamConflictError, lambda: study.optimize(
        lambda t: t.suggest_float("x", 0.0, 1.0, log=False, step=0.5), n_trials=5))
    has(msg, "'x'", "one definition per param", "'step': None", "'step': 0.5",
        "rename the new param")
    assert [t.state for t in study.trials if t.counted] == ["complete", "complete"]
    assert not study.get_trials(["running"])


def test_param_redeclared_within_one_objective():
    def obj(t):
        t.suggest_int("n", 1, 4)
        return t.suggest_float("n", 1.0, 4.0)

    study = create_study()
    has(raised(ParamConflictError, lambda: study.optimize(obj, n_trials=3)), "'n'", "'int'",
        "'float'")
    no_trial_ran(study)


def test_param_redeclared_in_declared_space(sqlite_url):
    create_study("s", storage=sqlite_url, space={"lr": Float(1e-4, 1.0, scale="log")})
    msg = raised(ParamConflictError, lambda: create_study(
        "s", storage=sqlite_url, space={"units": [1, 2], "lr": Float(1e-4, 1.0)}))
    has(msg, "'lr'", "'log'", "'linear'", "rename the new param or use a new study")
    study = load_study("s", storage=sqlite_url)
    assert list(study.space) == ["lr"] and study.space["lr"].scale == "log"
    assert study.trials == []


@pytest.mark.parametrize("n", [0, -3, 2.5, True, "10"])
def test_n_trials_must_be_positive(n):
    study = create_study()
    has(raised(UsageError, lambda: study.optimize(lambda t: 0.0, n_trials=n)),
        "n_trials", f"n_trials={n!r}", ">= 1", "e.g. n_trials=100")
    assert study.trials == []


def test_unknown_sampler_touches_no_storage(tmp_path):
    url = "sqlite:///" + str(tmp_path / "new.db")
    has(raised(UsageError, lambda: create_study("s", storage=url, sampler="bayesian")),
        "sampler", "'bayesian'", "'random'", "'grid'", "'sobol'")
    assert not (tmp_path / "new.db").exists()


@pytest.mark.parametrize("url", ["sqlite:/x.db", "foo://bar", "sqlite:///no_such_dir/x.db"])
def test_malformed_storage_url(url, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    has(raised(StorageError, lambda: create_study("s", storage=url)), repr(url)[:-1])
    assert list(tmp_path.iterdir()) == []


def test_file_that_is_not_a_caviar_database(tmp_path):
    path = tmp_path / "results.csv"
    path.write_text("a,b\n1,2\n")
    has(raised(StorageError, lambda: create_study("s", storage=f"sqlite:///{path}")),
        str(path), "not a database")
    assert path.read_text() == "a,b\n1,2\n"
    db = tmp_path / "other.db"
    with sqlite3.connect(db) as con:
        con.execute("CREATE TABLE t (x)")
    con.close()
    has(raised(StorageError, lambda: create_study("s", storage=f"sqlite:///{db}")),
        str(db), "is not a caviar database", "new file")


def test_database_with_a_newer_schema(sqlite_url, tmp_path):
    create_study("s", storage=sqlite_url).optimize(lambda t: 1.0, n_trials=2)
    with sqlite3.connect(tmp_path / "c.db") as con:
        con.execute("UPDATE caviar_meta SET value='7' WHERE key='schema_version'")
    con.close()
    has(raised(SchemaVersionError, lambda: create_study("s", storage=sqlite_url)),
        "schema version 7", "newer caviar", f"up to version {SCHEMA_VERSION}",
                  "upgrade caviar")
    with sqlite3.connect(tmp_path / "c.db") as con:
        assert con.execute("SELECT count(*) FROM caviar_trials").fetchone() == (2,)
    con.close()


def test_load_study_that_does_not_exist(sqlite_url):
    create_study("mnist-lr", storage=sqlite_url)
    create_study("cifar", storage=sqlite_url)
    has(raised(StudyNotFoundError, lambda: load_study("mnist_lr", storage=sqlite_url)),
        "'mnist_lr'", "does not exist", "cifar", "mnist-lr", "create_study")


def test_workers_need_shared_storage():
    study = create_study()
    has(raised(UsageError, lambda: study.optimize(lambda t: 0.0, n_trials=4, workers=2)),
        "workers=2", "shared between processes", "'memory'", "sqlite:///caviar.db")
    assert study.trials == []


@pytest.mark.parametrize("kw, words", [
    ({"workers": 0}, ["workers=0", ">= 1"]),
    ({"timeout": -1}, ["timeout", "-1", "positive"]),
    ({"heartbeat": 5.0, "stale_after": 5.0}, ["heartbeat", "stale_after=5.0"]),
])
def test_bad_optimize_arguments(kw, words):
    study = create_study()
    has(raised(UsageError, lambda: study.optimize(lambda t: 0.0, n_trials=2, **kw)), *words)
    assert study.trials == []


def test_bad_objective_direction_and_seed():
    has(raised(UsageError, lambda: create_study().optimize("f", n_trials=2)), "callable", "'f'")
    has(raised(UsageError, lambda: create_study(direction="up")), "'up'", "'maximize'")
    has(raised(UsageError, lambda: create_study(seed=-1)), "seed", "-1")
    has(raised(UsageError, lambda: create_study().optimize(lambda t: 0.0)), "n_trials",
        "timeout")


def test_a_refused_create_leaves_no_study_behind(tmp_path) -> None:
    import caviar

    url = f"sqlite:///{tmp_path / 'c.db'}"
    with pytest.raises(caviar.UsageError):
        create_study("never", storage=url, pruner="no-such-pruner")
    assert [s.name for s in caviar.get_storage(url).list_studies()] == []


@pytest.mark.parametrize("timeout", [float("nan"), float("inf"), -1.0, 0, True])
def test_a_timeout_that_is_not_a_positive_finite_number_is_refused(timeout) -> None:
    study = create_study()
    with pytest.raises(UsageError, match="timeout: must be a positive, finite number"):
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3, timeout=timeout)
    assert study.trials == []
