"""claim(..., params=): the claimed values' params reach their trials in the claim's write."""

from __future__ import annotations

import pytest

from caviar.trial_record import FAIL, TrialUpdate


@pytest.fixture
def sid(storage):
    return storage.create_study("s", direction="minimize", sampler={}, space={}).id


def test_claim_stores_the_params_it_names_on_running_trials(storage, sid):
    t, u, done = storage.create_trials(sid, 3)
    storage.finish_trials([TrialUpdate(done.id, FAIL, error="gone", counted=False)])
    seen: list[int] = []

    def params(start):
        seen.append(start)
        return {t.id: {"x": start}, u.id: {"x": start + 1}, done.id: {"x": -1}}

    assert storage.claim(sid, "grid", 2) == 0
    assert storage.claim(sid, "grid", 2, params) == 2
    assert seen == [2]  # told the value before, the one the claim returned
    got = {r.id: r.params for r in storage.get_trials(sid)[0]}
    assert got[t.id] == {"x": 2} and got[u.id] == {"x": 3}
    assert got[done.id] == {}  # a trial no longer running is left as it was
    assert storage.claim(sid, "grid", 1, lambda start: {}) == 4  # nothing named: the count only
    assert storage.claim(sid, "grid", 1) == 5


def test_claim_stores_system_attrs_for_the_trials_its_params_name(storage, sid):
    t, u = storage.create_trials(sid, 2)
    attrs = {t.id: {"retry_of": 7, "attempt": 2}, u.id: {"attempt": 9}}
    storage.claim(sid, "retry:1", 1, lambda start: {t.id: {"x": 1}}, system_attrs=attrs)
    got = {r.id: r for r in storage.get_trials(sid)[0]}
    assert got[t.id].system_attrs == {"retry_of": 7, "attempt": 2}
    assert got[t.id].params == {"x": 1}
    assert got[u.id].system_attrs == {}  # not named by params: not the claim's trial
    storage.finish_trials([TrialUpdate(u.id, FAIL, error="gone", counted=False)])
    storage.claim(sid, "retry:2", 1, lambda start: {u.id: {"x": 2}},
                  system_attrs={u.id: {"attempt": 3}})
    assert storage.get_trial(u.id).system_attrs == {}  # no longer running: left as it was
