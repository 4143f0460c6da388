"""Population-based training on the digits: the panda and the caviar in one run.

Every two epochs the worst quarter of the population copies the weights, Adam state and
batch-norm buffers of a member of the best quarter (an on-device copy inside the population's
tensors) and moves the copied hyperparameters a little, each on its own scale. Beside it, a
random search with the same members and epochs. Then the lineage of the best member, and a
replay of that member alone (float64: the same final accuracy, exactly).

    python examples/pbt_digits.py
"""

from __future__ import annotations

import torch

import caviar
from caviar.adapters import tune_population
from caviar.adapters.population import PBT_FIXED, PBT_SPACE
from caviar.adapters.schedule_lineage import chain, lineage_text
from caviar.adapters.schedule_replay import replay_schedule
from caviar.schedulers import PBT


def main(population: int = 16, epochs: int = 8, seed: int = 0) -> dict[str, object]:
    fixed = {**PBT_FIXED, "hidden": 32, "epochs": epochs}
    runs = {}
    for name, scheduler in (("random", None), ("pbt", PBT(interval=2, seed=seed))):
        study = caviar.create_study(direction="maximize", space=PBT_SPACE, seed=seed)
        tune_population(study, n_trials=population, population=population, fixed=fixed,
                        threads=1, dtype=torch.float64, scheduler=scheduler)
        runs[name] = study
        print(f"{name:>6}: best validation accuracy {study.best_value:.4f}")
    pbt = runs["pbt"]
    print(lineage_text(pbt.trials))
    best = pbt.best_trial
    replay = replay_schedule(pbt, best.number, threads=1)
    path = " -> ".join(f"#{s.number}[{s.start}:{s.stop}]" for s in replay.segments)
    print(f"replay of #{best.number} ({path}): {replay.val_accuracy:.4f}, "
          f"stored {best.value:.4f}")
    return {"random": runs["random"], "pbt": pbt, "replay": replay,
            "chain": chain(pbt.trials, best.number)}


if __name__ == "__main__":
    main()
