"""Comparing studies: their optimization histories overlaid in one figure.

``GET /api/compare?study=A&study=B[&study=C...]``: each study's completed trials as faint points
and its best-so-far as a bold step line, one colour per study, x = trial number. Studies with
different directions can be compared (each line is the best for its own direction); the
title says so.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

from caviar.viz import data

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b",
           "#e377c2")
MAX_STUDIES = len(PALETTE)


def compare_figure(views: Sequence[Any], *, max_points: int = 1500) -> dict[str, Any]:
    """``views``: StudyView objects (refreshed). One figure, every study's history."""
    traces: list[dict[str, Any]] = []
    summary = []
    for i, v in enumerate(views):
        color = PALETTE[i % len(PALETTE)]
        h = data.history(v.trials(), v.record.direction, max_points=max_points)
        name = html.escape(v.name)
        traces.append({"type": "scatter", "mode": "markers", "name": f"{name} trials",
                       "legendgroup": name, "x": h["number"], "y": h["value"],
                       "marker": {"color": color, "size": 4, "opacity": 0.35},
                       "hovertemplate": f"{name}<br>trial %{{x}}<br>value %{{y}}"
                                        "<extra></extra>"})
        traces.append({"type": "scatter", "mode": "lines", "name": f"{name} best so far",
                       "legendgroup": name, "x": h["best_number"], "y": h["best_value"],
                       "line": {"color": color, "shape": "hv", "width": 2.5}})
        best = h["best_value"][-1] if h["best_value"] else None
        summary.append({"name": v.name, "direction": v.record.direction,
                        "n_trials": len(v.by_number), "n_drawn": len(h["number"]),
                        "n_finished": h["n_total"], "best_value": best})
    dirs = sorted({s["direction"] for s in summary})
    note = "" if len(dirs) == 1 else " (mixed directions: each line is its own best)"
    layout = {"title": {"text": "Optimization history of " + ", ".join(
                  html.escape(s["name"]) for s in summary) + note},
              "xaxis": {"title": {"text": "trial"}},
              "yaxis": {"title": {"text": "value" + (f" ({dirs[0]})" if len(dirs) == 1
                                                     else "")}},
              "hovermode": "closest", "margin": {"l": 60, "r": 20, "t": 50, "b": 50},
              "plot_bgcolor": "#fbfbfd", "legend": {"orientation": "h", "y": -0.2}}
    return {"figure": {"data": traces, "layout": layout}, "studies": summary}
