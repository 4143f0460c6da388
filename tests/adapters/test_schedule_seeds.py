"""Each population of a study runs PBT on its own random stream (the PBT seed, the study's
seed and the population's first trial number): two populations of one study explore apart,
and a re-run of the seeded study repeats every choice. Real caviar.nn training on digits.
With ``resample=1.0`` every explore draws its values from the stream alone, so the values
a population's exploits end with are its stream's choices."""

from __future__ import annotations

import pytest

import caviar
from caviar.adapters import tune_population
from caviar.adapters.population import PBT_SPACE
from caviar.schedulers import PBT

pytest.importorskip("torch")

FIXED = {"epochs": 3, "hidden": 16, "depth": 1, "batch_size": 128}


def explores(seed: int) -> dict[int, list[tuple[int, int, int, float]]]:
    """Per population (0, 1): its exploits as (epoch, dst number, src number, new lr)."""
    study = caviar.create_study(direction="maximize", space=PBT_SPACE, seed=seed)
    tune_population(study, n_trials=8, population=4, fixed=FIXED, threads=1,
                    scheduler=PBT(interval=1, quantile=0.25, resample=1.0, seed=0))
    out: dict[int, list[tuple[int, int, int, float]]] = {0: [], 1: []}
    for t in study.trials:
        assert t.system_attrs["population_size"] == 4 and t.state == "complete"
        for e in t.system_attrs.get("exploits", []):
            out[t.number // 4].append((e["epoch"], t.number, e["from_trial"],
                                       e["after"]["lr"]))
    return {k: sorted(v) for k, v in out.items()}


def test_populations_explore_apart_and_a_seeded_rerun_repeats_them():
    first = explores(seed=7)
    assert len(first[0]) == len(first[1]) == 2  # 4 members, quantile 0.25: epochs 0 and 1
    # one stream for every population would draw the same new values in both
    assert {lr for *_, lr in first[0]}.isdisjoint({lr for *_, lr in first[1]})
    assert explores(seed=7) == first  # the same seed: the same choices, population by population
