"""Figure specs: the figure data of ``caviar.viz.data`` as plotly figures (plain dicts).

A spec is ``{"data": [...], "layout": {...}}``, the JSON plotly.js draws; no plotly import is
needed to build one (``to_plotly`` wraps it in a ``plotly.graph_objects.Figure`` for PNG).
Every user-supplied string (param names, choices, event payloads) is HTML-escaped here,
because plotly.js renders a subset of HTML in titles and hover text.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from typing import Any

Spec = dict[str, Any]

COLORS = {"complete": "#1f77b4", "pruned": "#ff7f0e", "running": "#2ca02c", "fail": "#d62728",
          "best": "#d62728"}
EVENT_SYMBOLS = {"nudge": "triangle-up", "pause": "square", "rewind": "triangle-left",
                 "stop": "x", "resume": "circle"}


def esc(s: Any) -> str:
    """A user string made safe for plotly's HTML-like text."""
    return html.escape(str(s), quote=True)


def _layout(title: str, **kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"title": {"text": title}, "margin": {"l": 60, "r": 20, "t": 50,
                                                                  "b": 50},
                            "hovermode": "closest", "plot_bgcolor": "#fbfbfd",
                            "font": {"size": 12}}
    base.update(kw)
    return base


def _axis(ax: Mapping[str, Any], title: str) -> dict[str, Any]:
    out: dict[str, Any] = {"title": {"text": title}, "type": ax["type"]}
    if ax.get("reversed"):
        out["autorange"] = "reversed"
    if ax.get("tickvals"):
        out["tickvals"] = ax["tickvals"]
        out["ticktext"] = ax["ticktext"]
    if ax["kind"] == "category":
        out["categoryorder"] = "array"
        out["categoryarray"] = [esc(c) for c in ax["categories"]]
    return out


def empty(title: str, message: str) -> Spec:
    return {"data": [], "layout": _layout(esc(title), xaxis={"visible": False},
                                          yaxis={"visible": False}, annotations=[{
                                              "text": esc(message), "showarrow": False,
                                              "xref": "paper", "yref": "paper", "x": 0.5,
                                              "y": 0.5}])}


def log_y_menu(values: Sequence[Any]) -> list[dict[str, Any]]:
    """A two-button menu switching the y axis between linear and log (only offered when every
    value is positive: a log axis cannot show the others)."""
    finite = [v for v in values if is_finite(v)]
    if not finite or min(finite) <= 0:
        return []
    return [{"type": "buttons", "direction": "right", "x": 1.0, "xanchor": "right", "y": 1.13,
             "yanchor": "bottom", "showactive": True, "pad": {"r": 0, "t": 0},
             "font": {"size": 11},
             "buttons": [{"label": "linear y", "method": "relayout",
                          "args": [{"yaxis.type": "linear"}]},
                         {"label": "log y", "method": "relayout",
                          "args": [{"yaxis.type": "log"}]}]}]


def history_figure(h: Mapping[str, Any]) -> Spec:
    if not h["number"]:
        return empty("Optimization history", "no completed trial yet")
    comp = [i for i, s in enumerate(h["state"]) if s == "complete"]
    pruned = [i for i, s in enumerate(h["state"]) if s == "pruned"]
    data: list[dict[str, Any]] = [{
        "type": "scatter", "mode": "markers", "name": "complete",
        "x": [h["number"][i] for i in comp], "y": [h["value"][i] for i in comp],
        "marker": {"color": COLORS["complete"], "size": 5, "opacity": 0.6},
        "hovertemplate": "trial %{x}<br>value %{y}<extra></extra>"}]
    if pruned:
        data.append({"type": "scatter", "mode": "markers", "name": "pruned (last value)",
                     "x": [h["number"][i] for i in pruned], "y": [h["value"][i] for i in pruned],
                     "marker": {"color": COLORS["pruned"], "size": 5, "symbol": "x",
                                "opacity": 0.5},
                     "hovertemplate": "trial %{x} (pruned)<br>last value %{y}<extra></extra>"})
    data.append({"type": "scatter", "mode": "lines", "name": "best so far",
                 "x": h["best_number"], "y": h["best_value"],
                 "line": {"color": COLORS["best"], "shape": "hv", "width": 2}})
    note = "" if h["n_total"] == len(h["number"]) else \
        f" ({len(h['number']):,} of {h['n_total']:,} points shown)"
    return {"data": data, "layout": _layout(
        f"Optimization history{note}", xaxis={"title": {"text": "trial"}},
        yaxis={"title": {"text": f"value ({h['direction']})"}},
        updatemenus=log_y_menu(h["value"]))}


