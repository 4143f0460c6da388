"""Seeing several objectives: the Pareto front (2 or 3 objectives) and the hypervolume over
trials. Data functions are pure (trials and directions in, dicts out); figure functions give
plotly specs. Dominance and hypervolume come from ``caviar.pareto`` and ``caviar.hypervolume``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from caviar.trial_record import COMPLETE, FrozenTrial
from caviar.viz.figures import COLORS, Spec, _layout, empty, esc

GREY = "#b8b8b8"


def _fmt(v: Any) -> str:
    return f"{v:.6g}" if isinstance(v, float) else str(v)


def _complete(trials: Sequence[FrozenTrial], k: int) -> list[FrozenTrial]:
    return [t for t in trials if t.state == COMPLETE and t.values is not None
            and len(t.values) == k and all(math.isfinite(v) for v in t.values)]


def objective_names(user_attrs: Mapping[str, Any], k: int) -> list[str]:
    """The objectives' names as the study holds them (``Study.set_objective_names``: the
    ``objective_names`` user attr), else the study's defaults (``values_0``, ``values_1``...)."""
    from caviar.study_values import default_names

    names = user_attrs.get("objective_names")
    if isinstance(names, list | tuple) and len(names) == k:
        return [str(n) for n in names]
    return list(default_names(k))


def pareto(trials: Sequence[FrozenTrial], directions: Sequence[str], *,
           names: Sequence[str] | None = None) -> dict[str, Any]:
    """Completed trials' values, which of them are on the Pareto front (``study.best_trials``:
    with constraints, feasible trials only), which are infeasible, and hover text."""
    from caviar.study_values import best_trials, feasible

    k = len(directions)
    ts = _complete(trials, k)
    vals = [list(t.values or ()) for t in ts]
    front = {t.number for t in best_trials(ts, tuple(directions))} if ts else set()
    return {"directions": list(directions), "names": list(names or objective_names({}, k)),
            "values": vals, "number": [t.number for t in ts],
            "front": [t.number in front for t in ts],
            "feasible": [feasible(t) for t in ts],
            "hover": [f"trial {t.number}<br>" + "<br>".join(
                f"{esc(n)} = {esc(_fmt(v))}" for n, v in t.params.items()) for t in ts]}


def hypervolume_history(trials: Sequence[FrozenTrial], directions: Sequence[str], *,
                        max_points: int = 200) -> dict[str, Any]:
    """The hypervolume of the front of the first trials, as trials complete (at up to
    ``max_points`` trial numbers), against one reference point: the worst value of each
    objective over all completed trials, pushed out by a tenth of its range. With
    constraints, only feasible trials count (as in ``study.best_trials``)."""
    from caviar.hypervolume import hypervolume
    from caviar.pareto import pareto_front, to_minimize
    from caviar.study_values import feasible, has_constraints

    k = len(directions)
    ts = sorted(_complete(trials, k), key=lambda t: t.number)
    if has_constraints(ts):
        ts = [t for t in ts if feasible(t)]
    if not ts:
        return {"number": [], "hypervolume": [], "reference": None}
    pts = to_minimize([list(t.values or ()) for t in ts], directions)
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    ref = hi + 0.1 * np.where(hi > lo, hi - lo, np.maximum(np.abs(hi), 1.0))
    cuts = sorted({*np.linspace(1, len(ts), min(max_points, len(ts))).round().astype(int)})
    hv, numbers = [], []
    for c in cuts:
        head = pts[:c]
        f = head[pareto_front(head)]
        hv.append(float(hypervolume(f, ref)))
        numbers.append(ts[c - 1].number)
    sign = np.array([-1.0 if d == "maximize" else 1.0 for d in directions])
    return {"number": numbers, "hypervolume": hv, "reference": (ref * sign).tolist()}


