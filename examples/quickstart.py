"""The 30-second example: random search on the right scales, stored in SQLite.

    python examples/quickstart.py
"""

from __future__ import annotations

import math
import os
import sys
import tempfile

import caviar


def objective(trial: caviar.Trial) -> float:
    lr = trial.suggest_float("lr", 1e-4, 1.0, log=True)                 # log scale
    beta = trial.suggest_float("beta", 0.9, 0.999, scale="reverse_log")  # 1 - beta log-uniform
    layers = trial.suggest_int("layers", 1, 4)
    act = trial.suggest_categorical("activation", ["relu", "tanh"])
    # a stand-in for a validation loss, best near lr=1e-2, beta=0.99, 2 layers, relu
    return ((math.log10(lr) + 2) ** 2 + (math.log10(1 - beta) + 2) ** 2
            + 0.1 * (layers - 2) ** 2 + (0.0 if act == "relu" else 0.2))


def main(n_trials: int = 200) -> caviar.Study:
    path = os.path.join(tempfile.mkdtemp(), "quickstart.db")
    study = caviar.create_study("quickstart", storage=f"sqlite:///{path}", seed=0)
    study.optimize(objective, n_trials=n_trials, workers=2)
    best = study.best_trial
    print(f"best value {best.value:.4f} with {best.params}")
    print(f"{len(study.trials)} trials stored in {path}")
    return study


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
