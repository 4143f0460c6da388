"""Hyperband's exact schedule (Algorithm 1 with ceilings) and its bad input."""

from __future__ import annotations

import pytest

from caviar.errors import UsageError
from caviar.pruners import HyperbandPruner, hyperband_schedule


def table(R, eta):
    return {b.s: list(b.rungs) for b in hyperband_schedule(R, eta)}


def test_schedule_r81_eta3():
    assert table(81, 3) == {
        4: [(81, 1), (27, 3), (9, 9), (3, 27), (1, 81)],
        3: [(34, 3), (11, 9), (3, 27), (1, 81)],
        2: [(15, 9), (5, 27), (1, 81)],
        1: [(8, 27), (2, 81)],
        0: [(5, 81)],
    }


def test_schedule_r8_eta2():
    assert table(8, 2) == {
        3: [(8, 1), (4, 2), (2, 4), (1, 8)],
        2: [(6, 2), (3, 4), (1, 8)],
        1: [(4, 4), (2, 8)],
        0: [(4, 8)],
    }


def test_trials_are_dealt_to_brackets_in_schedule_order():
    hb = HyperbandPruner(max_budget=8, eta=2)
    got = [hb.bracket_of(n) for n in range(8 + 6 + 4 + 4 + 2)]
    assert got == [0] * 8 + [1] * 6 + [2] * 4 + [3] * 4 + [0, 0]


def test_population_halving_keeps_the_best_half():
    hb = HyperbandPruner(max_budget=8, eta=2)
    curves = {m: {1: float(m)} for m in range(8)}  # member m has value m at budget 1
    d = hb.decide_values(curves, bracket=3)
    assert [m for m, x in d.items() if x.action == "promote"] == [0, 1, 2, 3]
    assert all(d[m].prune for m in range(4, 8))


@pytest.mark.parametrize("kw", [dict(max_budget=81, eta=1.5), dict(max_budget=81, eta=1),
                                dict(min_budget=100, max_budget=81), dict(max_budget=0)])
def test_bad_settings_fail_before_any_trial(kw):
    with pytest.raises(UsageError):
        HyperbandPruner(**kw)
