"""One trial's page as the dashboard shows it: what a person reads, not a JSON dump.

* the control events come from ``caviar.panda.control.history_rows``, the same rows
  ``caviar history`` prints: each event's status (applied / pending / rejected: reason) and the
  epoch where it took effect (a babysitter confirms an event with a separate ``applied`` event;
  the bookkeeping kinds, one checkpoint per epoch among them, are folded in, not drawn);
* each param with its start value and, for a babysat trial, the value in use now (after the
  applied nudges);
* attributes as a compact name / text table (long lists and dicts summarised), the pruning
  reason and the error as text;
* the curve with the events as small markers (hover for the detail, one legend entry per kind:
  no text labels on the plot), and the nudged params' values on a second axis.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

from caviar.storage import Event
from caviar.trial_record import FrozenTrial
from caviar.viz import ticks

SYMBOLS = {"nudge": "triangle-up", "pause": "square", "resume": "circle", "stop": "x",
           "rewind": "triangle-left", "resumed": "star"}
COLORS = {"complete": "#1f77b4", "pruned": "#ff7f0e", "running": "#2ca02c", "fail": "#d62728"}
MAX_TEXT = 160  # characters of one attribute's text
LINES_UP_TO = 12  # draw a dotted line at each event only while there are this few


def describe(v: Any) -> str:
    """A short text for any JSON value: numbers to 4 figures, long lists and dicts summarised."""
    if isinstance(v, bool) or v is None:
        return json.dumps(v)
    if isinstance(v, float):
        return f"{v:.4g}"
    if isinstance(v, int | str):
        return str(v)[:MAX_TEXT]
    if isinstance(v, list):
        if len(v) > 8 or any(isinstance(x, dict | list) for x in v):
            kinds = sorted({type(x).__name__ for x in v})
            keys = sorted({k for x in v if isinstance(x, dict) for k in x})
            inner = f" with keys {', '.join(keys[:8])}" if keys else f" of {'/'.join(kinds)}"
            return f"{len(v)} values{inner}"
        return "[" + ", ".join(describe(x) for x in v) + "]"
    if isinstance(v, dict):
        text = ", ".join(f"{k}={describe(x)}" for k, x in v.items())
        return text if len(text) <= MAX_TEXT else text[:MAX_TEXT - 1] + "…"
    return str(v)[:MAX_TEXT]


def attr_rows(attrs: Mapping[str, Any], prefix: str = "") -> list[dict[str, str]]:
    """``[{name, text}]``: dicts one level deep as ``outer.inner`` rows, the rest described."""
    out = []
    for k, v in attrs.items():
        if k == "traceback":
            continue  # shown on its own, folded
        if isinstance(v, dict) and not prefix and len(v) <= 12 and \
                not any(isinstance(x, dict) for x in v.values()):
            out.extend(attr_rows(v, prefix=f"{k}."))
        else:
            out.append({"name": prefix + str(k), "text": describe(v)})
    return out


def event_text(row: Mapping[str, Any]) -> str:
    d = row["detail"]
    if row["kind"] == "nudge":
        change = f"×{d['factor']}" if "factor" in d else f"= {describe(d.get('value'))}"
        text = f"{d.get('param')} {change}"
        if "old" in d:
            text += f" ({describe(d['old'])} → {describe(d['new'])})"
        return text
    if row["kind"] == "rewind":
        return f"branch trial {d.get('child')} from epoch {d.get('to_step')}" + (
            f" with {describe(d['changes'])}" if d.get("changes") else "")
    if row["kind"] == "resumed":
        return f"resumed as trial {d.get('child')} from epoch {d.get('from_step')}"
    return ", ".join(f"{k}={describe(v)}" for k, v in d.items())


def params_rows(t: FrozenTrial, events: Sequence[Event]) -> list[dict[str, Any]]:
    """Each param: start value, value in use now (babysat trials), mutable or not."""
    from caviar.panda.control import mutable_state

    spec = t.system_attrs.get("babysit")
    mutable, now = mutable_state(events) if isinstance(spec, dict) else (None, {})
    start = {**t.params, **((spec or {}).get("start_hypers") or {})} \
        if isinstance(spec, dict) else dict(t.params)
    rows = []
    for name, v in t.params.items():
        use = now.get(name, start.get(name, v))
        rows.append({"name": name, "start": _num(start.get(name, v)), "now": _num(use),
                     "mutable": bool(mutable and name in mutable),
                     "changed": mutable is not None and use != start.get(name, v)})
    return rows


def trial_figure(t: FrozenTrial, curve: Mapping[int, float], rows: Sequence[Mapping[str, Any]],
                 schedule: Sequence[Mapping[str, Any]], metric: str = "value") -> dict[str, Any]:
    """The curve, one marker trace per event kind (hover text only), nudged params on y2."""
    steps = sorted(curve)
    layout: dict[str, Any] = {
        "title": {"text": f"Trial {t.number}: {html.escape(metric)} per step"},
        "margin": {"l": 60, "r": 60, "t": 50, "b": 50}, "hovermode": "closest",
        "plot_bgcolor": "#fbfbfd", "font": {"size": 12},
        "xaxis": {"title": {"text": "step (epoch)"}},
        "yaxis": {"title": {"text": html.escape(metric)}},
        "legend": {"orientation": "h", "y": -0.2}}
    if not steps:
        layout["annotations"] = [{"text": "no intermediate values reported", "showarrow": False,
                                  "xref": "paper", "yref": "paper", "x": 0.5, "y": 0.5}]
        return {"data": [], "layout": layout}
    data: list[dict[str, Any]] = [{
        "type": "scatter", "mode": "lines+markers", "name": f"{metric} ({t.state})",
        "x": steps, "y": [curve[s] for s in steps], "marker": {"size": 4},
        "line": {"color": COLORS.get(t.state, "#555")}}]
    last = steps[-1]
    by_kind: dict[str, list[Mapping[str, Any]]] = {}
    for r in rows:  # a rejected event changed nothing: it is in the table, not on the curve
        if str(r["status"]).startswith("rejected"):
            continue
        by_kind.setdefault(str(r["kind"]), []).append(r)
    shapes = []
    for kind, rs in by_kind.items():
        xs, ys, texts, pending = [], [], [], []
        for r in rs:
            x = r["epoch"] if isinstance(r["epoch"], int) else r["detail"].get("step")
            x = x if isinstance(x, int) else last
            xs.append(x)
            ys.append(_at(curve, steps, x))
            texts.append(html.escape(f"{kind}: {event_text(r)} — {r['status']}"
                                     + (f" from epoch {r['epoch']}" if r["epoch"] is not None
                                        else "")))
            pending.append(not str(r["status"]).startswith(("applied", "done")))
        data.append({"type": "scatter", "mode": "markers", "name": f"{kind} ({len(rs)})",
                     "x": xs, "y": ys, "text": texts, "hoverinfo": "text",
                     "marker": {"symbol": [SYMBOLS.get(kind, "diamond") + ("-open" if p
                                                                           else "")
                                           for p in pending], "size": 10,
                                "line": {"width": 1}}})
    if len(rows) <= LINES_UP_TO:
        shapes = [{"type": "line", "xref": "x", "yref": "paper", "x0": r["epoch"],
                   "x1": r["epoch"], "y0": 0, "y1": 1,
                   "line": {"dash": "dot", "width": 1, "color": "#999"}}
                  for r in rows if r["kind"] == "nudge" and isinstance(r["epoch"], int)]
    nudged = sorted({str(r["detail"].get("param")) for r in rows if r["kind"] == "nudge"
                     and str(r["status"]) == "applied"})
    for name in nudged:
        pts = [(int(s["epoch"]), s[name]) for s in schedule
               if isinstance(s, Mapping) and "epoch" in s and _finite(s.get(name))]
        if pts:
            data.append({"type": "scatter", "mode": "lines", "name": f"{name} in use",
                         "x": [p[0] for p in pts], "y": [p[1] for p in pts], "yaxis": "y2",
                         "line": {"shape": "hv", "dash": "dash", "width": 1.5}})
    if len(data) > 1 and any(d.get("yaxis") == "y2" for d in data):
        ys2 = [float(y) for d in data if d.get("yaxis") == "y2" for y in d["y"]]
        log = min(ys2) > 0
        # ticks at real values (0.05 / 0.1 / 0.2), the axis widened to the ticks around them
        vals, text, (lo, hi) = ticks.enclosing_ticks(min(ys2), max(ys2), log=log)
        ends = [math.log10(lo), math.log10(hi)] if log else [lo, hi]
        pad = (ends[1] - ends[0]) * 0.04
        layout["yaxis2"] = {"overlaying": "y", "side": "right", "showgrid": False,
                            "title": {"text": ", ".join(nudged)},
                            "type": "log" if log else "linear", "tickmode": "array",
                            "tickvals": vals, "ticktext": text,
                            "range": [ends[0] - pad, ends[1] + pad]}
    layout["shapes"] = shapes
    return {"data": data, "layout": layout}


def build(t: FrozenTrial, events: Sequence[Event], curve: Mapping[int, float]
          ) -> dict[str, Any]:
    """The page's data (everything the browser shows, already as text where it is text)."""
    from caviar.panda.control import history_rows

    rows = history_rows(events)
    babysat = isinstance(t.system_attrs.get("babysit"), dict)
    marks = [int(e.payload["step"]) for e in events
             if e.kind == "checkpoint" and isinstance(e.payload.get("step"), int)]
    schedule = t.user_attrs.get("schedule")
    schedule = schedule if isinstance(schedule, list) else []
    reason = t.system_attrs.get("pruned_because")
    if t.state == "pruned" and not reason:
        reason = t.error or "pruned (the pruner gave no reason)"
    spec = t.system_attrs.get("babysit") or {}
    target = None
    if babysat:
        target = str(spec.get("target"))
        if spec.get("target") == "mlp":
            target = f"caviar.nn MLP on {spec.get('data')}"
        if spec.get("epochs"):
            target += f", {spec['epochs']} epochs"
    return {
        "params": params_rows(t, events), "babysat": babysat, "target": target,
        "reason": None if reason is None else str(reason),
        "traceback": t.system_attrs.get("traceback"),
        "attrs": {"user": attr_rows({k: v for k, v in t.user_attrs.items()}),
                  "system": attr_rows({k: v for k, v in t.system_attrs.items()
                                       if k not in ("pruned_because",)})},
        "events": [{"id": r["id"], "at": r["at"], "kind": r["kind"], "what": event_text(r),
                    "source": r["source"], "status": r["status"], "epoch": r["epoch"]}
                   for r in rows],
        "checkpoints": {"n": len(marks), "first": min(marks, default=None),
                        "last": max(marks, default=None)},
        "figure": trial_figure(t, curve, rows, schedule),
    }


def _at(curve: Mapping[int, float], steps: Sequence[int], x: int) -> float | None:
    if x in curve:
        return curve[x]
    before = [s for s in steps if s <= x]
    return curve[before[-1] if before else steps[0]]


def _finite(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _num(v: Any) -> Any:
    return None if isinstance(v, float) and not math.isfinite(v) else v
