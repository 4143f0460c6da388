"""Hypervolume: the size of the region a set of points dominates, up to a reference point.

Every point here is to be minimized in every coordinate (turn maximized values around first:
``caviar.pareto.to_minimize``, or pass ``directions=``). The hypervolume of points ``P`` and
reference ``r`` is the Lebesgue measure of ``{x : x <= r and some p in P dominates x}``, i.e.
the union of the boxes ``[p, r]``. Points not strictly better than ``r`` in every coordinate add
nothing and are left out.

Exact algorithms, pure NumPy:

* 2 objectives: sort by the first coordinate and sweep, a staircase of rectangles
  (``O(n log n)``);
* 3 objectives: a dimension sweep along the third coordinate; each slab between two successive
  third coordinates has the 2-objective hypervolume of the points below it (``O(n^2 log n)``);
* more: WFG (While, Bradstreet and Barone, 2012): the sum over the points of each point's box
  minus the hypervolume of the later points limited to that box, recursing down to 3
  objectives. Exponential in the worst case; meant for the small fronts of 4+ objectives.

``contributions`` gives each point's exclusive hypervolume (what is lost without it): its box
less the hypervolume of the other points limited to that box (the WFG identity), the
tie-breaker of multi-objective TPE's split.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from typing import Any

import numpy as np

from caviar.errors import UsageError

F64 = np.ndarray[Any, np.dtype[np.float64]]


def hypervolume(points: Any, reference: Sequence[float] | Any, *,
                directions: Sequence[str] | None = None) -> float:
    """The hypervolume ``points`` (rows; all minimized, or under ``directions``) dominate up
    to ``reference`` (in the same units as the points)."""
    p, r = _checked(points, reference, directions)
    return _hv(_inside(p, r), r)


def contributions(points: Any, reference: Sequence[float] | Any, *,
                  directions: Sequence[str] | None = None) -> F64:
    """Each row's exclusive hypervolume: ``hypervolume(all) - hypervolume(all but that row)``,
    0 for a row another row weakly dominates (a duplicate too) or one not better than
    ``reference``; a front row's share leaves out what the rows it dominates still cover."""
    p, r = _checked(points, reference, directions)
    n, d = p.shape
    out = np.zeros(n)
    keep = np.flatnonzero(np.all(p < r, axis=1))
    if keep.size == 0:
        return out
    q = p[keep]
    # a row some other row weakly dominates (a duplicate too) loses nothing when removed
    le = np.all(q[:, None, :] <= q[None, :, :], axis=2)
    np.fill_diagonal(le, False)
    covered = le.any(axis=0)
    tie = np.all(q[:, None, :] == q[None, :, :], axis=2).sum(axis=1) > 1
    covered |= tie
    if d == 2 and not covered.any():
        out[keep] = _contrib2(q, r)
        return out
    others = np.ones(q.shape[0], dtype=bool)
    for j, i in enumerate(keep):  # a row's box less what the others cover of it
        if not covered[j]:
            others[j] = False
            limited = np.maximum(q[others], q[j])  # the sweeps skip dominated rows
            others[j] = True
            out[i] = float(np.prod(r - q[j])) - _hv(limited, r)
    np.maximum(out, 0.0, out=out)  # rounding: never -1e-17
    return out


# --------------------------------------------------------------------------- checks
def _checked(points: Any, reference: Any, directions: Sequence[str] | None
             ) -> tuple[F64, F64]:
    r = np.asarray(reference, dtype=np.float64)
    if r.ndim != 1 or r.size < 1:
        raise UsageError(f"hypervolume: reference must be a flat list of numbers (one per "
                         f"objective), got {reference!r}")
    if not np.all(np.isfinite(r)):
        raise UsageError(f"hypervolume: reference must be finite, got {r.tolist()!r}; pick a "
                         "point a little worse than the worst value of each objective")
    p = np.asarray(points, dtype=np.float64)
    if p.size == 0:
        p = p.reshape(0, r.size)
    if p.ndim != 2 or p.shape[1] != r.size:
        raise UsageError(f"hypervolume: points must be rows of {r.size} values (as many as the "
                         f"reference has), got an array of shape {p.shape}")
    if not np.all(np.isfinite(p)):
        bad = int(np.flatnonzero(~np.all(np.isfinite(p), axis=1))[0])
        raise UsageError(f"hypervolume: every value must be finite, got row {bad} = "
                         f"{p[bad].tolist()!r}; leave out trials without finite values")
    if directions is not None:
        if len(directions) != r.size:
            raise UsageError(f"hypervolume: directions must give one direction per objective "
                             f"({r.size}), got {list(directions)!r}")
        sign = np.ones(r.size)
        for k, dname in enumerate(directions):
            if dname not in ("minimize", "maximize"):
                raise UsageError(f"hypervolume: directions[{k}] must be 'minimize' or "
                                 f"'maximize', got {dname!r}")
            if dname == "maximize":
                sign[k] = -1.0
        p, r = p * sign, r * sign
    return p, r


