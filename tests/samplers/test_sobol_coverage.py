"""Sobol with every seed, including none: one scramble per sampler, built once; any claimed
indices give scipy's points; scipy is not imported with caviar."""

from __future__ import annotations

import sys
import warnings

import numpy as np
import pytest
from scipy.stats import qmc

import caviar
from caviar import Float, SobolSampler
from caviar.samplers import make_sampler
from caviar.samplers.stream import Stream
from caviar.space import Space

UNIT = Space({"x": Float(0.0, 1.0)})
CUBE = Space({"a": Float(0.0, 1.0), "b": Float(0.0, 1.0), "c": Float(0.0, 1.0)})
TRIAL = caviar.FrozenTrial(0, 1, 0, "running", None, {})


def counter() -> object:
    held: dict[str, int] = {}

    def claim(name: str, k: int) -> int:
        start = held.get(name, 0)
        held[name] = start + k
        return start

    return claim


def one_by_one(s: SobolSampler, space: Space, n: int, claim: object) -> list[dict]:
    return [s.propose(space, None, [TRIAL], [Stream(0, i)], claim).params[0]  # type: ignore[arg-type]
            for i in range(n)]


def test_unseeded_sampler_keeps_one_scramble():
    s = SobolSampler()
    xs = np.sort([p["x"] for p in one_by_one(s, UNIT, 64, counter())])
    # one scrambled sequence: its first 64 points are a (0, 6, 1)-net, one in each 1/64 cell
    assert (np.floor(xs * 64) == np.arange(64)).all()
    assert isinstance(s.seed, int)
    again = make_sampler(s.to_json())
    assert again.seed == s.seed and again.to_json() == s.to_json()
    assert np.array_equal(np.sort([p["x"] for p in one_by_one(again, UNIT, 64, counter())]), xs)


def test_the_engine_is_built_once(monkeypatch):
    made: list[tuple[int, object]] = []
    real = qmc.Sobol

    def counting(*args: object, **kw: object) -> qmc.Sobol:
        made.append((kw.get("d"), kw.get("seed")))
        return real(*args, **kw)

    monkeypatch.setattr(qmc, "Sobol", counting)
    s = SobolSampler(seed=3)
    one_by_one(s, CUBE, 200, counter())
    assert made == [(3, 3)]


@pytest.mark.parametrize("seed", [0, 9])
def test_any_claimed_indices_give_scipys_points(seed):
    """Claims jump forward (other workers took the indices between) and back (a retry)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        oracle = qmc.Sobol(d=3, scramble=True, seed=seed).random(300)
    s = SobolSampler(seed=seed)
    gen = np.random.default_rng(seed)
    for _ in range(100):
        start, n = int(gen.integers(0, 290)), int(gen.integers(1, 10))
        assert np.array_equal(s.points(CUBE, start, n), oracle[start:start + n])


def test_importing_the_samplers_leaves_scipy_out(python):
    out = python("import sys, caviar.samplers\n"
                 "print(sorted(m for m in sys.modules if m.split('.')[0] == 'scipy'))")
    assert out.strip() == "[]"
    assert "scipy" in sys.modules  # this process imported it (the oracle), the child did not
