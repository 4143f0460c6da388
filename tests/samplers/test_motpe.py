"""Multi-objective TPE: the good / bad split against brute force (fronts by pairwise dominance,
hypervolume contributions by removing each point), constraints, pruned trials, search quality;
one direction without constraints never reaches the split."""

from __future__ import annotations

import math

import numpy as np
import pytest

import caviar
from caviar.hypervolume import hypervolume
from caviar.samplers.tpe_split import Objectives, best_of
from caviar.trial_record import COMPLETE, FrozenTrial


def _dominates(a, b):
    return bool(np.all(a <= b) and np.any(a < b))


def _brute_best(pts: np.ndarray, k: int) -> list[int]:
    left = list(range(len(pts)))
    out: list[int] = []
    while left and len(out) < k:
        front = [i for i in left if not any(_dominates(pts[j], pts[i]) for j in left if j != i)]
        room = k - len(out)
        if len(front) <= room:
            out += front
        else:
            fp = pts[front]
            hi, lo = fp.max(axis=0), fp.min(axis=0)
            ref = hi + 0.1 * np.where(hi > lo, hi - lo, 1.0)
            total = hypervolume(fp, ref)
            c = [total - hypervolume(np.delete(fp, m, axis=0), ref) for m in range(len(front))]
            top = max(c)   # ties (to 9 digits of the largest) go to the earlier trial
            order = sorted(range(len(front)),
                           key=lambda m: (-round(c[m] / top, 9) if top > 0 else 0, front[m]))
            out += [front[m] for m in order[:room]]
        left = [i for i in left if i not in front]
    return sorted(out)


@pytest.mark.parametrize("d", [1, 2, 3])
def test_best_of_takes_whole_fronts_then_the_largest_contributions(d):
    rng = np.random.default_rng(d)
    for _ in range(30):
        n = int(rng.integers(2, 30))
        pts = np.round(rng.random((n, d)), 2)   # rounding makes ties and duplicates
        k = int(rng.integers(1, n + 1))
        got = sorted(best_of(pts, k).tolist())
        if d == 1:
            expect = sorted(sorted(range(n), key=lambda i: (pts[i, 0], i))[:k])
        else:
            expect = _brute_best(pts, k)
        assert got == expect


def _rec(number, values, constraints=None, state=COMPLETE):
    attrs = {} if constraints is None else {"constraints": constraints}
    return FrozenTrial(id=number, study_id=1, number=number, state=state, value=None,
                       params={}, system_attrs=attrs, values=values)


def test_infeasible_trials_are_bad_while_a_feasible_one_is_left_out():
    obj = Objectives(("minimize", "maximize"))
    recs = [_rec(0, (0.0, 10.0), [1.0]),     # dominates everything, infeasible
            _rec(1, (1.0, 5.0), [-1.0]), _rec(2, (2.0, 6.0), [0.0]), _rec(3, (3.0, 1.0), [0.5]),
            _rec(4, (4.0, 4.0), [2.0])]
    for i, r in enumerate(recs):
        obj.add(i, r)
    assert obj.active
    scores, steps = np.zeros(5), np.full(5, math.inf)
    assert np.flatnonzero(obj.good(scores, steps, 2)).tolist() == [1, 2]
    # too few feasible: the least violating infeasible ones fill the good side
    assert np.flatnonzero(obj.good(scores, steps, 3)).tolist() == [1, 2, 3]
    assert np.flatnonzero(obj.good(scores, steps, 4)).tolist() == [0, 1, 2, 3]


def test_pruned_trials_fill_the_good_side_last_the_furthest_first():
    obj = Objectives(("minimize", "minimize"))
    for i, v in enumerate([(1.0, 2.0), (2.0, 1.0)]):
        obj.add(i, _rec(i, v))
    scores = np.array([0.0, 0.0, 0.3, 0.1, 0.2])
    steps = np.array([math.inf, math.inf, 5, 2, 5])
    assert np.flatnonzero(obj.good(scores, steps, 3)).tolist() == [0, 1, 4]


def test_one_direction_with_constraints_ranks_feasible_values():
    obj = Objectives(("minimize",))
    recs = [_rec(0, (0.1,), [3.0]), _rec(1, (0.5,), [-1.0]), _rec(2, (0.2,), [0.0])]
    for i, r in enumerate(recs):
        obj.add(i, r)
    scores, steps = np.array([0.1, 0.5, 0.2]), np.full(3, math.inf)
    assert np.flatnonzero(obj.good(scores, steps, 1)).tolist() == [2]
    assert not Objectives(("minimize",)).active   # no constraints: tpe's own split


def zdt1(t):
    x = [t.suggest_float(f"x{i}", 0, 1) for i in range(6)]
    g = 1 + 9 * sum(x[1:]) / 5
    return x[0], g * (1 - math.sqrt(x[0] / g))


def test_motpe_beats_random_search_on_zdt1():
    def hv(sampler, seed):
        s = caviar.create_study(directions=["minimize", "minimize"], sampler=sampler,
                                seed=seed)
        s.optimize(zdt1, n_trials=150)
        return hypervolume([t.values for t in s.trials if t.values], [11.0, 11.0])
    ours = [hv("tpe", k) for k in range(3)]  # several directions: params one by one
    rand = [hv("random", k) for k in range(3)]
    assert np.median(ours) > np.median(rand) + 2


@pytest.mark.parametrize("side", ["high", "low"])
def test_constraints_steer_tpe_to_the_feasible_region(side):
    def ok(x: float) -> bool:
        return x >= 0.6 if side == "high" else x <= 0.4

    def f(t):
        x, y = t.suggest_float("x", 0, 1), t.suggest_float("y", 0, 1)
        t.system_attrs["constraints"] = [0.6 - x if side == "high" else x - 0.4]
        return y, (1 - y) ** 2    # x is free: only the constraint says where it goes

    s = caviar.create_study(directions=["minimize", "minimize"], sampler="tpe", seed=1)
    s.optimize(f, n_trials=80)
    assert s.best_trials and all(ok(t.params["x"]) for t in s.best_trials)
    late = [ok(t.params["x"]) for t in s.trials[30:]]
    assert sum(late) / len(late) > 0.7   # random search: 0.4
