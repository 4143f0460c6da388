"""Pruning: stop unpromising trials early with ASHA (or median stopping, Hyperband).

The objective reports a learning-curve point every epoch and asks ``trial.should_prune()``;
the pruner decides from the other trials' curves.

    python examples/pruning.py
"""

from __future__ import annotations

import math

import caviar
from caviar import Float
from caviar.pruners import ASHAPruner


def objective(trial: caviar.Trial) -> float:
    lr = trial.params["lr"]
    loss = 1.0
    for epoch in range(1, 28):
        loss = (math.log10(lr) + 2) ** 2 + 1.0 / epoch   # a fake learning curve
        trial.report(loss, epoch)
        if trial.should_prune():
            raise caviar.TrialPruned()
    return loss


def main(n_trials: int = 60, pruner: object = None) -> caviar.Study:
    study = caviar.create_study(space={"lr": Float(1e-5, 1.0, scale="log")}, seed=0,
                                pruner=pruner or ASHAPruner(min_budget=1, eta=3, max_budget=27))
    study.optimize(objective, n_trials=n_trials)
    epochs = sum(len(c) for c in study.reports().values())
    print(f"{study.counts()}; {epochs} epochs trained instead of {27 * n_trials}")
    print(f"best: {study.best_params} value {study.best_value:.4g}")
    return study


if __name__ == "__main__":
    main()
