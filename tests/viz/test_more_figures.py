"""Contour, rank, EDF, timeline, Pareto and hypervolume figure data, each checked against a
brute-force or closed-form oracle; and one importance for the report and the dashboard."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pytest
from tests.viz.studies import make_study7, make_study_mo

from caviar import Choice, Float, FrozenTrial, Int
from caviar.viz import build, extra_data, pareto_plot


def T(n: int, value: float | None, state: str = "complete", values: tuple | None = None,
      created: float = 0.0, finished: float | None = None, **params: object) -> FrozenTrial:
    return FrozenTrial(id=100 + n, study_id=1, number=n, state=state, value=value,
                       params=dict(params), values=values, created_at=created,
                       finished_at=finished)


def test_contour_cells_hold_the_mean_value_of_their_trials() -> None:
    space = {"lr": Float(1e-4, 1.0, scale="log"), "act": Choice(["relu", "tanh"])}
    rng = np.random.default_rng(0)
    ts = []
    for i in range(60):
        lr = float(10 ** rng.uniform(-4, 0))
        ts.append(T(i, float(rng.random()), lr=lr, act=["relu", "tanh"][i % 2]))
    c = extra_data.contour(ts, space, ["lr", "act"], bins=4)
    assert len(c["z"]) == 2 and len(c["z"][0]) == 4  # one row per choice, 4 cells in lr
    for i, j in itertools.product(range(2), range(4)):  # brute force: the trials in each cell
        lo, hi = 10 ** (-4 + j), 10 ** (-3 + j)
        vals = [t.value for t in ts if lo <= t.params["lr"] < hi and
                t.params["act"] == ["relu", "tanh"][i]]
        want = None if not vals else sum(vals) / len(vals)  # type: ignore[arg-type]
        got = c["z"][i][j]
        assert (got is None and want is None) or math.isclose(got, want), (i, j, got, want)
    assert c["x"]["ticktext"] == ["1e-4", "0.001", "0.01", "0.1", "1"]
    assert c["y"]["ticktext"] == ["relu", "tanh"]


def test_ranks_against_brute_force() -> None:
    vals = [3.0, 1.0, 2.0, 2.0, 5.0]
    r = extra_data.ranks(vals, "minimize")
    for i, v in enumerate(vals):  # rank = (number better + half the ties) / (n - 1)
        better = sum(w < v for w in vals)
        ties = sum(w == v for w in vals) - 1
        assert math.isclose(r[i], (better + ties / 2) / 4)
    assert extra_data.ranks(vals, "maximize")[4] == 0.0


def test_edf_is_the_share_at_or_below_each_value() -> None:
    rng = np.random.default_rng(1)
    vals = [float(v) for v in rng.normal(size=3000)]
    ts = [T(i, v) for i, v in enumerate(vals)] + [T(3000, None, "fail")]
    e = extra_data.edf(ts, max_points=200)
    assert e["n"] == 3000 and len(e["x"]) <= 201 and e["y"][-1] == 1.0
    arr = np.array(vals)
    for x, y in zip(e["x"], e["y"], strict=True):
        assert math.isclose(y, float((arr <= x).mean()))


def test_timeline_in_seconds_since_the_first_start() -> None:
    ts = [T(0, 1.0, created=100.0, finished=103.0), T(1, None, "running", created=101.0),
          T(2, 2.0, "pruned", created=102.0, finished=102.5)]
    tl = extra_data.timeline(ts, now=110.0)
    assert [(r["start"], r["end"], r["state"]) for r in tl["rows"]] == [
        (0.0, 3.0, "complete"), (1.0, 10.0, "running"), (2.0, 2.5, "pruned")]


def test_pareto_front_flags_match_brute_force_dominance() -> None:
    rng = np.random.default_rng(2)
    dirs = ["maximize", "minimize"]
    ts = [T(i, None, values=(float(rng.random()), float(rng.random())), x=0.1)
          for i in range(80)]
    p = pareto_plot.pareto(ts, dirs)

    def dominated(a: tuple, b: tuple) -> bool:  # b dominates a (maximize 0, minimize 1)
        return b[0] >= a[0] and b[1] <= a[1] and (b[0] > a[0] or b[1] < a[1])

    for t, on in zip(ts, p["front"], strict=True):
        assert on == (not any(dominated(t.values, u.values) for u in ts)), t.number
    fig = pareto_plot.pareto_figure(p)
    step = next(d for d in fig["data"] if d["name"] == "front")
    assert step["line"]["shape"] == "hv" and step["x"] == sorted(step["x"], reverse=True)
    assert "x = 0.1" in fig["data"][-1]["text"][0]  # hover shows params


def test_hypervolume_history_closed_form() -> None:
    ts = [T(0, None, values=(1.0, 3.0)), T(1, None, values=(2.0, 2.0)),
          T(2, None, values=(3.0, 1.0))]
    h = pareto_plot.hypervolume_history(ts, ["minimize", "minimize"])
    assert h["reference"] == pytest.approx([3.2, 3.2])  # worst + a tenth of the range
    # staircase of rectangles up to (3.2, 3.2)
    assert h["hypervolume"] == pytest.approx([2.2 * 0.2, 0.2 + 1.2 * 1.2, 1.84])
    hmax = pareto_plot.hypervolume_history(
        [T(i, None, values=(-a, b)) for i, (a, b) in enumerate([(1, 3), (2, 2), (3, 1)])],
        ["maximize", "minimize"])
    assert hmax["hypervolume"][-1] == pytest.approx(1.84)


def test_kinds_follow_the_directions() -> None:
    assert "pareto" not in build.kinds_for(["minimize"])
    assert set(build.kinds_for(["minimize", "maximize"])) == {"curves", "timeline", "pareto",
                                                              "hypervolume"}
    with pytest.raises(Exception, match="several directions"):
        build.check_kind("s", "pareto", ["minimize"])
    with pytest.raises(Exception, match="use pareto or hypervolume"):
        build.check_kind("s", "history", ["minimize", "minimize"])


def test_three_objectives_draw_in_3d(tmp_path: Path) -> None:
    from caviar.study import load_study

    url = "sqlite:///" + str(tmp_path / "m.db")
    make_study_mo(url, 60, name="mo3", k=3)
    figs = build.specs(load_study("mo3", storage=url))
    assert {t["type"] for t in figs["pareto"]["data"]} == {"scatter3d"}
    scene = figs["pareto"]["layout"]["scene"]
    assert scene["zaxis"]["title"]["text"] == "time (minimize)"  # the study's objective names
    assert figs["hypervolume"]["data"][0]["y"][-1] > 0


def test_report_and_dashboard_give_the_same_importance(tmp_path: Path) -> None:
    from caviar.dashboard.views import StudyView
    from caviar.storage import get_storage
    from caviar.study import load_study

    url = "sqlite:///" + str(tmp_path / "i.db")
    make_study7(url, 300)
    study = load_study("mlp7", storage=url)
    report = build.specs(study, ["importance"])["importance"]["data"][0]
    view = StudyView(get_storage(url), "mlp7")
    view.refresh()
    view.importance()  # the dashboard computes it in the background; here: wait for it
    dash = view.figures()["importance"]["data"][0]
    assert report["y"] == dash["y"] and report["x"] == pytest.approx(dash["x"], abs=1e-12)
    assert report["y"][-1] == "lr"  # the biggest bar: the lecture's first param


def test_curves_name_the_metric_mark_the_best_and_the_applied_nudge(tmp_path: Path) -> None:
    from caviar.study import load_study

    url = "sqlite:///" + str(tmp_path / "c.db")
    make_study7(url, 40, steps=12)
    spec = build.specs(load_study("mlp7", storage=url), ["curves"])["curves"]
    assert spec["layout"]["yaxis"]["title"]["text"] == "val_loss"
    names = [d["name"] for d in spec["data"]]
    assert any(n.startswith("best: trial") for n in names) and "nudge" in names
    nudge = next(d for d in spec["data"] if d["name"] == "nudge")
    assert nudge["x"] == [6]
    assert spec["layout"]["updatemenus"][0]["buttons"][1]["label"] == "log y"


def test_int_axes_of_slices_never_tick_between_integers() -> None:
    from caviar.viz import data, figures

    space = {"depth": Int(1, 3)}
    sl = data.param_slices([T(i, float(i), depth=1 + i % 3) for i in range(9)] +
                           [T(9, 5.0, "pruned", depth=2)], space)
    fig = figures.param_figures(sl)[0]
    assert fig["layout"]["xaxis"]["tickvals"] == [1.0, 2.0, 3.0]
    assert [d["name"] for d in fig["data"]] == ["complete", "pruned (last value)"]


def test_a_page_that_cannot_wait_gets_the_rest_without_importance(tmp_path: Path) -> None:
    from caviar.study import load_study

    url = "sqlite:///" + str(tmp_path / "w.db")
    make_study7(url, 30)
    study = load_study("mlp7", storage=url)
    figs = build.figure_set(study.trials, study.space, ("minimize",), wait_importance=False)
    assert not set(build.NEEDS_IMPORTANCE) & set(figs)
    assert {"history", "params", "parallel", "edf", "timeline"} <= set(figs)


def test_lineage_is_a_kind_only_for_scheduled_studies() -> None:
    from caviar import Space

    space = Space({"lr": Float(1e-4, 1.0, scale="log")})
    plain = [T(i, 1.0 - i / 10, lr=0.01) for i in range(3)]
    assert "lineage" not in build.figure_set(plain, space, ("maximize",), kinds=["lineage"])
    sched = [FrozenTrial(id=100 + i, study_id=1, number=i, state="complete", value=0.5,
                         params={"lr": 0.01 * (i + 1)},
                         system_attrs={"schedule": [[0, {"lr": 0.01 * (i + 1)}]]})
             for i in range(3)]
    curves = {t.id: {0: 0.1, 1: 0.3, 2: 0.5} for t in sched}
    figs = build.figure_set(sched, space, ("maximize",), kinds=["lineage"],
                            reports=lambda ts: {t.id: curves[t.id] for t in ts})
    members = figs["lineage"]["data"][0]
    assert members["name"] == "members" and members["x"].count(None) == 3
