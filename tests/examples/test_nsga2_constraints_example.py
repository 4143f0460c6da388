"""examples/nsga2_constraints.py runs: every sampler's feasible front only grows in
hypervolume, and no front trial breaks the weight budget."""

from __future__ import annotations

import itertools

import pytest

from examplesupport import load_example

pytest.importorskip("sklearn")


@pytest.mark.slow
def test_constrained_fronts_grow_and_stay_feasible() -> None:
    module = load_example("nsga2_constraints")
    studies = module.main(n_trials=20, max_iter=10)
    for name, study in studies.items():
        assert len(study.trials) == 20
        assert study.best_trials, name
        for t in study.best_trials:
            assert t.values[1] <= module.BUDGET
            assert t.system_attrs["constraints"] == [t.values[1] - module.BUDGET]
        hv = module.main.curves[name]
        assert all(a <= b for a, b in itertools.pairwise(hv)) and hv[-1] > 0
    infeasible = [t for s in studies.values() for t in s.trials
                  if t.values and t.values[1] > module.BUDGET]
    assert infeasible  # the space reaches past the budget, so the constraint did work
