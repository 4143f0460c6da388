"""Figure data: pure functions from trials (and reports, events) to plain JSON-ready dicts.

Nothing here draws, reads storage or imports plotly: each function takes records and returns
lists and numbers, so it is tested directly and shared by the HTML report, ``caviar plot`` and
the dashboard (which downsamples on the server before sending). ``caviar.viz.figures`` turns
these dicts into plotly figure specs.

Scales: every param is plotted on its own sampling scale. ``axis(param)`` says how:

* ``linear``: a linear axis; ``log``: a log axis;
* ``reverse_log``: the axis is log in ``1 - beta`` (plot coordinate ``1 - beta``), reversed so
  beta grows to the right, with ticks labelled in beta (0.9, 0.99, 0.999);
* a choice: a category axis.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from caviar.space import Choice, Param
from caviar.trial_record import COMPLETE, MINIMIZE, PRUNED, RUNNING, FrozenTrial
from caviar.viz import ticks

Reports = Mapping[int, Mapping[int, float]]  # {trial_id: {step: value}}


def _finite(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def sample(items: Sequence[Any], k: int | None) -> list[Any]:
    """About ``k`` of ``items``, in their order: a seeded random sample, not every n-th (a
    stride aliases with periodic patterns, e.g. every 5th trial pruned, and hides them)."""
    if k is None or len(items) <= k:
        return list(items)
    idx = np.sort(np.random.default_rng(0).choice(len(items), k, replace=False))
    return [items[int(i)] for i in idx]


# --------------------------------------------------------------------------- scales
def axis(param: Param) -> dict[str, Any]:
    """How to draw one param's axis: ``{"kind", "type", "reversed", "tickvals", "ticktext"}``.

    ``type`` is a plotly axis type (linear, log, category); ``to_plot`` gives the coordinates;
    the ticks sit at real values (``caviar.viz.ticks``): decades, betas, integers."""
    if isinstance(param, Choice):
        return {"kind": "category", "type": "category", "reversed": False,
                "categories": [str(c) for c in param.choices]}
    vals, text = ticks.plot_ticks(param)
    kind = param.scale if param.scale in ("log", "reverse_log") else "linear"
    return {"kind": kind, "type": "linear" if kind == "linear" else "log",
            "reversed": kind == "reverse_log", "tickvals": vals, "ticktext": text}


def to_plot(param: Param, values: Iterable[Any]) -> list[Any]:
    """Plot coordinates of param values (``1 - beta`` for reverse_log, str for choices)."""
    if isinstance(param, Choice):
        return [str(v) for v in values]
    if param.scale == "reverse_log":
        return [None if not _finite(v) else 1.0 - float(v) for v in values]
    return [float(v) if _finite(v) else None for v in values]


# --------------------------------------------------------------------------- history
def best_so_far(values: Sequence[float | None], direction: str) -> list[float | None]:
    """The running best of a sequence (None entries keep the best so far)."""
    out: list[float | None] = []
    best: float | None = None
    for v in values:
        if v is not None and (best is None or (v < best if direction == MINIMIZE else v > best)):
            best = v
        out.append(best)
    return out


def history(trials: Sequence[FrozenTrial], direction: str, *,
            max_points: int | None = None) -> dict[str, Any]:
    """Optimization history: completed (and pruned) values by trial number, and the best so far.

    ``best`` is the exact step line of the best completed value: only the trials that improved
    it, plus the last number (draw it with ``shape='hv'``). With ``max_points``, the scatter is
    thinned to about that many points, always keeping the improving trials."""
    done = sorted((t for t in trials if t.state in (COMPLETE, PRUNED) and _finite(t.value)),
                  key=lambda t: t.number)
    complete = [t for t in done if t.state == COMPLETE]
    best_n: list[int] = []
    best_v: list[float] = []
    best: float | None = None
    for t in complete:
        v = float(t.value)  # type: ignore[arg-type]
        if best is None or (v < best if direction == MINIMIZE else v > best):
            best = v
            best_n.append(t.number)
            best_v.append(v)
    if best_n and complete[-1].number != best_n[-1]:
        best_n.append(complete[-1].number)
        best_v.append(best_v[-1])
    keep = done
    if max_points is not None and len(done) > max_points:
        improving = set(best_n)
        rest = [t for t in done if t.number not in improving]
        picked = {t.number for t in sample(rest, max(0, max_points - len(improving)))} | \
            improving
        keep = [t for t in done if t.number in picked]
    return {
        "direction": direction,
        "number": [t.number for t in keep],
        "value": [float(t.value) for t in keep],  # type: ignore[arg-type]
        "state": [t.state for t in keep],
        "best_number": best_n,
        "best_value": best_v,
        "n_total": len(done),
    }


# --------------------------------------------------------------------------- params
def trial_round(t: FrozenTrial) -> int | None:
    """The coarse-to-fine round a trial was sampled in (None outside coarse-to-fine)."""
    r = t.system_attrs.get("round")
    return r if isinstance(r, int) and not isinstance(r, bool) else None


def param_slices(trials: Sequence[FrozenTrial], space: Mapping[str, Param], *,
                 max_points: int | None = None) -> list[dict[str, Any]]:
    """Each param against the value, on the param's own scale (see ``axis``): completed trials
    and pruned ones (at their last reported value, ``state`` says which), with the trial
    number and the coarse-to-fine round (None outside one) of each point to colour by."""
    done = [t for t in trials if t.state in (COMPLETE, PRUNED) and _finite(t.value)]
    done = sample(done, max_points)
    out = []
    for name, p in space.items():
        rows = [t for t in done if name in t.params]
        out.append({
            "name": name,
            "axis": axis(p),
            "x": to_plot(p, (t.params[name] for t in rows)),
            "value": [float(t.value) for t in rows],  # type: ignore[arg-type]
            "number": [t.number for t in rows],
            "state": [t.state for t in rows],
            "round": [trial_round(t) for t in rows],
        })
    return out


def parallel(trials: Sequence[FrozenTrial], space: Mapping[str, Param], direction: str, *,
             max_lines: int | None = None) -> dict[str, Any]:
    """Parallel coordinates: every param in its unit interval (so each axis is on its scale),
    ticks labelled with values, and the value as the last axis. Thinned to the best
    ``max_lines`` when given."""
    done = [t for t in trials if t.state == COMPLETE and _finite(t.value)
            and all(n in t.params for n in space)]
    n_total = len(done)
    if max_lines is not None and len(done) > max_lines:
        sgn = 1.0 if direction == MINIMIZE else -1.0
        done = sorted(done, key=lambda t: sgn * float(t.value or 0.0))
        done = sorted(done[:max_lines], key=lambda t: t.number)
    dims = []
    for name, p in space.items():
        vals, text = ticks.unit_ticks(p)
        raw = [t.params[name] for t in done]
        unit = ([float(p.to_unit(v)) for v in raw] if isinstance(p, Choice) else
                [float(u) for u in np.asarray(p.to_unit(np.asarray(raw, dtype=float))).ravel()]
                if raw else [])
        dims.append({"name": name, "unit": unit,
                     "tickvals": vals, "ticktext": text})
    return {"dimensions": dims, "value": [float(t.value) for t in done],  # type: ignore[arg-type]
            "number": [t.number for t in done], "direction": direction, "n_total": n_total}


# --------------------------------------------------------------------------- curves
def best_trial(trials: Sequence[FrozenTrial], direction: str) -> FrozenTrial | None:
    """The completed trial with the best finite value (the first of equals)."""
    best: FrozenTrial | None = None
    for t in trials:
        if t.state == COMPLETE and _finite(t.value) and (
                best is None or (t.value < best.value if direction == MINIMIZE  # type: ignore
                                 else t.value > best.value)):  # type: ignore[operator]
            best = t
    return best


def pick_curves(trials: Sequence[FrozenTrial], direction: str, k: int) -> list[FrozenTrial]:
    """Up to ``k`` trials whose curves to draw: the best completed, every running one (up to a
    quarter of ``k``), then an even sample of the rest (pruned included)."""
    if len(trials) <= k:
        return list(trials)
    sign = 1.0 if direction == MINIMIZE else -1.0
    complete = sorted((t for t in trials if t.state == COMPLETE and _finite(t.value)),
                      key=lambda t: sign * t.value)  # type: ignore[operator]
    chosen: dict[int, FrozenTrial] = {t.number: t for t in complete[:k // 4]}
    running = [t for t in trials if t.state == RUNNING][-(k // 4):]
    chosen.update((t.number, t) for t in running)
    rest = [t for t in trials if t.number not in chosen]
    left = k - len(chosen)
    if left > 0 and rest:
        stride = len(rest) / left
        chosen.update((rest[int(i * stride)].number, rest[int(i * stride)])
                      for i in range(min(left, len(rest))))
    return sorted(chosen.values(), key=lambda t: t.number)


def thin_steps(steps: Sequence[int], values: Sequence[float], max_points: int
               ) -> tuple[list[int], list[float]]:
    """Keep about ``max_points`` points of a curve, always the first and the last."""
    n = len(steps)
    if n <= max_points or max_points < 2:
        return list(steps), list(values)
    stride = math.ceil((n - 1) / (max_points - 1))
    idx = [*range(0, n - 1, stride), n - 1]
    return [steps[i] for i in idx], [values[i] for i in idx]


def curves(trials: Sequence[FrozenTrial], reports: Reports, *,
           max_points: int | None = None) -> list[dict[str, Any]]:
    """Learning curves of the given trials: steps, values, state; ``pruned`` marks the ones a
    pruner stopped (their last point is where they stopped)."""
    out = []
    for t in trials:
        curve = reports.get(t.id) or {}
        pts = sorted((s, v) for s, v in curve.items() if _finite(v))
        steps, values = [s for s, _ in pts], [float(v) for _, v in pts]
        if max_points is not None:
            steps, values = thin_steps(steps, values, max_points)
        out.append({"number": t.number, "state": t.state, "pruned": t.state == PRUNED,
                    "steps": steps, "values": values})
    return out


# --------------------------------------------------------------------------- rounds
def rounds(trials: Sequence[FrozenTrial], space: Mapping[str, Param], direction: str
           ) -> list[dict[str, Any]]:
    """Coarse-to-fine rounds from the trials' ``round`` and ``box`` system attrs: per round,
    its box (``{param: [low, high]}`` on the param's scale; a list of kept choices; the full
    range when the round recorded none) and its trials. Empty when no trial has a round."""
    by_round: dict[int, list[FrozenTrial]] = {}
    for t in trials:
        r = trial_round(t)
        if r is not None:
            by_round.setdefault(r, []).append(t)
    out = []
    for r in sorted(by_round):
        ts = by_round[r]
        recorded: dict[str, Any] = {}
        for t in ts:
            b = t.system_attrs.get("box")
            if isinstance(b, dict):
                recorded = b
                break
        box: dict[str, Any] = {}
        for name, p in space.items():
            b = recorded.get(name)
            if isinstance(p, Choice):
                box[name] = list(b) if isinstance(b, list) else list(p.choices)
            elif isinstance(b, list | tuple) and len(b) == 2 and all(map(_finite, b)):
                box[name] = [float(b[0]), float(b[1])]
            else:
                box[name] = [float(p.low), float(p.high)]
        vals = [float(t.value or 0.0) for t in ts if t.state == COMPLETE and _finite(t.value)]
        best = (min(vals) if direction == MINIMIZE else max(vals)) if vals else None
        out.append({"round": r, "box": box, "n": len(ts), "best": best,
                    "number": [t.number for t in ts],
                    "params": [dict(t.params) for t in ts]})
    return out


# --------------------------------------------------------------------------- events
def event_marks(events: Iterable[Any], curve: Mapping[int, float]) -> list[dict[str, Any]]:
    """Marks for a babysat trial's curve: one per control event (nudge, pause, rewind, stop or
    any other kind), at the step it was applied (or the payload's ``step``); an event not yet
    applied sits at the last step with ``pending=True``. ``y`` is the curve's value there."""
    steps = sorted(curve)
    last = steps[-1] if steps else 0
    out = []
    for e in events:
        kind = str(getattr(e, "kind", "event"))
        payload = getattr(e, "payload", {}) or {}
        step = getattr(e, "applied_step", None)
        if step is None and isinstance(payload.get("step"), int):
            step = payload["step"]
        pending = step is None
        s = last if step is None else int(step)
        y = curve.get(s)
        if y is None and steps:  # nearest reported step at or before s
            before = [k for k in steps if k <= s]
            y = curve[before[-1] if before else steps[0]]
        target = payload.get("to_step", payload.get("target_step")) if kind == "rewind" else None
        detail = ", ".join(f"{k}={v}" for k, v in payload.items())
        out.append({"id": getattr(e, "id", None), "kind": kind, "step": s, "y": y,
                    "pending": pending, "to_step": target if isinstance(target, int) else None,
                    "label": f"{kind}({detail})" if detail else kind,
                    "at": getattr(e, "at", None)})
    return out
