"""The Storage contract (storage/base.py), trials, reports, claims, events: every backend."""

from __future__ import annotations

import time

import pytest

from caviar.trial_record import COMPLETE, FAIL, PRUNED, RUNNING, TrialUpdate


@pytest.fixture
def sid(storage):
    return storage.create_study("s", direction="minimize", sampler={}, space={}).id


def trials(storage, sid, **kw):
    return storage.get_trials(sid, **kw)[0]


def test_create_trials_numbers_are_consecutive(storage, sid):
    a = storage.create_trials(sid, 3, worker="h:1", params=[{"i": 0}, {"i": 1}, {"i": 2}],
                              system_attrs=[{"g": 0}, {"g": 1}, {"g": 2}])
    b = storage.create_trials(sid, 2)
    assert [t.number for t in a + b] == [0, 1, 2, 3, 4]
    assert len({t.id for t in a + b}) == 5
    assert all(t.state == RUNNING and t.counted and t.value is None for t in a + b)
    stored = trials(storage, sid)
    assert [t.number for t in stored] == [0, 1, 2, 3, 4]
    assert [t.params for t in stored[:3]] == [{"i": 0}, {"i": 1}, {"i": 2}]
    assert [t.system_attrs for t in stored[:3]] == [{"g": 0}, {"g": 1}, {"g": 2}]
    assert stored[0].worker == "h:1" and stored[0].heartbeat_at is not None


def test_cap_counts_running_and_counted_finished(storage, sid):
    first = storage.create_trials(sid, 5, cap=3)
    assert len(first) == 3
    assert storage.create_trials(sid, 1, cap=3) == []
    storage.finish_trials([TrialUpdate(first[0].id, COMPLETE, 1.0),
                           TrialUpdate(first[1].id, FAIL, error="objective raised")])
    assert storage.create_trials(sid, 1, cap=3) == []  # counted finished trials keep their slot
    storage.finish_trials([TrialUpdate(first[2].id, FAIL, error="lost", counted=False)])
    again = storage.create_trials(sid, 5, cap=3)  # an uncounted FAIL frees exactly one slot
    assert [t.number for t in again] == [3]
    assert storage.create_trials(sid, 1, cap=3) == []
    assert storage.create_trials(sid, 2, cap=6) != []


def test_finish_applies_only_to_running(storage, sid):
    t, u = storage.create_trials(sid, 2, params=[{"a": 1}, {"a": 2}])
    assert storage.finish_trials([TrialUpdate(t.id, COMPLETE, 0.25)]) == [True]
    assert storage.finish_trials([TrialUpdate(t.id, FAIL, error="late")]) == [False]
    assert storage.finish_trials([TrialUpdate(u.id, PRUNED, 9.0),
                                  TrialUpdate(t.id, COMPLETE, 5.0)]) == [True, False]
    got = {x.number: x for x in trials(storage, sid)}
    assert (got[0].state, got[0].value, got[0].error) == (COMPLETE, 0.25, None)
    assert got[0].finished_at is not None and got[0].duration >= 0
    assert (got[1].state, got[1].value) == (PRUNED, 9.0)


def test_finish_replaces_params_and_attrs(storage, sid):
    t, u = storage.create_trials(sid, 2, params=[{"a": 1, "b": 2}, {"a": 3}],
                                 system_attrs=[{"grid": 4}, {"grid": 5}])
    storage.finish_trials([
        TrialUpdate(t.id, COMPLETE, 1.0, params={"c": 3}, user_attrs={"u": [1, 2]},
                    system_attrs={"s": "x"}),
        TrialUpdate(u.id, COMPLETE, 2.0),  # None: keep what is stored
    ])
    a, b = trials(storage, sid)
    assert (a.params, a.user_attrs, a.system_attrs) == ({"c": 3}, {"u": [1, 2]}, {"s": "x"})
    assert (b.params, b.user_attrs, b.system_attrs) == ({"a": 3}, {}, {"grid": 5})


