"""The Storage contract (storage/base.py), studies and params: run against every backend."""

from __future__ import annotations

import pytest

from caviar import ParamConflictError, StudyConflictError, StudyNotFoundError
from caviar.storage import SCHEMA_VERSION
from caviar.trial_record import COMPLETE, FAIL, PRUNED, TrialUpdate

F01 = {"type": "float", "low": 0.0, "high": 1.0, "scale": "linear", "step": None}
LOG = {"type": "float", "low": 1e-4, "high": 1.0, "scale": "log", "step": None}
CH = {"type": "choice", "choices": ["a", "b"]}


def new(storage, name="s", direction="minimize", **kw):
    return storage.create_study(name, direction=direction, sampler={"name": "random"},
                                space=kw.pop("space", {}), **kw)


def test_create_then_load_returns_the_same_study(storage):
    a = new(storage, space={"x": F01}, user_attrs={"k": 1})
    b = new(storage)
    assert (a.id, a.name, a.direction) == (b.id, "s", "minimize")
    assert b.space == {"x": F01} and b.sampler == {"name": "random"}
    assert storage.get_study("s") == a
    assert storage.get_study("s").user_attrs == {"k": 1}


def test_direction_conflict_raises_and_writes_nothing(storage):
    new(storage, direction="minimize")
    with pytest.raises(StudyConflictError, match=r"'s'.*direction='minimize'.*'maximize'"):
        new(storage, direction="maximize")
    assert storage.get_study("s").direction == "minimize"
    assert [s.name for s in storage.list_studies()] == ["s"]


def test_load_if_exists_false_conflicts(storage):
    rec = new(storage)
    with pytest.raises(StudyConflictError, match="already exists"):
        new(storage, load_if_exists=False)
    assert storage.get_study("s") == rec


def test_get_study_not_found_names_known_studies(storage):
    new(storage, "alpha")
    new(storage, "beta")
    with pytest.raises(StudyNotFoundError) as e:
        storage.get_study("gamma")
    assert "'gamma'" in str(e.value) and "alpha" in str(e.value) and "beta" in str(e.value)


def test_get_study_not_found_in_empty_storage(storage):
    with pytest.raises(StudyNotFoundError, match="empty"):
        storage.get_study("nope")


def test_list_studies_counts_and_best(storage):
    lo = new(storage, "lo", "minimize")
    hi = new(storage, "hi", "maximize")
    new(storage, "none")
    for rec in (lo, hi):
        ts = storage.create_trials(rec.id, 5)
        storage.finish_trials([
            TrialUpdate(ts[0].id, COMPLETE, 3.0), TrialUpdate(ts[1].id, COMPLETE, -2.0),
            TrialUpdate(ts[2].id, COMPLETE, 7.5), TrialUpdate(ts[3].id, FAIL, error="x"),
        ])
    by = {s.name: s for s in storage.list_studies()}
    assert by["lo"].counts == {"complete": 3, "fail": 1, "running": 1}
    assert by["lo"].n_trials == 5 and by["hi"].n_trials == 5
    assert by["lo"].best_value == -2.0 and by["hi"].best_value == 7.5
    assert by["hi"].direction == "maximize"
    assert by["none"].n_trials == 0 and by["none"].best_value is None


def test_delete_study_removes_only_it(storage):
    a, b = new(storage, "a"), new(storage, "b")
    ta = storage.create_trials(a.id, 2)
    storage.add_reports([(ta[0].id, 0, 1.0)])
    tb = storage.create_trials(b.id, 3)
    storage.add_reports([(tb[0].id, 0, 2.0)])
    storage.delete_study("a")
    with pytest.raises(StudyNotFoundError, match="'a'"):
        storage.get_study("a")
    assert [s.name for s in storage.list_studies()] == ["b"]
    assert len(storage.get_trials(b.id)[0]) == 3
    assert storage.get_reports(b.id) == [(tb[0].id, 0, 2.0)]
    again = new(storage, "a")
    assert storage.get_trials(again.id)[0] == []
    assert [t.number for t in storage.create_trials(again.id, 2)] == [0, 1]
    with pytest.raises(StudyNotFoundError):
        storage.delete_study("missing")


def test_study_ids_stay_unique_after_delete(storage):
    new(storage, "a")
    b = new(storage, "b")
    storage.create_trials(b.id, 2)
    storage.delete_study("a")
    c = new(storage, "c")
    assert c.id != b.id
    assert storage.get_study("b").id == b.id
    assert len(storage.get_trials(b.id)[0]) == 2
    assert storage.get_trials(c.id)[0] == []


def test_register_params_merges(storage):
    rec = new(storage, space={"x": F01})
    assert storage.register_params(rec.id, {"lr": LOG}) == {"x": F01, "lr": LOG}
    assert storage.register_params(rec.id, {"x": F01, "c": CH}) == {"x": F01, "lr": LOG, "c": CH}
    assert storage.get_study("s").space == {"x": F01, "lr": LOG, "c": CH}


def test_register_params_conflict_writes_nothing(storage):
    rec = new(storage, space={"x": F01})
    with pytest.raises(ParamConflictError, match=r"'x'.*holds.*'linear'.*got.*'log'"):
        storage.register_params(rec.id, {"new": CH, "x": {**F01, "scale": "log", "low": 0.1}})
    assert storage.get_study("s").space == {"x": F01}


def test_schema_version(storage):
    assert storage.schema_version == SCHEMA_VERSION


def test_counts_by_state_include_pruned(storage):
    rec = new(storage)
    t = storage.create_trials(rec.id, 1)[0]
    storage.finish_trials([TrialUpdate(t.id, PRUNED, 0.5)])
    assert storage.list_studies()[0].counts == {"pruned": 1}


def test_set_sampler_replaces_the_stored_sampler(storage):
    rec = new(storage, space={"x": F01}, user_attrs={"k": 1})
    other = new(storage, "other")
    sampler = {"name": "tpe", "seed": 7, "options": {"n_startup": 10, "gamma": [0.1, 0.25]}}
    storage.set_sampler(rec.id, sampler)
    sampler["seed"] = 99  # the caller's dict is not kept
    got = storage.get_study("s")
    assert got.sampler == {"name": "tpe", "seed": 7,
                           "options": {"n_startup": 10, "gamma": [0.1, 0.25]}}
    assert (got.id, got.space, got.user_attrs, got.direction) == (
        rec.id, {"x": F01}, {"k": 1}, "minimize")
    assert storage.get_study("other").sampler == other.sampler == {"name": "random"}
    storage.set_sampler(rec.id, {"name": "random"})
    assert storage.get_study("s").sampler == {"name": "random"}
    assert [s.name for s in storage.list_studies()] == ["s", "other"]


def test_set_sampler_of_an_unknown_study_raises_and_writes_nothing(storage):
    rec = new(storage)
    with pytest.raises(StudyNotFoundError, match=f"study id {rec.id + 100}"):
        storage.set_sampler(rec.id + 100, {"name": "tpe"})
    assert storage.get_study("s").sampler == {"name": "random"}


def test_a_study_name_longer_than_the_limit_is_refused_before_any_write(storage):
    from caviar import UsageError
    from caviar.storage.common import MAX_STUDY_NAME

    assert MAX_STUDY_NAME == 512
    longest = "n" * MAX_STUDY_NAME
    assert new(storage, longest).name == longest
    with pytest.raises(UsageError) as e:
        new(storage, "x" * (MAX_STUDY_NAME + 1))
    msg = str(e.value)
    assert "at most 512 characters" in msg and "got 513" in msg and "shorter name" in msg
    assert [s.name for s in storage.list_studies()] == [longest]
