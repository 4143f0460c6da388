"""Coarse to fine: rounds, boxes that contain the top-k and shrink, recorded attrs, boundary
warnings, the round barrier with parallel workers, bad input."""

from __future__ import annotations

import math
import warnings

import pytest

import caviar
from caviar import Choice, Float
from caviar.errors import BoundaryWarning, UsageError
from caviar.samplers import CoarseToFineSampler


def f(t):
    return (math.log10(t.params["lr"]) + 3) ** 2 + (t.params["x"] - 0.3) ** 2 + (
        0.0 if t.params["act"] == "relu" else 0.5)


SPACE = {"lr": Float(1e-6, 1, scale="log"), "x": Float(-2, 2), "act": Choice(["relu", "tanh"])}


@pytest.mark.parametrize("anchor", [1, 2])
def test_rounds_zoom_in_and_record_their_boxes(anchor):
    sampler = CoarseToFineSampler(per_round=20, top_k=5, seed=0, anchor=anchor)
    study = caviar.create_study(space=SPACE, sampler=sampler, seed=0)
    study.optimize(f, n_trials=100)
    ts = study.trials
    assert [t.system_attrs["round"] for t in ts] == [n // 20 for n in range(100)]
    widths = []
    for r in range(1, 5):
        members = [t for t in ts if t.system_attrs["round"] == r]
        box = members[0].system_attrs["box"]
        assert all(m.system_attrs["box"] == box for m in members)
        earlier = sorted((t for t in ts if t.number < 20 * r), key=lambda t: t.value)
        earlier = earlier[:5] if anchor == 1 else earlier[:1]
        lo, hi = box["lr"]
        assert all(lo <= t.params["lr"] <= hi for t in earlier)      # the top-k / the best
        assert all(lo <= m.params["lr"] <= hi for m in members)      # samples inside
        assert set(box["act"]) >= {t.params["act"] for t in earlier}
        widths.append(math.log10(hi / lo))
    assert widths[-1] < widths[0] < 6                                 # shrinks
    rnd = caviar.create_study(space=SPACE, seed=0).optimize(f, n_trials=100)
    assert study.best_value < rnd.best_value


def test_the_box_zooms_into_the_best_basin():
    """The best four trials lie in two basins: the plain top-k box spans both, the anchored
    box holds the best trial's basin only."""
    xs = [0.1, 0.12, 0.9, 0.87] + [0.3 + 0.02 * i for i in range(16)]   # best first
    boxes = {}
    for anchor in (1, 2):
        s = caviar.create_study(space={"x": Float(0, 1)}, seed=3, sampler=CoarseToFineSampler(
            per_round=20, top_k=4, seed=3, anchor=anchor))
        for i, x in enumerate(xs):
            s.tell(s.ask_fixed({"x": x}), float(i))
        boxes[anchor] = s.ask().system_attrs["box"]["x"]
    assert boxes[1][0] < 0.1 and boxes[1][1] > 0.9
    assert boxes[2][0] < 0.1 and boxes[2][1] < 0.5                   # the basin of x = 0.1


def test_each_round_is_a_latin_hypercube():
    """Along every param a round's trials fall one to each of per_round strata of its box."""
    s = caviar.create_study(space={"x": Float(0, 1), "y": Float(-5, 5)}, seed=1,
                            sampler=CoarseToFineSampler(per_round=10, top_k=3, seed=1))
    s.optimize(lambda t: (t.params["x"] - 0.3) ** 2 + t.params["y"] ** 2, n_trials=20)
    for name, lo, hi in (("x", 0, 1), ("y", -5, 5)):
        strata = sorted(int((t.params[name] - lo) / (hi - lo) * 10) for t in s.trials[:10])
        assert strata == list(range(10))
    lo, hi = s.trials[10].system_attrs["box"]["x"]
    strata = sorted(int((t.params["x"] - lo) / (hi - lo) * 10) for t in s.trials[10:])
    assert strata == list(range(10))


def test_boundary_warning_is_given_and_recorded():
    def g(t):
        return -t.params["x"]
    sampler = CoarseToFineSampler(per_round=10, top_k=5)
    study = caviar.create_study(space={"x": Float(0, 0.1)}, sampler=sampler, seed=0)
    with pytest.warns(BoundaryWarning, match=r"x: \d of the top 5 trials lie within 5% of "
                                             r"high=0.1 — widen the range"):
        study.optimize(g, n_trials=40)
    assert "widen the range" in study.trials[-1].system_attrs["boundary"][0]
    wide = CoarseToFineSampler(per_round=10, top_k=5, widen=True)
    s2 = caviar.create_study(space={"x": Float(0, 0.1)}, sampler=wide, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BoundaryWarning)
        s2.optimize(g, n_trials=40)
    assert s2.trials[-1].system_attrs["box"]["x"] == [0.0, 0.1]


def test_sampler_round_trips_through_its_json():
    s = CoarseToFineSampler(per_round=8, quantile=0.25, padding=0.1, min_width=0.1)
    from caviar.samplers import make_sampler
    assert make_sampler(s.to_json()).to_json() == s.to_json()


@pytest.mark.parametrize("kw", [dict(per_round=10, top_k=11), dict(per_round=1),
                                dict(top_k=2, quantile=0.5), dict(quantile=0), dict(anchor=0.5),
                                dict(min_width=0), dict(padding=-1)])
def test_bad_settings_fail_before_any_trial(kw):
    with pytest.raises(UsageError):
        CoarseToFineSampler(**kw)


def test_ask_across_a_round_does_not_deadlock():
    study = caviar.create_study(space=SPACE, sampler=CoarseToFineSampler(per_round=4, top_k=2))
    trials = study.ask(10)
    assert [t.system_attrs["round"] for t in trials] == [0] * 4 + [1] * 4 + [2] * 2


def _objective(trial):  # module level: worker processes import it
    import time
    time.sleep(0.01)
    return (trial.params["x"] - 0.3) ** 2


@pytest.mark.slow
def test_two_workers_agree_on_every_round(tmp_path):
    url = f"sqlite:///{tmp_path / 'c2f.db'}"
    sampler = CoarseToFineSampler(per_round=6, top_k=2, seed=0)
    study = caviar.create_study("c", storage=url, space={"x": Float(0, 1)}, sampler=sampler,
                                seed=0)
    study.optimize(_objective, n_trials=24, workers=2)
    ts = study.trials
    assert len([t for t in ts if t.state == "complete"]) == 24
    for r in range(1, 4):
        members = [t for t in ts if t.system_attrs.get("round") == r]
        assert len({repr(t.system_attrs["box"]) for t in members}) == 1, members
        assert all("barrier_skipped" not in t.system_attrs for t in members)