def test_reports_ordered_by_trial_then_step(storage, sid):
    t, u = storage.create_trials(sid, 2)
    storage.add_reports([(u.id, 2, 0.2), (t.id, 5, 0.5), (u.id, 0, 0.0), (t.id, 1, 0.1)])
    assert storage.get_reports(sid) == [(t.id, 1, 0.1), (t.id, 5, 0.5),
                                        (u.id, 0, 0.0), (u.id, 2, 0.2)]
    assert storage.get_reports(sid, [u.id]) == [(u.id, 0, 0.0), (u.id, 2, 0.2)]
    assert storage.get_reports(sid, []) == []


def test_repeated_step_overwrites(storage, sid):
    (t,) = storage.create_trials(sid, 1)
    storage.add_reports([(t.id, 0, 1.0), (t.id, 1, 2.0)])
    storage.add_reports([(t.id, 1, 3.0), (t.id, 1, 4.0)])
    assert storage.get_reports(sid) == [(t.id, 0, 1.0), (t.id, 1, 4.0)]


def test_overwrite_keeps_other_trials_steps(storage, sid):
    t, u = storage.create_trials(sid, 2)
    storage.add_reports([(t.id, 0, 1.0), (t.id, 1, 2.0)])
    storage.add_reports([(t.id, 0, 5.0), (u.id, 1, 7.0)])
    assert storage.get_reports(sid) == [(t.id, 0, 5.0), (t.id, 1, 2.0), (u.id, 1, 7.0)]


def test_heartbeat_marks_running_trials_alive(storage, sid):
    t, u = storage.create_trials(sid, 2)
    storage.finish_trials([TrialUpdate(u.id, COMPLETE, 1.0, params={"x": 1})])
    before = {x.id: x for x in trials(storage, sid)}
    time.sleep(0.02)
    storage.heartbeat([t.id, u.id], params={t.id: {"x": 0.5}, u.id: {"x": 9}})
    after = {x.id: x for x in trials(storage, sid)}
    assert after[t.id].heartbeat_at > before[t.id].heartbeat_at
    assert after[t.id].params == {"x": 0.5} and after[t.id].state == RUNNING
    assert after[u.id] == before[u.id]  # a finished trial is left alone


def test_reap_stale_fails_uncounted_and_reissues_the_slot(storage, sid):
    t, u = storage.create_trials(sid, 2, cap=2)
    assert storage.reap_stale(sid, older_than=60.0) == []
    time.sleep(0.3)
    storage.heartbeat([u.id])
    assert storage.reap_stale(sid, older_than=0.2) == [t.id]
    assert storage.reap_stale(sid, older_than=0.2) == []
    got = {x.id: x for x in trials(storage, sid)}
    assert got[t.id].state == FAIL and got[t.id].counted is False
    assert "heartbeat" in got[t.id].error
    assert got[u.id].state == RUNNING
    assert [x.number for x in storage.create_trials(sid, 3, cap=2)] == [2]
    assert storage.finish_trials([TrialUpdate(t.id, COMPLETE, 1.0)]) == [False]


def test_get_trials_since_is_incremental(storage, sid):
    empty, s0 = storage.get_trials(sid)
    assert empty == []
    a, b, _ = storage.create_trials(sid, 3)
    new, s1 = storage.get_trials(sid, since=s0)
    assert [t.number for t in new] == [0, 1, 2] and s1 > s0
    assert storage.get_trials(sid, since=s1) == ([], s1)
    storage.finish_trials([TrialUpdate(b.id, COMPLETE, 2.0)])
    new, s2 = storage.get_trials(sid, since=s1)
    assert [(t.number, t.state, t.value) for t in new] == [(1, COMPLETE, 2.0)] and s2 > s1
    storage.create_trials(sid, 1)
    storage.finish_trials([TrialUpdate(a.id, FAIL, error="e")])
    new, s3 = storage.get_trials(sid, since=s2)
    assert [t.number for t in new] == [0, 3]  # in number order, not change order
    everything, s4 = storage.get_trials(sid, since=0)
    assert [t.number for t in everything] == [0, 1, 2, 3] and s4 == s3