SCALE_NOTE = {"log": "log scale", "reverse_log": "reverse-log scale: log in 1 − beta",
              "linear": "linear scale", "category": "choice"}


def param_figures(slices: Sequence[Mapping[str, Any]]) -> list[Spec]:
    """One figure per param: value against the param on its own scale; completed trials
    coloured by coarse-to-fine round when the study has rounds, else by trial number; pruned
    trials at their last value with their own marker."""
    out = []
    for s in slices:
        name = esc(s["name"])
        kind = s["axis"]["kind"]
        x = [esc(v) for v in s["x"]] if kind == "category" else s["x"]
        rounds = s.get("round") or [None] * len(x)
        states = s.get("state") or ["complete"] * len(x)
        by_round = any(r is not None for r in rounds)
        data: list[dict[str, Any]] = []
        for state in ("complete", "pruned"):
            idx = [i for i, st in enumerate(states) if st == state]
            if not idx:
                continue
            tr: dict[str, Any] = {
                "type": "scatter", "mode": "markers", "name": state,
                "x": [x[i] for i in idx], "y": [s["value"][i] for i in idx],
                "text": [s["number"][i] for i in idx]}
            if state == "complete":
                color = [rounds[i] if by_round else s["number"][i] for i in idx]
                tr["marker"] = {"size": 6, "opacity": 0.75, "color": color,
                                "colorscale": "Viridis", "showscale": True,
                                "colorbar": {"title": {"text": "round" if by_round else
                                                       "trial"}, "thickness": 10}}
            else:
                tr["name"] = "pruned (last value)"
                tr["marker"] = {"size": 6, "symbol": "x", "opacity": 0.7,
                                "color": COLORS["pruned"]}
            what = "last value" if state == "pruned" else "value"
            if kind == "reverse_log":  # show beta, not 1 - beta, on hover
                tr["customdata"] = [None if x[i] is None else 1.0 - float(x[i]) for i in idx]
                tr["hovertemplate"] = ("trial %{text}<br>" + name + " %{customdata:.6g}<br>"
                                       + what + " %{y}<extra></extra>")
            else:
                tr["hovertemplate"] = ("trial %{text}<br>" + name + " %{x}<br>" + what +
                                       " %{y}<extra></extra>")
            data.append(tr)
        out.append({"data": data, "layout": _layout(
            f"{name} ({SCALE_NOTE[kind]})", xaxis=_axis(s["axis"], name),
            yaxis={"title": {"text": "value"}}, showlegend=False, height=320)})
    return out


