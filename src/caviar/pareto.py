"""Pareto dominance on several objectives: pure functions over arrays of values.

Everything here works in *minimize form*: every column is to be minimized (``to_minimize``
flips the sign of the maximized ones). Row ``a`` dominates row ``b`` when ``a`` is no worse in
every column and strictly better in at least one; equal rows do not dominate each other, so
duplicates on the front all stay on it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from caviar.trial_record import MAXIMIZE


def to_minimize(values: Sequence[Sequence[float]] | np.ndarray,
                directions: Sequence[str]) -> np.ndarray:
    """Rows of values as a float array to minimize: columns with direction 'maximize'
    change sign. ``values`` is ``[n, k]`` (or one row of ``k``), ``directions`` has ``k``."""
    arr = np.array(values, dtype=float)
    one_row = arr.ndim == 1
    pts = arr.reshape(1, -1) if one_row else arr
    if pts.ndim != 2 or pts.shape[1] != len(directions):
        raise ValueError(f"to_minimize: values must have one column per direction "
                         f"({len(directions)}), got shape {arr.shape}")
    signs = np.array([-1.0 if d == MAXIMIZE else 1.0 for d in directions])
    out: np.ndarray = pts * signs
    return out[0] if one_row else out


def dominates(a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray) -> bool:
    """Does ``a`` dominate ``b`` (minimize form): no worse anywhere, better somewhere?"""
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return bool(np.all(x <= y) and np.any(x < y))


def pareto_front(points: Sequence[Sequence[float]] | np.ndarray) -> list[int]:
    """Indices (ascending) of the rows of ``points`` (minimize form) no other row dominates."""
    pts = _as_points(points)
    n, k = pts.shape
    if n == 0:
        return []
    if k == 1:
        return [int(i) for i in np.flatnonzero(pts[:, 0] == pts[:, 0].min())]
    if k == 2:
        return _front_2d(pts)
    return _front_nd(pts)


def _as_points(points: Sequence[Sequence[float]] | np.ndarray) -> np.ndarray:
    pts = np.asarray(points, dtype=float)
    if pts.size == 0:
        return pts.reshape(0, pts.shape[1] if pts.ndim == 2 else 0)
    if pts.ndim != 2:
        raise ValueError(f"pareto: points must be a 2-D array [n, objectives], got shape "
                         f"{pts.shape}")
    if np.isnan(pts).any():
        raise ValueError("pareto: points hold NaN; dominance needs numbers (drop those rows)")
    return pts


def _front_2d(pts: np.ndarray) -> list[int]:
    """Sorted by the first column, then the second, a row is on the front when its second
    value is below every second value before it; a run of equal rows shares its first's fate."""
    order = np.lexsort((pts[:, 1], pts[:, 0]))
    s = pts[order]
    y = s[:, 1]
    before = np.concatenate(([np.inf], np.minimum.accumulate(y)[:-1]))
    new_row = np.concatenate(([True], np.any(s[1:] != s[:-1], axis=1)))
    group = np.cumsum(new_row) - 1  # runs of equal rows
    first_ok = (y < before)[new_row]
    return sorted(int(i) for i in order[first_ok[group]])


def _front_nd(pts: np.ndarray) -> list[int]:
    """Vectorized: a candidate stays while no kept row dominates it; rows are visited in
    lexicographic order, so no later row can dominate an earlier one."""
    order = np.lexsort(pts.T[::-1])
    kept = np.empty((0, pts.shape[1]))
    keep: list[int] = []
    for i in order:
        p = pts[i]
        if kept.shape[0] and bool(np.any(np.all(kept <= p, axis=1) & np.any(kept < p, axis=1))):
            continue
        keep.append(int(i))
        kept = np.vstack([kept, p])
    keep.sort()
    return keep


def nondominated_ranks(points: Sequence[Sequence[float]] | np.ndarray) -> np.ndarray:
    """The non-dominated rank of every row (minimize form): 0 for the Pareto front, 1 for the
    front of what remains, and so on (fast non-dominated sort, the dominance matrix built
    with numpy)."""
    pts = _as_points(points)
    n = pts.shape[0]
    ranks = np.full(n, -1, dtype=int)
    if n == 0:
        return ranks
    le = np.all(pts[:, None, :] <= pts[None, :, :], axis=2)
    lt = np.any(pts[:, None, :] < pts[None, :, :], axis=2)
    dom = le & lt  # dom[i, j]: row i dominates row j
    count = dom.sum(axis=0)  # how many rows dominate each row
    current = np.flatnonzero(count == 0)
    rank = 0
    while current.size:
        ranks[current] = rank
        count = count - dom[current].sum(axis=0)
        count[ranks >= 0] = -1  # ranked rows never come back
        current = np.flatnonzero(count == 0)
        rank += 1
    return ranks