def pareto_figure(p: Mapping[str, Any]) -> Spec:
    """2 objectives: dominated trials grey, the front coloured and joined by its step line;
    3 (or more: the first three): a 3-D scatter. Hover shows each trial's params."""
    k = len(p["directions"])
    if k < 2:
        return empty("Pareto front", "the study has one objective")
    if not p["values"]:
        return empty("Pareto front", "no completed trial yet")
    names = [f"{esc(n)} ({d})" for n, d in zip(p["names"], p["directions"], strict=True)]
    idx_f = [i for i, f in enumerate(p["front"]) if f]
    ok = p.get("feasible") or [True] * len(p["front"])
    idx_d = [i for i, f in enumerate(p["front"]) if not f and ok[i]]
    idx_x = [i for i, f in enumerate(p["front"]) if not f and not ok[i]]
    title = f"Pareto front: {len(idx_f):,} of {len(p['values']):,} trials on it"
    if k == 2:
        sgn = [-1.0 if d == "maximize" else 1.0 for d in p["directions"]]
        step = sorted(idx_f, key=lambda i: (sgn[0] * p["values"][i][0],
                                            sgn[1] * p["values"][i][1]))
        data: list[dict[str, Any]] = []
        for idx, name, color, size, symbol in (
                (idx_d, "dominated", GREY, 5, "circle"),
                (idx_x, "infeasible", GREY, 6, "x-open"),
                (idx_f, "on the front", COLORS["best"], 8, "circle")):
            if not idx:
                continue
            data.append({"type": "scatter", "mode": "markers", "name": name,
                         "x": [p["values"][i][0] for i in idx],
                         "y": [p["values"][i][1] for i in idx],
                         "text": [p["hover"][i] for i in idx],
                         "marker": {"color": color, "size": size, "symbol": symbol},
                         "hovertemplate": "%{text}<br>(%{x:.6g}, %{y:.6g})<extra></extra>"})
        data.insert(max(0, len(data) - 1), {"type": "scatter", "mode": "lines", "name": "front",
                        "x": [p["values"][i][0] for i in step],
                        "y": [p["values"][i][1] for i in step], "hoverinfo": "skip",
                        "line": {"shape": "hv", "color": COLORS["best"], "width": 1.5}})
        return {"data": data, "layout": _layout(title, xaxis={"title": {"text": names[0]}},
                                                yaxis={"title": {"text": names[1]}})}
    note = "" if k == 3 else f" (the first 3 of {k} objectives)"
    data = [{"type": "scatter3d", "mode": "markers", "name": name,
             "x": [p["values"][i][0] for i in idx], "y": [p["values"][i][1] for i in idx],
             "z": [p["values"][i][2] for i in idx], "text": [p["hover"][i] for i in idx],
             "marker": {"color": color, "size": size},
             "hovertemplate": "%{text}<extra></extra>"}
            for idx, name, color, size in ((idx_d + idx_x, "dominated or infeasible", GREY, 3),
                                           (idx_f, "on the front", COLORS["best"], 5))]
    return {"data": data, "layout": _layout(title + note, height=560, scene={
        "xaxis": {"title": {"text": names[0]}}, "yaxis": {"title": {"text": names[1]}},
        "zaxis": {"title": {"text": names[2]}}})}


def hypervolume_figure(h: Mapping[str, Any]) -> Spec:
    if not h["number"]:
        return empty("Hypervolume", "no completed trial yet")
    ref = ", ".join(f"{v:.4g}" for v in h["reference"])
    return {"data": [{"type": "scatter", "mode": "lines+markers", "x": h["number"],
                      "y": h["hypervolume"], "line": {"shape": "hv",
                                                      "color": COLORS["complete"]},
                      "marker": {"size": 4},
                      "hovertemplate": "after trial %{x}: %{y:.6g}<extra></extra>"}],
            "layout": _layout(f"Hypervolume of the front over trials (reference ({ref}))",
                              xaxis={"title": {"text": "trial"}},
                              yaxis={"title": {"text": "hypervolume"}})}
