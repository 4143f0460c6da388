"""Figure specs for the contour, rank, EDF and timeline plots (data from
``caviar.viz.extra_data``). Plain dicts, SVG traces (``caviar.viz.webgl`` decides on WebGL)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from caviar.viz.figures import COLORS, Spec, _layout, empty, esc


def _unit_axis(ax: Mapping[str, Any], **kw: Any) -> dict[str, Any]:
    return {"title": {"text": esc(ax["name"])}, "range": [-0.02, 1.02], "zeroline": False,
            "tickvals": ax["tickvals"], "ticktext": [esc(t) for t in ax["ticktext"]],
            "showgrid": True, **kw}


def contour_figure(c: Mapping[str, Any], direction: str) -> Spec:
    """Mean value over two params (cells interpolated where empty), trials as dots."""
    title = f"Contour: {esc(c['x']['name'])} × {esc(c['y']['name'])}"
    if len(c["value"]) < 3:
        return empty(title, "needs at least 3 completed trials")
    return {"data": [
        {"type": "contour", "x": c["cx"], "y": c["cy"], "z": c["z"], "connectgaps": True,
         "colorscale": "Viridis", "reversescale": direction == "minimize",
         "contours": {"coloring": "heatmap"}, "line": {"width": 0.5},
         "colorbar": {"title": {"text": "mean value"}, "thickness": 12},
         "hovertemplate": "mean value %{z:.4g}<extra></extra>"},
        {"type": "scatter", "mode": "markers", "x": c["ux"], "y": c["uy"], "text": c["number"],
         "customdata": c["value"], "showlegend": False,
         "marker": {"size": 4, "color": "rgba(0,0,0,0.55)", "line": {"width": 0}},
         "hovertemplate": "trial %{text}<br>value %{customdata:.6g}<extra></extra>"}],
        "layout": _layout(f"{title} (each axis on its param's scale)",
                          xaxis=_unit_axis(c["x"]), yaxis=_unit_axis(c["y"]), height=480)}


def rank_figure(r: Mapping[str, Any]) -> Spec:
    """Each pair of the most important params, trials coloured by the rank of their value."""
    if not r["pairs"] or len(r["value"]) < 2:
        return empty("Rank", "needs two params and two completed trials")
    pairs = r["pairs"]
    cols = min(3, len(pairs))
    rows = math.ceil(len(pairs) / cols)
    gx, gy = 0.08, 0.16 / max(1, rows - 1) if rows > 1 else 0.0
    w, h = (1 - gx * (cols - 1)) / cols, (1 - gy * (rows - 1)) / rows
    data: list[dict[str, Any]] = []
    layout = _layout(f"Rank: {len(r['value']):,} trials coloured by the rank of their value "
                     "(0 = best)", showlegend=False, height=380 * rows)
    for i, (a, b) in enumerate(pairs):
        row, col = divmod(i, cols)
        k = "" if i == 0 else str(i + 1)
        x0, y1 = col * (w + gx), 1 - row * (h + gy)
        layout[f"xaxis{k}"] = _unit_axis(r["axes"][a], domain=[x0, min(1.0, x0 + w)],
                                         anchor=f"y{k}")
        layout[f"yaxis{k}"] = _unit_axis(r["axes"][b], domain=[max(0.0, y1 - h), y1],
                                         anchor=f"x{k}")
        data.append({"type": "scatter", "mode": "markers", "xaxis": f"x{k}", "yaxis": f"y{k}",
                     "x": r["unit"][a], "y": r["unit"][b], "text": r["number"],
                     "customdata": r["value"],
                     "marker": {"size": 6, "color": r["rank"], "colorscale": "Viridis",
                                "cmin": 0, "cmax": 1, "showscale": i == 0,
                                "colorbar": {"title": {"text": "rank"}, "thickness": 12}},
                     "hovertemplate": "trial %{text}<br>value %{customdata:.6g}<br>rank "
                                      "%{marker.color:.2f}<extra></extra>"})
    return {"data": data, "layout": layout}


def edf_figure(e: Mapping[str, Any], direction: str) -> Spec:
    if not e["n"]:
        return empty("Empirical distribution of values", "no completed trial yet")
    from caviar.viz.figures import log_y_menu

    menu = log_y_menu(e["x"])
    if menu:  # here the values are on x: the same buttons switch the x axis
        for btn in menu[0]["buttons"]:
            btn["label"] = btn["label"].replace(" y", " x")
            btn["args"] = [{"xaxis.type": btn["args"][0]["yaxis.type"]}]
    return {"data": [{"type": "scatter", "mode": "lines", "x": e["x"], "y": e["y"],
                      "line": {"shape": "hv", "color": COLORS["complete"], "width": 2},
                      "hovertemplate": "value ≤ %{x:.6g}: %{y:.1%} of trials<extra></extra>"}],
            "layout": _layout(f"Empirical distribution of values ({e['n']:,} completed "
                              "trials)", xaxis={"title": {"text": f"value ({direction})"}},
                              yaxis={"title": {"text": "share of trials with value ≤ x"},
                                     "range": [0, 1.02], "tickformat": ".0%"},
                              updatemenus=menu)}


def timeline_figure(tl: Mapping[str, Any]) -> Spec:
    """One bar per trial from its start to its end, coloured by state."""
    rows = tl["rows"]
    if not rows:
        return empty("Timeline", "no trial has started yet")
    data: list[dict[str, Any]] = []
    for state in ("complete", "pruned", "fail", "running", "waiting"):
        rs = [r for r in rows if r["state"] == state]
        if not rs:
            continue
        x: list[Any] = []
        y: list[Any] = []
        text: list[Any] = []
        for r in rs:
            x += [r["start"], r["end"], None]
            y += [r["number"], r["number"], None]
            label = (f"trial {r['number']} ({state}) on {esc(r['worker'])}<br>"
                     f"{r['start']:.1f} s to {r['end']:.1f} s")
            text += [label, label, None]
        data.append({"type": "scatter", "mode": "lines", "name": state, "x": x, "y": y,
                     "text": text, "hovertemplate": "%{text}<extra></extra>",
                     "line": {"color": COLORS.get(state, "#7f7f7f"), "width": 4}})
    note = "" if tl["n_total"] == len(rows) else f" ({len(rows):,} of {tl['n_total']:,} shown)"
    return {"data": data, "layout": _layout(
        f"Timeline: each trial from start to end{note}",
        xaxis={"title": {"text": "seconds since the first trial started"}},
        yaxis={"title": {"text": "trial"}})}
