"""A pool of worker processes stops on a bad param definition instead of retrying it."""

from __future__ import annotations

import pytest

from caviar import SpaceError, create_study


def bad_range(t):
    return t.suggest_float("lr", 1.0, 0.0)


def test_bad_param_in_a_worker_raises_in_the_parent(sqlite_url):
    study = create_study("bad", storage=sqlite_url)
    with pytest.raises(SpaceError) as e:
        study.optimize(bad_range, n_trials=8, workers=2, heartbeat=0.2, stale_after=2.0)
    msg = str(e.value)
    assert "'lr'" in msg and "low < high" in msg and "low=1.0" in msg
    assert not msg.startswith("SpaceError:")
    ts = study.trials
    assert ts and not [t for t in ts if t.counted or t.state in ("complete", "running")]
    assert len(ts) <= 4  # the pool stopped; no respawned workers kept failing
