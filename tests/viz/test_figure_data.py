"""Figure data: pure functions, checked on hand-made trials."""

from __future__ import annotations

import math
from types import SimpleNamespace

from caviar import Choice, Float, FrozenTrial, Int
from caviar.viz import data


def T(n: int, state: str = "complete", value: float | None = None, **params: object) -> FrozenTrial:
    return FrozenTrial(id=100 + n, study_id=1, number=n, state=state, value=value,
                       params=dict(params))


def test_axes_follow_the_sampling_scale() -> None:
    assert data.axis(Float(1e-4, 1.0, scale="log"))["type"] == "log"
    assert data.axis(Float(0.0, 1.0))["type"] == "linear"
    assert data.axis(Int(1, 512, scale="log"))["type"] == "log"
    cat = data.axis(Choice(["relu", "tanh"]))
    assert cat["type"] == "category" and cat["categories"] == ["relu", "tanh"]


def test_reverse_log_axis_is_log_in_one_minus_beta_labelled_in_beta() -> None:
    beta = Float(0.9, 0.999, scale="reverse_log")
    ax = data.axis(beta)
    assert ax["type"] == "log" and ax["reversed"]
    for label in ("0.9", "0.99", "0.999"):
        assert label in ax["ticktext"]
    for v, t in zip(ax["tickvals"], ax["ticktext"], strict=True):
        assert math.isclose(1 - v, float(t), rel_tol=1e-6)
    assert data.to_plot(beta, [0.99, 0.999]) == [1 - 0.99, 1 - 0.999]


def test_history_best_so_far_is_an_exact_step_line() -> None:
    ts = [T(0, value=3.0), T(1, value=5.0), T(2, "fail"), T(3, value=1.0), T(4, value=2.0),
          T(5, "pruned", 0.5)]
    h = data.history(ts, "minimize")
    assert h["number"] == [0, 1, 3, 4, 5]
    assert h["best_number"] == [0, 3, 4] and h["best_value"] == [3.0, 1.0, 1.0]
    hmax = data.history(ts, "maximize")
    assert hmax["best_value"][:2] == [3.0, 5.0]
    assert data.best_so_far([3.0, None, 1.0, 2.0], "minimize") == [3.0, 3.0, 1.0, 1.0]


def test_history_thinning_keeps_every_improvement() -> None:
    ts = [T(i, value=1000.0 - i if i % 100 == 0 else 2000.0) for i in range(1000)]
    h = data.history(ts, "minimize", max_points=50)
    assert len(h["number"]) <= 60 and h["n_total"] == 1000
    assert set(h["best_number"]) <= set(h["number"]) | {999}


def test_param_slices_and_parallel_on_the_unit_cube() -> None:
    space = {"lr": Float(1e-4, 1.0, scale="log"), "act": Choice(["relu", "tanh"])}
    ts = [T(0, value=1.0, lr=1e-4, act="relu"), T(1, value=2.0, lr=1.0, act="tanh"),
          T(2, "fail", lr=0.1, act="relu")]
    sl = data.param_slices(ts, space)
    assert sl[0]["x"] == [1e-4, 1.0] and sl[1]["x"] == ["relu", "tanh"]
    p = data.parallel(ts, space, "minimize")
    assert p["dimensions"][0]["unit"] == [0.0, 1.0]
    assert p["dimensions"][1]["unit"] == [0.25, 0.75]
    assert p["dimensions"][0]["ticktext"][0] == "1e-4"


def test_curves_mark_pruned_and_pick_a_sample() -> None:
    ts = [T(i, "pruned" if i % 3 == 0 else "complete", float(i)) for i in range(40)]
    reports = {t.id: {s: float(s) for s in range(300)} for t in ts}
    picked = data.pick_curves(ts, "minimize", 10)
    assert len(picked) == 10 and picked[0].number == 0  # the best completed are kept
    cs = data.curves(picked, reports, max_points=50)
    assert all(len(c["steps"]) <= 51 and c["steps"][-1] == 299 for c in cs)
    assert [c["pruned"] for c in cs] == [t.state == "pruned" for t in picked]


def test_rounds_from_system_attrs_and_absent_gracefully() -> None:
    space = {"lr": Float(1e-4, 1.0, scale="log"), "act": Choice(["a", "b"])}
    assert data.rounds([T(0, value=1.0, lr=0.1, act="a")], space, "minimize") == []
    ts = [FrozenTrial(1, 1, 0, "complete", 2.0, {"lr": 0.1, "act": "a"},
                      system_attrs={"round": 0}),
          FrozenTrial(2, 1, 1, "complete", 1.0, {"lr": 0.01, "act": "a"},
                      system_attrs={"round": 1, "box": {"lr": [0.001, 0.1], "act": ["a"]}})]
    rs = data.rounds(ts, space, "minimize")
    assert rs[0]["box"]["lr"] == [1e-4, 1.0] and rs[1]["box"]["lr"] == [0.001, 0.1]
    assert rs[1]["box"]["act"] == ["a"] and rs[1]["best"] == 1.0


def test_event_marks_read_events_generically() -> None:
    curve = {0: 1.0, 1: 0.8, 2: 0.6, 3: 0.5}
    evs = [SimpleNamespace(id=1, kind="nudge", payload={"factor": 0.5}, applied_step=1, at=0.0),
           SimpleNamespace(id=2, kind="rewind", payload={"to_step": 0, "step": 2},
                           applied_step=None, at=0.0),
           SimpleNamespace(id=3, kind="pause", payload={}, applied_step=None, at=0.0),
           SimpleNamespace(id=4, kind="future-kind", payload={"x": 1}, applied_step=9, at=0.0)]
    m = data.event_marks(evs, curve)
    assert [(x["kind"], x["step"], x["y"], x["pending"]) for x in m] == [
        ("nudge", 1, 0.8, False), ("rewind", 2, 0.6, False), ("pause", 3, 0.5, True),
        ("future-kind", 9, 0.5, False)]
    assert m[1]["to_step"] == 0