def parallel_figure(p: Mapping[str, Any]) -> Spec:
    """Parallel coordinates; the title says when only the best lines are drawn."""
    if not p["value"]:
        return empty("Parallel coordinates", "no completed trial yet")
    dims = [{"label": esc(d["name"]), "values": d["unit"], "range": [0, 1],
             "tickvals": d["tickvals"], "ticktext": [esc(t) for t in d["ticktext"]]}
            for d in p["dimensions"]]
    dims.append({"label": "value", "values": p["value"]})
    reverse = p["direction"] == "maximize"
    n, total = len(p["value"]), p.get("n_total", len(p["value"]))
    shown = f"best {n:,} of {total:,} shown" if total > n else f"{n:,} trials"
    first = p["dimensions"][0]["name"] if p["dimensions"] else ""
    left = max(70, 8 * len(str(first)) // 2 + 40)  # the first label is centred on the edge
    return {"data": [{"type": "parcoords", "dimensions": dims, "labelangle": 0,
                      "line": {"color": p["value"], "colorscale": "Viridis",
                               "reversescale": not reverse, "showscale": True}}],
            "layout": _layout(f"Parallel coordinates ({shown}; each axis on its param's scale)",
                              margin={"l": left, "r": 70, "t": 90, "b": 30})}


def curves_figure(cs: Sequence[Mapping[str, Any]], *, title: str = "Learning curves",
                  n_total: int | None = None, metric: str | None = None,
                  best: int | None = None, marks: Sequence[Mapping[str, Any]] = ()) -> Spec:
    """All curves in a few traces (None separates curves); pruned ones dotted, with an x where
    the pruner stopped them; the best trial's curve drawn bold on top; control events (nudges,
    pauses, rewinds) marked where they were applied. The y axis names the metric when known."""
    if not any(c["steps"] for c in cs):
        return empty(title, "no intermediate values reported")
    groups: dict[str, dict[str, list[Any]]] = {}
    stops: dict[str, list[Any]] = {"x": [], "y": [], "text": []}
    best_curve = None
    for c in cs:
        if not c["steps"]:
            continue
        if best is not None and c["number"] == best:
            best_curve = c
        state = c["state"] if c["state"] in COLORS else "fail"
        g = groups.setdefault(state, {"x": [], "y": [], "text": []})
        g["x"] += [*c["steps"], None]
        g["y"] += [*c["values"], None]
        g["text"] += [c["number"]] * len(c["steps"]) + [None]
        if c["pruned"]:
            stops["x"].append(c["steps"][-1])
            stops["y"].append(c["values"][-1])
            stops["text"].append(f"trial {c['number']} pruned")
    data: list[dict[str, Any]] = []
    for state in ("complete", "running", "fail", "pruned"):
        if state in groups:
            g = groups[state]
            data.append({"type": "scatter", "mode": "lines", "name": state, **g,
                         "line": {"color": COLORS[state], "width": 1,
                                  "dash": "dot" if state == "pruned" else "solid"},
                         "opacity": 0.55, "hovertemplate": "trial %{text}<br>step %{x}<br>"
                         "value %{y}<extra></extra>", "connectgaps": False})
    if stops["x"]:
        data.append({"type": "scatter", "mode": "markers", "name": "pruned here", **stops,
                     "marker": {"symbol": "x", "color": COLORS["pruned"], "size": 7},
                     "hovertemplate": "%{text}<br>step %{x}<br>value %{y}<extra></extra>"})
    if best_curve is not None:
        data.append({"type": "scatter", "mode": "lines", "name": f"best: trial {best}",
                     "x": best_curve["steps"], "y": best_curve["values"],
                     "line": {"color": COLORS["best"], "width": 3},
                     "hovertemplate": f"best trial {best}<br>step %{{x}}<br>value %{{y}}"
                                      "<extra></extra>"})
    for kind in sorted({str(m["kind"]) for m in marks}):
        ms = [m for m in marks if m["kind"] == kind and m.get("y") is not None]
        if ms:
            data.append({"type": "scatter", "mode": "markers", "name": esc(kind),
                         "x": [m["step"] for m in ms], "y": [m["y"] for m in ms],
                         "text": [f"trial {m['number']}: {esc(m['label'])}" for m in ms],
                         "marker": {"symbol": EVENT_SYMBOLS.get(kind, "diamond"), "size": 10,
                                    "color": "#9467bd", "line": {"width": 1, "color": "#fff"}},
                         "hovertemplate": "%{text}<br>step %{x}<extra></extra>"})
    shown = sum(1 for c in cs if c["steps"])
    note = "" if n_total is None or n_total <= shown else f" ({shown:,} of {n_total:,} trials)"
    ys = [v for c in cs for v in c["values"]]
    return {"data": data, "layout": _layout(
        f"{esc(title)}{note}", xaxis={"title": {"text": "step"}},
        yaxis={"title": {"text": esc(metric) if metric else "value at step"}},
        updatemenus=log_y_menu(ys))}


def importance_figure(imp: Any) -> Spec:
    """Bars of importance, each labelled with the lecture's priority tier."""
    rows = list(getattr(imp, "params", []))
    if not rows:
        return empty("Param importance", getattr(imp, "note", "") or "not enough trials")
    rows = sorted(rows, key=lambda r: r.importance)
    labels = [esc(r.name) for r in rows]
    tiers = [esc(r.tier_label) for r in rows]
    return {"data": [{"type": "bar", "orientation": "h", "x": [r.importance for r in rows],
                      "y": labels, "text": [f"{r.importance:.2f}" for r in rows],
                      "textposition": "outside", "cliponaxis": False, "customdata": tiers,
                      "marker": {"color": COLORS["complete"]},
                      "hovertemplate": "%{y}: %{x:.3f}<br>lecture: %{customdata}"
                                       "<extra></extra>"}],
            "layout": _layout(f"Param importance ({esc(imp.method)} on {imp.n_trials:,} "
                              "trials, unit-cube encoding)",
                              xaxis={"title": {"text": "share of main-effect variance"},
                                     "range": [0, 1.08]},
                              margin={"l": 110, "r": 30, "t": 50, "b": 50},
                              height=max(250, 60 + 40 * len(rows)))}


def rounds_figure(rs: Sequence[Mapping[str, Any]], space: Mapping[str, Any],
                  params: Sequence[str]) -> Spec:
    """Coarse-to-fine rounds as shrinking boxes in the plane of two numeric params."""
    from caviar.viz.data import axis, to_plot

    if not rs or len(params) < 2:
        return empty("Coarse-to-fine rounds", "no rounds recorded (not a coarse-to-fine study)"
                     if not rs else "needs two numeric params")
    px, py = params[0], params[1]
    ax, ay = space[px], space[py]
    data: list[dict[str, Any]] = []
    palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
               "#7f7f7f", "#bcbd22", "#17becf"]
    for r in rs:
        color = palette[r["round"] % len(palette)]
        (x0, x1), (y0, y1) = r["box"][px], r["box"][py]
        bx = to_plot(ax, [x0, x1, x1, x0, x0])
        by = to_plot(ay, [y0, y0, y1, y1, y0])
        data.append({"type": "scatter", "mode": "lines", "x": bx, "y": by,
                     "name": f"round {r['round']} box", "legendgroup": str(r["round"]),
                     "line": {"color": color, "width": 2}, "hoverinfo": "name"})
        pts = [p for p in r["params"] if px in p and py in p]
        data.append({"type": "scatter", "mode": "markers", "legendgroup": str(r["round"]),
                     "x": to_plot(ax, [p[px] for p in pts]), "y": to_plot(ay, [p[py] for p in pts]),
                     "name": f"round {r['round']} trials ({r['n']})", "showlegend": True,
                     "marker": {"color": color, "size": 5, "opacity": 0.7}})
    return {"data": data, "layout": _layout(
        "Coarse-to-fine rounds: each box is the region a round sampled",
        xaxis=_axis(axis(ax), esc(px)), yaxis=_axis(axis(ay), esc(py)))}


