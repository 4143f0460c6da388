"""A grid worker killed at each step between starting a trial and storing its params.

Deterministic forms of a race seen under kill -9 (test_crash_safety): the worker dies right
after the trial row exists, right after it claimed a grid point, or right after it took the
retry of a lost trial. Another worker then reaps it and finishes the study; every grid point
must be run exactly once, and a point claimed by the dead worker must not be lost.
"""

from __future__ import annotations

from typing import Any

import pytest

from caviar import COMPLETE, FAIL, Int, create_study, get_storage, load_study
from caviar.trial_record import TrialUpdate

N = 6


class Killed(BaseException):
    """The worker process stops here (what SIGKILL does to it)."""


def grid_study(url: str) -> Any:
    return create_study("seam", storage=url, sampler="grid", space={"x": Int(0, N - 1)})


def reap_all(url: str) -> None:
    """What a surviving worker does with a dead worker's running trials."""
    store = get_storage(url)
    sid = store.get_study("seam").id
    assert store.reap_stale(sid, -1.0)


def finish_elsewhere(url: str) -> list[Any]:
    """A second worker (its own study object and storage) runs the study to its target."""
    other = load_study("seam", storage=url, sampler="grid")
    other.worker = "elsewhere:1"
    other.optimize(lambda t: float(t.params["x"]), n_trials=N)
    return load_study("seam", storage=url).trials


def each_point_once(ts: list[Any]) -> None:
    assert sorted(t.params["x"] for t in ts if t.state == COMPLETE) == list(range(N))


def die_in(study: Any, method: str, when: Any = None) -> None:
    real = getattr(study.storage, method)

    def dying(*a: Any, **kw: Any) -> Any:
        if when is None or when(*a, **kw):
            raise Killed
        return real(*a, **kw)

    setattr(study.storage, method, dying)


def test_killed_right_after_claiming_a_grid_point(sqlite_url):
    """The claim wrote the point to the trial: the retry runs that point, no one else does."""
    study = grid_study(sqlite_url)
    die_in(study, "heartbeat")  # the params' own write, after the claim: never reached
    with pytest.raises(Killed):
        study.ask()
    lost = get_storage(sqlite_url).get_trials(study.id)[0][0]
    assert lost.params and "x" in lost.params  # stored by the claim itself
    reap_all(sqlite_url)
    ts = finish_elsewhere(sqlite_url)
    each_point_once(ts)
    retry = [t for t in ts if t.parent_id == lost.id]
    assert len(retry) == 1 and retry[0].params == lost.params and retry[0].state == COMPLETE


def test_killed_before_claiming_a_grid_point(sqlite_url):
    """A trial lost before its proposal holds no point: not retried (no random stand-in),
    its slot goes to a fresh proposal and every point still runs once."""
    study = grid_study(sqlite_url)
    die_in(study, "claim", lambda sid, counter, *a, **kw: counter == "grid")
    with pytest.raises(Killed):
        study.ask()
    lost = get_storage(sqlite_url).get_trials(study.id)[0][0]
    assert lost.params == {}
    reap_all(sqlite_url)
    ts = finish_elsewhere(sqlite_url)
    each_point_once(ts)
    assert [t for t in ts if t.parent_id == lost.id] == []
    assert len([t for t in ts if t.state == COMPLETE]) == N


def test_killed_right_after_taking_a_retry(sqlite_url):
    """The retry's claim wrote the lost params to the new trial: lost again, it is retried
    again with them, and the point is run once in all."""
    study = grid_study(sqlite_url)
    first = study.ask()
    study.storage.finish_trials([TrialUpdate(first.id, FAIL, error="worker lost",
                                             counted=False)])
    die_in(study, "heartbeat")  # after the retry's claim, before the params' own write
    with pytest.raises(Killed):
        study.ask()
    store = get_storage(sqlite_url)
    retry = next(t for t in store.get_trials(study.id)[0] if t.number == 1)
    assert retry.params == first.params
    reap_all(sqlite_url)
    ts = finish_elsewhere(sqlite_url)
    each_point_once(ts)
    done = [t for t in ts if t.params == first.params and t.state == COMPLETE]
    assert len(done) == 1 and done[0].parent_id == retry.id


def test_a_retry_killed_in_turn_keeps_its_lineage_and_max_retries_holds(sqlite_url):
    """The retry's claim also stores retry_of and attempt: a config whose worker dies at every
    attempt is retried max_retries times, each attempt numbered, and then no more."""
    study = grid_study(sqlite_url)
    first = study.ask()
    store = get_storage(sqlite_url)
    store.finish_trials([TrialUpdate(first.id, FAIL, error="worker lost", counted=False)])
    real = study.storage.heartbeat
    taken = []
    for _ in range(study.max_retries + 1):
        die_in(study, "heartbeat")  # killed right after taking the retry
        with pytest.raises(Killed):
            study.ask()
        study.storage.heartbeat = real
        newest = max(store.get_trials(study.id)[0], key=lambda t: t.number)
        taken.append(newest)
        reap_all(sqlite_url)
    retries = [t for t in taken if t.params == first.params]
    assert [t.system_attrs.get("attempt") for t in retries] == [2, 3, 4]
    assert [t.system_attrs.get("retry_of") for t in retries] == [
        first.number, retries[0].number, retries[1].number]
    assert len(retries) == study.max_retries  # the attempt after the last is a fresh point
    assert taken[-1].params != first.params and "attempt" not in taken[-1].system_attrs
