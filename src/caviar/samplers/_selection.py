"""Ranking finished trials of a study with several directions (or constraints): what NSGA-II
selects by and what coarse-to-fine zooms around.

* The points: each complete trial's values turned to minimization (``caviar.pareto``).
* Constraint domination (Deb, 2000): a trial is feasible when every one of its constraints
  (``system_attrs["constraints"]``) is <= 0; its violation is the sum of the positive ones.
  Every feasible trial ranks above every infeasible one; feasible trials rank by
  non-domination; infeasible ones by violation alone (less is better).
* Within a rank, a larger crowding distance is better (Deb et al., 2002): per objective, the
  gap between a point's two neighbours in that rank divided by the rank's range; the rank's
  extreme points get infinity.

Coarse-to-fine zooms around the best trials in this order (``best_trials_first``) when a
study has several directions or constraints.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from caviar.pareto import nondominated_ranks, to_minimize
from caviar.trial_record import FrozenTrial

F64 = np.ndarray[Any, np.dtype[np.float64]]
I64 = np.ndarray[Any, np.dtype[np.int64]]

CONSTRAINTS_ATTR = "constraints"


def violation(t: FrozenTrial) -> float:
    """The sum of a trial's positive constraints (0: feasible, also when it has none)."""
    cs = t.system_attrs.get(CONSTRAINTS_ATTR)
    if not cs:
        return 0.0
    return float(sum(c for c in cs if c > 0))


def has_constraints(trials: Sequence[FrozenTrial]) -> bool:
    """Does any of ``trials`` carry constraint values?"""
    return any(t.system_attrs and CONSTRAINTS_ATTR in t.system_attrs for t in trials)


def crowding(points: F64) -> F64:
    """The crowding distance of each row of one front (see the module doc)."""
    n, d = points.shape
    out = np.zeros(n)
    if n <= 2:
        out[:] = math.inf
        return out
    for j in range(d):
        order = np.argsort(points[:, j], kind="stable")
        col = points[order, j]
        span = col[-1] - col[0]
        out[order[0]] = out[order[-1]] = math.inf
        if span > 0:
            out[order[1:-1]] += (col[2:] - col[:-2]) / span
    return out


def rank_and_crowding(points: F64, violations: F64 | None = None) -> tuple[I64, F64]:
    """Per row: its rank (0 best) under constraint domination and its crowding distance in
    its rank; sort by ``(rank, -crowding)`` to order the rows best first."""
    n = points.shape[0]
    ranks = np.zeros(n, dtype=np.int64)
    crowd = np.zeros(n)
    if n == 0:
        return ranks, crowd
    ok = np.ones(n, dtype=bool) if violations is None else violations <= 0
    feas = np.flatnonzero(ok)
    top = 0
    if feas.size:
        r = np.asarray(nondominated_ranks(points[feas]), dtype=np.int64)
        ranks[feas] = r
        top = int(r.max()) + 1
        for k in range(top):
            rows = feas[r == k]
            crowd[rows] = crowding(points[rows])
    bad = np.flatnonzero(~ok)
    if bad.size:
        assert violations is not None
        v = violations[bad]
        _, dense = np.unique(v, return_inverse=True)
        ranks[bad] = top + dense.ravel()
    return ranks, crowd


def best_first(points: F64, violations: F64 | None = None) -> I64:
    """Row indices ordered best first: by rank, then by larger crowding distance, then by
    row (the earlier trial)."""
    ranks, crowd = rank_and_crowding(points, violations)
    return np.asarray(np.lexsort((np.arange(points.shape[0]), -crowd, ranks)), dtype=np.int64)


def best_trials_first(trials: Sequence[FrozenTrial], directions: Sequence[str]
                      ) -> list[FrozenTrial]:
    """Complete trials (each with one value per direction) ordered best first: feasible ones
    by non-dominated rank, then larger crowding distance, then the earlier trial; infeasible
    ones after them by total violation."""
    if not trials:
        return []
    points = to_minimize([t.values or () for t in trials], directions)
    viol = np.array([violation(t) for t in trials])
    return [trials[i] for i in best_first(points, viol if viol.any() else None)]
