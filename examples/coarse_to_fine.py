"""Coarse to fine: random search in rounds, each zooming into the region of the best trials.

Five rounds of 20 trials on a learning rate (log scale) and a momentum (reverse-log scale); each
trial records its round and box, printed here so the zoom is visible.

    python examples/coarse_to_fine.py
"""

from __future__ import annotations

import math

import caviar
from caviar import Float
from caviar.samplers import CoarseToFineSampler


def objective(trial: caviar.Trial) -> float:
    lr, beta = trial.params["lr"], trial.params["beta"]
    return (math.log10(lr) + 2.5) ** 2 + (math.log10(1 - beta) + 2) ** 2


def main(n_trials: int = 100) -> caviar.Study:
    study = caviar.create_study(
        space={"lr": Float(1e-6, 1.0, scale="log"), "beta": Float(0.5, 0.9999,
                                                                    scale="reverse_log")},
        sampler=CoarseToFineSampler(per_round=20, top_k=5), seed=0)
    study.optimize(objective, n_trials=n_trials)
    for t in study.trials[::20]:
        box = t.system_attrs.get("box", {})
        print(f"round {t.system_attrs['round']}: lr in {box.get('lr', 'whole range')}, "
              f"beta in {box.get('beta', 'whole range')}")
    print(f"best: {study.best_params} value {study.best_value:.4g}")
    return study


if __name__ == "__main__":
    main()
