"""Accuracy against size: tune a batch-norm MLP on digits for both at once.

A study with ``directions=["maximize", "minimize"]`` keeps every trial's two values
(validation accuracy, parameter count). There is no single best trial any more: the answer is
the Pareto front, the trials no other trial beats on both. The population engine trains each
population as one program and reports n_params (and FLOPs per example, training seconds) for
every member, so the second objective costs nothing to measure.

    python examples/multiobjective.py
    caviar tune-mlp --objectives val_accuracy,n_params --trials 64 --epochs 10   # the same
"""

from __future__ import annotations

import caviar
from caviar.adapters import tune_population

SPACE = {
    "lr": caviar.Float(1e-3, 1e-1, scale="log"),
    "hidden": caviar.Int(4, 128, scale="log"),  # the size knob: widths from 4 to 128
    "depth": caviar.Int(1, 2),
}


def main(n_trials: int = 32, epochs: int = 6, seed: int = 0) -> caviar.Study:
    study = caviar.create_study("digits-accuracy-vs-size",
                                directions=["maximize", "minimize"], space=SPACE, seed=seed)
    study.set_objective_names(["val_accuracy", "n_params"])
    tune_population(study, data="digits", n_trials=n_trials, population=n_trials,
                    fixed={"epochs": epochs, "batch_size": 64}, threads=1,
                    objectives=["val_accuracy", "n_params"])
    front = sorted(study.best_trials, key=lambda t: t.values[1])
    print(f"{len(front)} trials on the front of {n_trials}: smallest network first")
    print(f"{'n_params':>9} {'accuracy':>9}  hidden x depth  lr")
    for t in front:
        acc, n = t.values
        print(f"{int(n):>9} {acc:>9.3f}  {t.params['hidden']:>6} x {t.params['depth']}"
              f"      {t.params['lr']:.3g}")
    return study


if __name__ == "__main__":
    main()
