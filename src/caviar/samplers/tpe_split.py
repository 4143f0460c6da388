"""TPE's good / bad split for several directions and for constraints (multi-objective TPE).

With one direction and no constraints TPE ranks its finished trials by value
(``caviar.samplers.tpe``) and nothing here runs. Otherwise the ``n_good`` good trials are
chosen as multi-objective TPE does (Ozaki et al., 2020 and 2022):

* complete, feasible trials first, by non-dominated rank: whole fronts while they fit, and
  from the first front that does not fit the trials with the largest hypervolume
  contribution within that front (exclusive hypervolume, reference: the worst value of each
  objective within that front plus a tenth of its range, so the pick spreads along the front
  rather than favouring its extremes), ties to the earlier trial. With one direction and
  constraints: by value;
* infeasible trials (some constraint > 0, see ``caviar.constraints``) are never good while a
  feasible trial is left out; when fewer than ``n_good`` trials are feasible the ones with the
  least total violation fill the good side, so the search is drawn toward feasibility;
* pruned trials last, by (step reached, last reported value), as with one direction.

Every other finished trial is bad. The Parzen estimators are TPE's own, unchanged.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np

from caviar.hypervolume import contributions
from caviar.pareto import nondominated_ranks, pareto_front
from caviar.samplers._selection import CONSTRAINTS_ATTR, violation
from caviar.trial_record import COMPLETE, MAXIMIZE, FrozenTrial

F64 = np.ndarray[Any, np.dtype[np.float64]]


class Objectives:
    """What the split needs beyond the scores, per row of TPE's book: the values (minimize
    form) of the complete rows of a study with several directions, and each row's constraint
    violation."""

    __slots__ = ("constrained", "multi", "points", "rows", "signs", "viol")

    def __init__(self, directions: tuple[str, ...]) -> None:
        self.multi = len(directions) > 1
        self.signs = [-1.0 if d == MAXIMIZE else 1.0 for d in directions]
        self.rows: list[int] = []               # complete rows with values (several directions)
        self.points: list[list[float]] = []
        self.viol: dict[int, float] = {}        # rows with a positive violation
        self.constrained = False

    @property
    def active(self) -> bool:
        """Does the split need this module (several directions, or constraints seen)?"""
        return self.multi or self.constrained

    def add(self, row: int, t: FrozenTrial) -> None:
        if self.multi and t.state == COMPLETE and t.values is not None \
                and len(t.values) == len(self.signs):
            self.rows.append(row)
            self.points.append([s * v for s, v in zip(self.signs, t.values, strict=True)])
        if t.system_attrs and CONSTRAINTS_ATTR in t.system_attrs:
            self.constrained = True
            v = violation(t)
            if v > 0:
                self.viol[row] = v

    def good(self, scores: F64, steps: F64, n_good: int) -> np.ndarray[Any, Any]:
        """The good mask over the book's rows (see the module doc)."""
        n = scores.shape[0]
        mask = np.zeros(n, dtype=bool)
        complete = steps == math.inf
        if self.multi:
            rows = np.asarray(self.rows, dtype=np.int64)
            pts = np.asarray(self.points, dtype=np.float64).reshape(len(self.rows), -1)
        else:
            rows = np.flatnonzero(complete)
            pts = scores[rows].reshape(-1, 1)
        bad = np.array([self.viol.get(int(r), 0.0) > 0 for r in rows], dtype=bool)
        feas_rows, feas_pts = rows[~bad], pts[~bad]
        chosen = best_of(feas_pts, n_good)
        mask[feas_rows[chosen]] = True
        left = n_good - chosen.size
        if left > 0 and bad.any():  # least violation first, then the earlier trial
            inf_rows = rows[bad]
            v = np.array([self.viol[int(r)] for r in inf_rows])
            mask[inf_rows[np.lexsort((inf_rows, v))[:left]]] = True
            left -= min(left, inf_rows.size)
        if left > 0:  # pruned rows: the furthest first, then by their last report
            pruned = np.flatnonzero(~complete)
            if pruned.size:
                order = np.lexsort((pruned, scores[pruned], -steps[pruned]))
                mask[pruned[order[:left]]] = True
        return mask


def best_of(pts: F64, k: int) -> np.ndarray[Any, Any]:
    """Indices of the ``k`` best rows of ``pts`` (minimize form): whole non-dominated fronts
    while they fit, then the largest hypervolume contributions within the next front."""
    n, d = pts.shape
    if k >= n:
        return np.arange(n)
    if d == 1:
        return np.lexsort((np.arange(n), pts[:, 0]))[:k]
    taken: list[np.ndarray[Any, Any]] = []
    room = k
    for front in _fronts(pts):
        if front.size <= room:
            taken.append(front)
            room -= front.size
            if room == 0:
                break
            continue
        fp = pts[front]   # the reference: this front's own worst plus a tenth of its range
        lo, hi = fp.min(axis=0), fp.max(axis=0)
        ref = hi + 0.1 * np.where(hi > lo, hi - lo, 1.0)
        c = contributions(fp, ref)
        # equal contributions (two-point fronts always tie) go to the earlier trial, not to
        # rounding noise: compared to 9 digits of the largest
        c = np.round(c / c.max(), 9) if c.max() > 0 else c
        taken.append(front[np.lexsort((front, -c))[:room]])
        break
    return np.concatenate(taken) if taken else np.zeros(0, dtype=np.int64)


def _fronts(pts: F64) -> Iterator[np.ndarray[Any, Any]]:
    """The non-dominated fronts of ``pts``, best first, as row indices (ascending): peeled
    one at a time in 2 objectives (a sort each; the split needs only the first few), from
    the full ranking in more."""
    n, d = pts.shape
    if d == 2:
        left = np.arange(n)
        while left.size:
            front = left[np.asarray(pareto_front(pts[left]), dtype=np.int64)]
            yield front
            left = np.setdiff1d(left, front, assume_unique=True)
        return
    ranks = np.asarray(nondominated_ranks(pts))
    for r in range(int(ranks.max()) + 1):
        yield np.flatnonzero(ranks == r)