def _inside(p: F64, r: F64) -> F64:
    return p[np.all(p < r, axis=1)]


# --------------------------------------------------------------------------- exact algorithms
def _hv(p: F64, r: F64) -> float:
    """The hypervolume of rows ``p``, all strictly inside ``r``."""
    n, d = p.shape
    if n == 0:
        return 0.0
    if d == 1:
        return float(r[0] - p[:, 0].min())
    if n == 1:
        return float(np.prod(r - p[0]))
    if d == 2:
        return _hv2(p, r)
    if d == 3:
        return _hv3(p, r)
    return _wfg(_nondominated(p), r)


def _hv2(p: F64, r: F64) -> float:
    """Sweep in increasing first coordinate: each point that lowers the running minimum of
    the second coordinate adds the strip between its second coordinate and the old minimum."""
    order = np.lexsort((p[:, 1], p[:, 0]))
    x, y = p[order, 0], p[order, 1]
    prev = np.minimum.accumulate(np.concatenate([[r[1]], y]))[:-1]  # the best y before each
    gain = np.maximum(prev - y, 0.0)
    return float(np.sum((r[0] - x) * gain))


def _hv3(p: F64, r: F64) -> float:
    """Dimension sweep along the third coordinate: the points are added in increasing third
    coordinate to a 2-objective staircase whose dominated area is kept up to date; each slab
    up to the next third coordinate adds that area times its height."""
    order = np.argsort(p[:, 2], kind="stable")
    q = p[order].tolist()
    rx, ry, rz = float(r[0]), float(r[1]), float(r[2])
    xs: list[float] = []   # the staircase: x ascending, y descending
    ys: list[float] = []
    area = 0.0
    total = 0.0
    for k, (x, y, z) in enumerate(q):
        area += _insert(xs, ys, x, y, rx, ry)
        z_next = q[k + 1][2] if k + 1 < len(q) else rz
        total += area * (z_next - z)
    return total


def _insert(xs: list[float], ys: list[float], x: float, y: float, rx: float,
            ry: float) -> float:
    """Add ``(x, y)`` to the staircase ``xs, ys``; returns the area it newly dominates."""
    i = bisect.bisect_left(xs, x)
    y_prev = ys[i - 1] if i > 0 else ry
    if y_prev <= y:
        return 0.0  # a point to the left is at least as low
    j = i
    while j < len(xs) and ys[j] >= y:  # the points it dominates, left to right
        j += 1
    if i < len(xs) and xs[i] == x and ys[i] < y:
        return 0.0  # the same x, lower: dominated
    gain = 0.0
    left, height = x, y_prev
    for t in range(i, j):
        gain += (xs[t] - left) * (height - y)
        left, height = xs[t], ys[t]
    gain += ((xs[j] if j < len(xs) else rx) - left) * (height - y)
    xs[i:j] = [x]
    ys[i:j] = [y]
    return gain


def _wfg(p: F64, r: F64) -> float:
    """WFG over nondominated rows ``p``: sum over the rows (sorted along the last coordinate,
    worst first, which keeps the limited sets small) of the row's box minus the hypervolume of
    the later rows limited to it."""
    n, d = p.shape
    if n == 0:
        return 0.0
    if d <= 3 or n == 1:
        return _hv(p, r)
    p = p[np.argsort(-p[:, -1], kind="stable")]
    total = 0.0
    for i in range(n):
        box = float(np.prod(r - p[i]))
        rest = p[i + 1:]
        if rest.shape[0]:
            limited = _nondominated(np.maximum(rest, p[i]))
            box -= _wfg(limited, r)
        total += box
    return total


def _nondominated(p: F64) -> F64:
    """The rows of ``p`` that no other row weakly dominates (the first copy of duplicates)."""
    n = p.shape[0]
    if n <= 1:
        return p
    le = (p[:, None, :] <= p[None, :, :]).all(axis=2)   # le[i, j]: row i <= row j
    # row i removes row j when i <= j, unless they are equal and i comes later (or is j)
    later = np.tri(n, n, 0, dtype=bool)                  # i >= j
    le &= ~(le.T & later)
    return np.asarray(p[~le.any(axis=0)], dtype=np.float64)


def _contrib2(p: F64, r: F64) -> F64:
    """Exclusive hypervolume of each row of a 2-objective front (no row weakly dominates
    another): sorted by the first coordinate, a row's own rectangle reaches to its neighbours
    (the next row's first coordinate, the previous row's second)."""
    order = np.argsort(p[:, 0], kind="stable")
    x, y = p[order, 0], p[order, 1]
    x_next = np.concatenate([x[1:], [r[0]]])
    y_prev = np.concatenate([[r[1]], y[:-1]])
    out = np.zeros(p.shape[0])
    out[order] = (x_next - x) * (y_prev - y)
    return out
