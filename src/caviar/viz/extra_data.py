"""Figure data for the contour, rank, EDF and timeline plots: pure functions from trials to
JSON-ready dicts (like ``caviar.viz.data``).

Two-param plots (contour, rank) work in the unit square of the two params: each axis is then on
its param's own sampling scale (log, reverse-log, int cells, choice slots) and ticks sit at real
values (``caviar.viz.ticks.unit_ticks``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from caviar.space import Choice, Param
from caviar.trial_record import COMPLETE, MINIMIZE, RUNNING, FrozenTrial
from caviar.viz import ticks
from caviar.viz.data import sample


def _done(trials: Sequence[FrozenTrial], names: Sequence[str]) -> list[FrozenTrial]:
    return [t for t in trials if t.state == COMPLETE and t.value is not None
            and math.isfinite(t.value) and all(n in t.params for n in names)]


def _unit(p: Param, values: Sequence[Any]) -> list[float]:
    if isinstance(p, Choice):
        return [float(p.to_unit(v)) for v in values]
    return [float(u) for u in np.asarray(p.to_unit(np.asarray(values, dtype=float))).ravel()]


def _unit_axis(name: str, p: Param) -> dict[str, Any]:
    vals, text = ticks.unit_ticks(p)
    return {"name": name, "tickvals": vals, "ticktext": text}


def contour(trials: Sequence[FrozenTrial], space: Mapping[str, Param], pair: Sequence[str],
            *, bins: int | None = None) -> dict[str, Any]:
    """The mean value in a grid of cells over two params' unit square (None where no trial
    fell), and the trials as points. ``bins`` defaults to about sqrt(n / 3), 4 to 16; a
    choice gets one cell per choice."""
    px, py = pair
    ts = _done(trials, pair)
    k = bins or int(min(16, max(4, round(math.sqrt(len(ts) / 3)))))
    kx = len(space[px].choices) if isinstance(space[px], Choice) else k  # type: ignore[union-attr]
    ky = len(space[py].choices) if isinstance(space[py], Choice) else k  # type: ignore[union-attr]
    ux = _unit(space[px], [t.params[px] for t in ts])
    uy = _unit(space[py], [t.params[py] for t in ts])
    v = [float(t.value) for t in ts]  # type: ignore[arg-type]
    total = np.zeros((ky, kx))
    count = np.zeros((ky, kx))
    for x, y, val in zip(ux, uy, v, strict=True):
        i, j = min(int(y * ky), ky - 1), min(int(x * kx), kx - 1)
        total[i, j] += val
        count[i, j] += 1
    z = [[None if count[i, j] == 0 else float(total[i, j] / count[i, j]) for j in range(kx)]
         for i in range(ky)]
    return {"x": _unit_axis(px, space[px]), "y": _unit_axis(py, space[py]),
            "cx": [(j + 0.5) / kx for j in range(kx)], "cy": [(i + 0.5) / ky for i in range(ky)],
            "z": z, "ux": ux, "uy": uy, "value": v, "number": [t.number for t in ts]}


def ranks(values: Sequence[float], direction: str) -> list[float]:
    """Each value's rank as a fraction: 0 for the best, 1 for the worst (ties share)."""
    n = len(values)
    if n < 2:
        return [0.0] * n
    arr = np.asarray(values, dtype=float) * (1.0 if direction == MINIMIZE else -1.0)
    order = arr.argsort(kind="stable")
    r = np.empty(n)
    r[order] = np.arange(n)
    for val in np.unique(arr):  # ties: the mean rank
        m = arr == val
        if m.sum() > 1:
            r[m] = r[m].mean()
    return [float(x) for x in r / (n - 1)]


def rank(trials: Sequence[FrozenTrial], space: Mapping[str, Param], params: Sequence[str],
         direction: str, *, max_points: int | None = None) -> dict[str, Any]:
    """Pairs of params (unit squares) with each completed trial coloured by its value's rank."""
    ts = sample(_done(trials, params), max_points)
    rk = ranks([float(t.value) for t in ts], direction)
    pairs = [(a, b) for i, a in enumerate(params) for b in params[i + 1:]]
    return {"axes": {n: _unit_axis(n, space[n]) for n in params},
            "unit": {n: _unit(space[n], [t.params[n] for t in ts]) for n in params},
            "pairs": pairs, "rank": rk, "value": [float(t.value) for t in ts],
            "number": [t.number for t in ts], "direction": direction}


def edf(trials: Sequence[FrozenTrial], *, max_points: int = 1000) -> dict[str, Any]:
    """Empirical distribution of the completed values: ``y[i]`` is the share of trials with a
    value at most ``x[i]`` (thinned to about ``max_points`` steps, exact where drawn)."""
    v = sorted(float(t.value) for t in trials if t.state == COMPLETE and t.value is not None
               and math.isfinite(t.value))
    n = len(v)
    idx = list(range(n))
    if n > max_points:
        stride = math.ceil(n / max_points)
        idx = sorted({*range(0, n, stride), n - 1})
    return {"x": [v[i] for i in idx], "y": [(i + 1) / n for i in idx], "n": n}


def timeline(trials: Sequence[FrozenTrial], *, now: float, max_trials: int | None = None
             ) -> dict[str, Any]:
    """Each trial's start and end (seconds since the first trial started; a running trial ends
    at ``now``), its state and worker."""
    ts = sorted((t for t in trials if t.created_at), key=lambda t: t.number)
    n_total = len(ts)
    ts = sample(ts, max_trials)
    t0 = min((t.created_at for t in ts), default=0.0)
    rows = []
    for t in ts:
        end = t.finished_at if t.finished_at is not None else (now if t.state == RUNNING
                                                               else t.created_at)
        rows.append({"number": t.number, "state": t.state, "worker": t.worker or "-",
                     "start": t.created_at - t0, "end": max(end, t.created_at) - t0})
    return {"rows": rows, "n_total": n_total}