def test_get_trials_states_filter(storage, sid):
    a, b, c = storage.create_trials(sid, 3)
    storage.finish_trials([TrialUpdate(a.id, COMPLETE, 1.0), TrialUpdate(c.id, PRUNED, 2.0)])
    assert [t.number for t in trials(storage, sid, states=[RUNNING])] == [1]
    assert [t.number for t in trials(storage, sid, states=[COMPLETE, PRUNED])] == [0, 2]
    assert trials(storage, sid, states=[FAIL]) == []
    _, s = storage.get_trials(sid)
    storage.finish_trials([TrialUpdate(b.id, FAIL, error="e")])
    assert [t.number for t in trials(storage, sid, since=s, states=[FAIL])] == [1]


def test_claim_returns_the_value_before(storage, sid):
    other = storage.create_study("o", direction="minimize", sampler={}, space={}).id
    assert [storage.claim(sid, "grid", 3), storage.claim(sid, "grid", 2),
            storage.claim(sid, "sobol"), storage.claim(sid, "grid")] == [0, 3, 0, 5]
    assert storage.claim(other, "grid") == 0
    assert storage.claim(sid, "grid", 10) == 6


def test_events_in_order_with_after(storage, sid):
    t, u = storage.create_trials(sid, 2)
    e1 = storage.add_event(t.id, "nudge", {"lr": 0.5, "why": ["plateau"]})
    e2 = storage.add_event(u.id, "pause", {})
    e3 = storage.add_event(t.id, "rewind", {"step": 3})
    assert e1 < e2 < e3
    evs = storage.get_events(t.id)
    assert [(e.id, e.kind, e.payload, e.trial_id) for e in evs] == [
        (e1, "nudge", {"lr": 0.5, "why": ["plateau"]}, t.id), (e3, "rewind", {"step": 3}, t.id)]
    assert all(e.applied_step is None and e.at > 0 for e in evs)
    assert [e.id for e in storage.get_events(t.id, after=e1)] == [e3]
    assert storage.get_events(t.id, after=e3) == []
    assert [e.kind for e in storage.get_events(u.id)] == ["pause"]


def test_finish_and_create(storage, sid):
    (t,) = storage.create_trials(sid, 1, cap=2)
    applied, (u,) = storage.finish_and_create([TrialUpdate(t.id, COMPLETE, 1.5)], sid, 3,
                                              cap=2, worker="h:9")
    assert applied == [True] and u.number == 1  # the cap still holds
    assert u.state == RUNNING and u.worker == "h:9"
    applied, new = storage.finish_and_create([TrialUpdate(t.id, FAIL, error="x")], sid, 1,
                                             cap=2)
    assert applied == [False] and new == []
    applied, new = storage.finish_and_create(  # an uncounted end frees its slot at once
        [TrialUpdate(u.id, FAIL, error="lost", counted=False)], sid, 1, cap=2)
    assert applied == [True] and [x.number for x in new] == [2]
    got = {x.number: x for x in trials(storage, sid)}
    assert (got[0].state, got[0].value) == (COMPLETE, 1.5)
    assert (got[1].state, got[1].counted, got[2].state) == (FAIL, False, RUNNING)


def test_get_trial_by_id(storage, sid):
    (t,) = storage.create_trials(sid, 1, params=[{"x": 1}])
    got = storage.get_trial(t.id)
    assert got is not None and (got.number, got.params, got.state) == (0, {"x": 1}, RUNNING)
    storage.finish_trials([TrialUpdate(t.id, COMPLETE, 2.0)])
    assert storage.get_trial(t.id).value == 2.0
    assert storage.get_trial(t.id + 1000) is None


def test_set_study_attr(storage, sid):
    storage.set_study_attr(sid, "objective", "train.py:objective")
    storage.set_study_attr(sid, "target", {"n_trials": 50})
    storage.set_study_attr(sid, "target", {"n_trials": 60})
    assert storage.get_study("s").user_attrs == {"objective": "train.py:objective",
                                                 "target": {"n_trials": 60}}
