"""Grid coverage with every seed, including none: a 400-point grid asked 400 times visits 400
distinct points (one sampler, two sampler instances sharing a counter, a study, two worker
processes), and the visit order is built once, not once per trial."""

from __future__ import annotations

import json

import numpy as np
import pytest

import caviar
from caviar import GridSampler, Int
from caviar.samplers import make_sampler
from caviar.space import Space

SPACE = {"a": Int(0, 19), "b": Int(0, 19)}  # 20 x 20 = 400 points
SIZE = 400


def counter() -> object:
    """A claim like storage's: an atomic counter per name (shared by whoever holds it)."""
    held: dict[str, int] = {}

    def claim(name: str, k: int, params: object = None) -> int:
        start = held.get(name, 0)
        held[name] = start + k
        return start

    return claim


def ask_one_by_one(samplers: list[GridSampler], n: int, claim: object) -> list[tuple[int, int]]:
    """``n`` proposals of one trial each, taken in turn from ``samplers``, through the seam."""
    space = Space(SPACE)
    t = caviar.FrozenTrial(0, 1, 0, "running", None, {})
    from caviar.samplers.stream import Stream

    out = []
    for i in range(n):
        p = samplers[i % len(samplers)].propose(space, None, [t], [Stream(0, i)], claim)  # type: ignore[arg-type]
        assert p.status == "ready" and len(p.params) == 1
        out.append((p.params[0]["a"], p.params[0]["b"]))
    return out


def test_unseeded_sampler_visits_every_point_once():
    s = GridSampler()
    points = ask_one_by_one([s], SIZE, counter())
    assert len(set(points)) == SIZE
    # the seed drawn on first use is kept: it is the one the JSON form carries
    assert isinstance(s.seed, int)
    again = make_sampler(s.to_json())
    assert isinstance(again, GridSampler) and again.seed == s.seed
    assert ask_one_by_one([again], SIZE, counter()) == points


def test_two_instances_with_one_seed_share_the_grid():
    """What two worker processes do: same seed, one counter, each proposing in turn."""
    points = ask_one_by_one([GridSampler(seed=4), GridSampler(seed=4)], SIZE, counter())
    assert len(set(points)) == SIZE
    assert points != ask_one_by_one([GridSampler(seed=5)], SIZE, counter())


def test_study_without_a_seed_covers_the_grid():
    study = caviar.create_study(sampler="grid", space=SPACE)
    study.optimize(lambda t: float(t.params["a"] + t.params["b"]), n_trials=SIZE)
    assert len({(t.params["a"], t.params["b"]) for t in study.trials}) == SIZE
    assert study.best_value == 0.0


RUN = """
import sys
from caviar import Int, create_study
study = create_study("g", storage=sys.argv[1], sampler="grid",
                     space={"a": Int(0, 19), "b": Int(0, 19)})
study.optimize(lambda t: float(t.params["a"] * t.params["b"]), n_trials=400, workers=2)
"""


def test_two_workers_without_a_seed_cover_the_grid(sqlite_url, python):
    python(RUN, sqlite_url)
    ts = caviar.load_study("g", storage=sqlite_url).trials
    assert len(ts) == SIZE and all(t.state == "complete" for t in ts)
    assert sorted(t.system_attrs["grid_index"] for t in ts) == list(range(SIZE))
    assert len({json.dumps(t.params, sort_keys=True) for t in ts}) == SIZE
    assert len({t.worker for t in ts}) == 2


@pytest.mark.parametrize("shape", [(20, 20), (200, 200)])
def test_the_visit_order_is_built_once_whatever_the_grid_size(monkeypatch, shape):
    """The per-trial work is an index lookup: the seeded permutation of the grid is built
    once (one generator seeded) for all the trials, on a 400- and a 40,000-point grid."""
    made: list[object] = []
    real = np.random.default_rng

    def counting(*args: object, **kw: object) -> np.random.Generator:
        made.append(args)
        return real(*args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(np.random, "default_rng", counting)
    space = Space({"a": Int(0, shape[0] - 1), "b": Int(0, shape[1] - 1)})
    from caviar.samplers.stream import Stream

    s, claim = GridSampler(seed=1), counter()
    t = caviar.FrozenTrial(0, 1, 0, "running", None, {})
    seen = set()
    for i in range(300):
        p = s.propose(space, None, [t], [Stream(1, i)], claim)  # type: ignore[arg-type]
        seen.add(tuple(p.params[0].values()))
    assert len(seen) == 300
    assert made == [(1,)]
    s.seed = 2  # a new seed (as a study sets it) is a new order, built once more
    s.propose(space, None, [t], [Stream(2, 0)], claim)  # type: ignore[arg-type]
    s.propose(space, None, [t], [Stream(2, 1)], claim)  # type: ignore[arg-type]
    assert made == [(1,), (2,)]


def test_a_seeded_grid_keeps_its_stored_order():
    """Studies stored before the order was cached visit the same points by grid index."""
    s = GridSampler(seed=7, resolution=3)
    space = Space(SPACE)
    perm = np.random.default_rng(7).permutation(SIZE)
    assert [s.point(space, i) for i in range(5)] == [
        {"a": int(k) // 20, "b": int(k) % 20} for k in perm[:5]]
