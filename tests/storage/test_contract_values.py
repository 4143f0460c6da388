"""The Storage contract for studies with several directions: directions stored and compared,
values written with the finish and read back exactly. Runs against every backend."""

from __future__ import annotations

import pytest

from caviar import StudyConflictError
from caviar.trial_record import COMPLETE, FAIL, PRUNED, TrialUpdate

DIRS = ("maximize", "minimize", "minimize")


def new(storage, name="mo", directions=DIRS, **kw):
    return storage.create_study(name, direction=directions[0], sampler={"name": "random"},
                                space={}, directions=list(directions), **kw)


def test_directions_are_stored_and_loaded(storage):
    rec = new(storage)
    assert rec.directions == DIRS and rec.direction == "maximize" and rec.is_multi_objective
    assert storage.get_study("mo").directions == DIRS
    assert new(storage).id == rec.id  # loading with the same directions
    summary = {s.name: s for s in storage.list_studies()}["mo"]
    assert summary.directions == DIRS and summary.best_value is None


def test_one_direction_reads_as_a_tuple_of_one(storage):
    rec = storage.create_study("one", direction="maximize", sampler={}, space={})
    assert rec.directions == ("maximize",) and not rec.is_multi_objective
    assert storage.get_study("one").directions == ("maximize",)
    t = storage.create_trials(rec.id, 1)[0]
    storage.finish_trials([TrialUpdate(t.id, COMPLETE, 0.25)])
    got = storage.get_trials(rec.id)[0][0]
    assert got.value == 0.25 and got.values == (0.25,)


@pytest.mark.parametrize("other", [("maximize", "minimize"), ("minimize", "minimize", "minimize"),
                                   ("maximize",)])
def test_other_directions_conflict_and_write_nothing(storage, other):
    rec = new(storage)
    with pytest.raises(StudyConflictError, match=r"'mo'.*directions=\['maximize', 'minimize', "
                                                 r"'minimize'\].*got directions="):
        new(storage, directions=other)
    assert storage.get_study("mo") == rec
    assert [s.name for s in storage.list_studies()] == ["mo"]


def test_single_direction_study_refuses_several(storage):
    storage.create_study("one", direction="minimize", sampler={}, space={})
    with pytest.raises(StudyConflictError, match=r"directions=\['minimize'\]"):
        new(storage, "one", directions=("minimize", "minimize"))


def test_values_round_trip_exactly_in_finish_and_finish_and_create(storage):
    sid = new(storage).id
    ts = storage.create_trials(sid, 3)
    vals = (0.1 + 0.2, -1e300, 5e-324)  # exact doubles survive the JSON text
    applied = storage.finish_trials([
        TrialUpdate(ts[0].id, COMPLETE, None, values=vals),
        TrialUpdate(ts[1].id, FAIL, error="x"),
        TrialUpdate(ts[2].id, PRUNED, None)])
    assert applied == [True, True, True]
    applied, created = storage.finish_and_create(
        [TrialUpdate(created.id, COMPLETE, None, values=(1.0, 2.0, 3.0))
         for created in storage.create_trials(sid, 1)], sid, 1)
    assert applied == [True] and len(created) == 1
    got = storage.get_trials(sid)[0]
    assert got[0].values == vals and got[0].value is None
    assert isinstance(got[0].values, tuple)
    assert got[1].values is None and got[2].values is None
    assert got[3].values == (1.0, 2.0, 3.0)
    assert got[4].values is None and got[4].state == "running"
    assert storage.get_trial(ts[0].id).values == vals
    # an incremental read carries them too
    _, seq = storage.get_trials(sid)
    storage.finish_trials([TrialUpdate(created[0].id, COMPLETE, None, values=(7.0, 8.0, 9.0))])
    changed, _ = storage.get_trials(sid, since=seq)
    assert [t.values for t in changed] == [(7.0, 8.0, 9.0)]


def test_values_survive_reaping_of_others_and_a_refused_finish(storage):
    sid = new(storage).id
    a, b = storage.create_trials(sid, 2)
    storage.finish_trials([TrialUpdate(a.id, COMPLETE, None, values=(1.0, 2.0, 3.0))])
    # a second finish of a finished trial is refused and changes nothing
    assert storage.finish_trials([TrialUpdate(a.id, COMPLETE, None, values=(9.0, 9.0, 9.0))]
                                 ) == [False]
    storage.reap_stale(sid, older_than=-1.0)  # b is reaped
    got = {t.id: t for t in storage.get_trials(sid)[0]}
    assert got[a.id].values == (1.0, 2.0, 3.0)
    assert got[b.id].state == FAIL and got[b.id].values is None