def trial_figure(curve: Mapping[int, float], marks: Sequence[Mapping[str, Any]], *,
                 number: int, state: str) -> Spec:
    """One trial's curve with its control events (nudges, pauses, rewinds...) marked."""
    steps = sorted(curve)
    if not steps:
        return empty(f"Trial {number}", "no intermediate values reported")
    data: list[dict[str, Any]] = [{
        "type": "scatter", "mode": "lines+markers", "name": f"trial {number} ({esc(state)})",
        "x": steps, "y": [curve[s] for s in steps], "marker": {"size": 3},
        "line": {"color": COLORS.get(state, COLORS["fail"])}}]
    by_kind: dict[str, list[Mapping[str, Any]]] = {}
    for m in marks:
        by_kind.setdefault(m["kind"], []).append(m)
    shapes = []
    for kind, ms in by_kind.items():
        data.append({"type": "scatter", "mode": "markers+text", "name": esc(kind),
                     "x": [m["step"] for m in ms], "y": [m["y"] for m in ms],
                     "text": [esc(m["label"]) + (" (pending)" if m["pending"] else "")
                              for m in ms], "textposition": "top center",
                     "marker": {"symbol": EVENT_SYMBOLS.get(kind, "diamond"), "size": 11}})
        for m in ms:
            shapes.append({"type": "line", "xref": "x", "yref": "paper", "x0": m["step"],
                           "x1": m["step"], "y0": 0, "y1": 1,
                           "line": {"dash": "dot", "width": 1, "color": "#888"}})
            if m.get("to_step") is not None and m["y"] is not None:
                data.append({"type": "scatter", "mode": "lines", "showlegend": False,
                             "x": [m["step"], m["to_step"]], "y": [m["y"], m["y"]],
                             "line": {"dash": "dash", "color": "#9467bd"},
                             "hoverinfo": "skip"})
    return {"data": data, "layout": _layout(f"Trial {number}: curve and control events",
                                            xaxis={"title": {"text": "step"}},
                                            yaxis={"title": {"text": "value at step"}},
                                            shapes=shapes)}


