"""The per-page WebGL budget: contexts counted as plotly.js creates them, big figures on WebGL
only while the page stays within the budget, small ones always SVG."""

from __future__ import annotations

from caviar.viz import build, webgl
from caviar.viz.figures import history_figure, parallel_figure


def markers(n: int) -> dict:
    return {"data": [{"type": "scatter", "mode": "markers", "x": list(range(n)),
                      "y": list(range(n))}], "layout": {}}


def test_contexts_as_plotly_creates_them() -> None:
    assert webgl.contexts(markers(10)) == 0
    gl = {"data": [{"type": "scattergl", "x": [1]}, {"type": "scattergl", "x": [2]}]}
    assert webgl.contexts(gl) == 1  # one per figure, however many gl traces
    assert webgl.contexts({"data": [{"type": "parcoords", "dimensions": []}]}) == 3
    assert webgl.contexts({"data": [{"type": "scatter3d"}, {"type": "scatter3d"}]}) == 1


def test_budget_keeps_the_page_within_max_contexts() -> None:
    page = [{"data": [{"type": "parcoords", "dimensions": []}]}, markers(50)] + \
        [markers(3000 + i) for i in range(12)]
    out = webgl.apply_budget(page, max_contexts=8)
    assert webgl.page_contexts(out) == 8  # 3 for parcoords + 5 figures on WebGL
    assert out[1]["data"][0]["type"] == "scatter"  # small: SVG
    gl = [i for i, s in enumerate(out) if s["data"][0]["type"] == "scattergl"]
    assert gl == list(range(9, 14))  # the biggest five
    assert page[13]["data"][0]["type"] == "scatter"  # the input is not changed
    assert webgl.as_svg(out[13])["data"][0]["type"] == "scatter"


def test_lines_cost_less_than_markers() -> None:
    line = {"data": [{"type": "scatter", "mode": "lines", "x": list(range(10_000))}]}
    assert webgl.points(line) == 1000 and webgl.points(markers(10_000)) == 10_000


def test_every_spec_starts_as_svg() -> None:
    h = {"number": list(range(5000)), "value": [float(i) for i in range(5000)],
         "state": ["complete"] * 5000, "best_number": [0, 4999], "best_value": [0.0, 0.0],
         "n_total": 5000, "direction": "minimize"}
    assert {t["type"] for t in history_figure(h)["data"]} == {"scatter"}
    figs = build.budgeted({"history": history_figure(h),
                           "parallel": parallel_figure({"dimensions": [], "value": [1.0],
                                                        "number": [0],
                                                        "direction": "minimize"}),
                           "params": [markers(10), markers(4000)]})
    assert figs["history"]["data"][0]["type"] == "scattergl"
    assert figs["params"][0]["data"][0]["type"] == "scatter"
    assert figs["params"][1]["data"][0]["type"] == "scattergl"
