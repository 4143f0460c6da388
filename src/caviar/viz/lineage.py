"""The lineage figure of a population-scheduled study (PBT): every member's validation curve,
a dashed jump where a member copied another one's state (from the source's value at the
exploit's epoch to the member's value one epoch later), and below it the schedule of one param
(lr by default) over epochs, one step line per member.

``lineage_data`` is pure (tested); ``lineage_figure`` turns it into a plotly spec. The stored
attributes are those of caviar.adapters.schedule (``schedule``, ``exploits``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from caviar.trial_record import FrozenTrial
from caviar.viz.figures import Spec, empty

TITLE = "Lineage: exploits and schedules"


def _params_at(schedule: Sequence[Any], params: Mapping[str, Any], epoch: int) -> dict[str, Any]:
    out = dict(params)
    for start, p in schedule:
        if int(start) <= epoch:
            out = dict(p)
    return out


def lineage_data(trials: Sequence[FrozenTrial], reports: Mapping[int, Mapping[int, float]],
                 param: str | None = None) -> dict[str, Any]:
    """Curves, exploit jumps and one param's schedule of the scheduled trials."""
    ts = [t for t in trials if isinstance(t.system_attrs.get("schedule"), list)]
    by_number = {t.number: t for t in ts}
    if param is None:
        names = {k for t in ts for k in t.params}
        param = "lr" if "lr" in names else (sorted(names)[0] if names else None)
    curves, jumps, schedules = [], [], []
    for t in sorted(ts, key=lambda t: t.number):
        rep = reports.get(t.id) or {}
        steps = sorted(rep)
        curves.append({"number": t.number, "state": t.state, "steps": steps,
                       "values": [rep[s] for s in steps]})
        sched = t.system_attrs["schedule"]
        if param is not None and steps:
            schedules.append({"number": t.number, "steps": steps,
                              "values": [_params_at(sched, t.params, s).get(param)
                                         for s in steps]})
        for e in t.system_attrs.get("exploits") or []:
            src = by_number.get(int(e["from_trial"]))
            at = int(e["epoch"])
            src_rep = (reports.get(src.id) or {}) if src is not None else {}
            if at in src_rep and at + 1 in rep:
                jumps.append({"from": int(e["from_trial"]), "to": t.number, "epoch": at,
                              "x": [at, at + 1], "y": [src_rep[at], rep[at + 1]]})
    return {"param": param, "curves": curves, "jumps": jumps, "schedules": schedules}


def lineage_figure(d: Mapping[str, Any]) -> Spec:
    if not d["curves"]:
        return empty(TITLE, "no trial ran under a population scheduler: use "
                            "`caviar tune-mlp --scheduler pbt`")
    data: list[dict[str, Any]] = []
    cx: list[Any] = []
    cy: list[Any] = []
    ct: list[Any] = []
    for c in d["curves"]:
        cx += [*c["steps"], None]
        cy += [*c["values"], None]
        ct += [c["number"]] * len(c["steps"]) + [None]
    data.append({"type": "scatter", "mode": "lines", "name": "members", "x": cx, "y": cy,
                 "text": ct, "line": {"color": "#7f7f7f", "width": 1}, "opacity": 0.6,
                 "hovertemplate": "trial %{text}<br>epoch %{x}<br>accuracy %{y}<extra></extra>",
                 "connectgaps": False})
    jx: list[Any] = []
    jy: list[Any] = []
    jt: list[Any] = []
    for j in d["jumps"]:
        label = f"trial {j['to']} copied trial {j['from']} after epoch {j['epoch']}"
        jx += [*j["x"], None]
        jy += [*j["y"], None]
        jt += [label, label, None]
    if jx:
        data.append({"type": "scatter", "mode": "lines+markers", "name": "exploit (copy)",
                     "x": jx, "y": jy, "text": jt, "line": {"color": "#d62728", "dash": "dash",
                                                            "width": 1.5},
                     "marker": {"size": 4}, "hovertemplate": "%{text}<extra></extra>",
                     "connectgaps": False})
    sx: list[Any] = []
    sy: list[Any] = []
    st: list[Any] = []
    for s in d["schedules"]:
        sx += [*s["steps"], None]
        sy += [*s["values"], None]
        st += [s["number"]] * len(s["steps"]) + [None]
    numeric = [v for v in sy if isinstance(v, int | float) and not isinstance(v, bool)]
    if numeric:
        data.append({"type": "scatter", "mode": "lines", "name": str(d["param"]), "x": sx,
                     "y": sy, "text": st, "xaxis": "x2", "yaxis": "y2",
                     "line": {"color": "#1f77b4", "width": 1, "shape": "hv"},
                     "hovertemplate": f"trial %{{text}}<br>epoch %{{x}}<br>{d['param']} "
                                      "%{y}<extra></extra>", "connectgaps": False})
    log = bool(numeric) and min(numeric) > 0 and (
        d["param"] == "lr" or max(numeric) / min(numeric) > 20)
    layout = {
        "title": {"text": TITLE}, "template": "plotly_white", "showlegend": True,
        "xaxis": {"title": {"text": "epoch"}, "domain": [0, 1], "anchor": "y"},
        "yaxis": {"title": {"text": "validation accuracy"}, "domain": [0.42, 1.0]},
        "xaxis2": {"title": {"text": "epoch"}, "domain": [0, 1], "anchor": "y2",
                   "matches": "x"},
        "yaxis2": {"title": {"text": str(d["param"])}, "domain": [0.0, 0.3],
                   "type": "log" if log else "linear"},
    }
    return {"data": data, "layout": layout}