def numeric_pair(space: Mapping[str, Any], order: Sequence[str] = ()) -> list[str]:
    """Two numeric params to draw rounds in: the most important first when ``order`` given."""
    from caviar.space import Choice

    names = [n for n in order if n in space] + [n for n in space if n not in order]
    return [n for n in names if not isinstance(space[n], Choice)][:2]


def to_plotly(spec: Spec) -> Any:
    import plotly.graph_objects as go

    return go.Figure(spec)


def is_finite(x: Any) -> bool:
    return isinstance(x, int | float) and math.isfinite(x)


def combine(specs: Sequence[Spec], *, title: str, cols: int = 2, row_px: int = 280,
            gap_px: int = 110) -> Spec:
    """Several single-axis figures as one figure with a grid of subplots (for one PNG). The
    gap between rows is in pixels (room for the x-axis title of the row above and the
    subplot title of the row below, so they never collide); one colour bar for all."""
    if not specs:
        return empty(title, "nothing to draw")
    rows = math.ceil(len(specs) / cols)
    top, bottom = 80, 60
    plot_px = rows * row_px + (rows - 1) * gap_px
    gap_x, gap_y = 0.1, gap_px / plot_px
    w = (1 - gap_x * (cols - 1)) / cols
    h = row_px / plot_px
    data: list[dict[str, Any]] = []
    layout = _layout(title, showlegend=False, height=plot_px + top + bottom, annotations=[])
    for i, spec in enumerate(specs):
        r, c = divmod(i, cols)
        k = "" if i == 0 else str(i + 1)
        x0, y1 = c * (w + gap_x), 1 - r * (h + gap_y)
        lay = spec["layout"]
        xa = dict(lay.get("xaxis", {}), domain=[max(0.0, x0), min(1.0, x0 + w)],
                  anchor=f"y{k}")
        ya = dict(lay.get("yaxis", {}), domain=[max(0.0, y1 - h), min(1.0, y1)],
                  anchor=f"x{k}")
        layout[f"xaxis{k}"], layout[f"yaxis{k}"] = xa, ya
        layout["annotations"].append({"text": lay.get("title", {}).get("text", ""),
                                      "showarrow": False, "xref": "paper", "yref": "paper",
                                      "x": x0 + w / 2, "y": y1, "yanchor": "bottom",
                                      "yshift": 4, "font": {"size": 13}})
        for tr in spec["data"]:
            tr = dict(tr, xaxis=f"x{k}", yaxis=f"y{k}")
            if i and isinstance(tr.get("marker"), dict) and "showscale" in tr["marker"]:
                tr["marker"] = dict(tr["marker"], showscale=False)
            data.append(tr)
    layout["margin"] = {"l": 60, "r": 20, "t": top, "b": bottom}
    return {"data": data, "layout": layout}
