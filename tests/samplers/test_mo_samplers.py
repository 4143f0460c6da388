"""Random, grid, Sobol and coarse-to-fine on studies with several directions: they run
unchanged, and coarse-to-fine zooms around the Pareto front (rank, then crowding)."""

from __future__ import annotations

import caviar
from caviar import Choice, Float, Int
from caviar.pareto import pareto_front
from caviar.samplers import CoarseToFineSampler
from caviar.samplers._selection import best_trials_first

SPACE = {"x": Float(0, 1), "y": Float(0, 1), "k": Int(1, 3), "c": Choice(["a", "b"])}


def two(t):
    x, y = t.params["x"], t.params["y"]
    return (x - 0.2) ** 2 + y ** 2, (x - 0.4) ** 2 + y ** 2   # front: x in [0.2, 0.4], y = 0


def test_random_grid_and_sobol_run_unchanged_with_several_directions():
    for sampler in ("random", "grid", "sobol"):
        space = SPACE if sampler != "grid" else {"x": Float(0, 1), "k": Int(1, 3)}
        s = caviar.create_study(directions=["minimize", "maximize"], space=space,
                                sampler=sampler, seed=0)
        s.optimize(lambda t: (t.params["x"], t.params["k"]), n_trials=12)
        assert len([t for t in s.trials if t.values]) == 12
        one = caviar.create_study(space=space, sampler=sampler, seed=0)
        one.optimize(lambda t: t.params["x"], n_trials=12)
        # the same params as with one direction: the samplers never look at the values
        assert [t.params for t in s.trials] == [t.params for t in one.trials]


def test_coarse_to_fine_zooms_around_the_front():
    s = caviar.create_study(directions=["minimize", "minimize"], space=SPACE,
                            sampler=CoarseToFineSampler(per_round=30, top_k=8), seed=3)
    s.optimize(two, n_trials=90)
    box = s.trials[-1].system_attrs["box"]
    assert box["y"][0] == 0.0 and box["y"][1] < 0.4
    assert box["x"][0] < 0.3 and 0.3 < box["x"][1] < 0.75
    late = s.trials[60:]
    assert sum(t.params["y"] < 0.4 for t in late) == len(late)


def test_best_trials_first_puts_the_front_first_and_infeasible_last():
    s = caviar.create_study(directions=["minimize", "minimize"], space=SPACE, seed=1)
    s.optimize(two, n_trials=40)
    done = s.trials
    order = best_trials_first(done, ("minimize", "minimize"))
    front = {done[i].number for i in pareto_front([t.values for t in done])}
    assert {t.number for t in order[: len(front)]} == front
    t0 = s.ask()
    t0.system_attrs["constraints"] = [1.0]
    s.tell(t0, (0.0, 0.0))   # dominates everything, but infeasible
    order = best_trials_first(s.trials, ("minimize", "minimize"))
    assert order[-1].number == t0.number
