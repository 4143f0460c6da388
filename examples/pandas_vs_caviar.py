"""Pandas vs caviar on the same budget of epochs: babysit one model (a panda raising one
child, nudging its learning rate down when it plateaus) vs a population of models trained at
once (a fish laying many eggs), on digits.

    python examples/pandas_vs_caviar.py [--budget 48]
"""

from __future__ import annotations

import argparse

import caviar
from caviar.adapters import MLP_SPACE, tune_population


def panda_run(budget: int) -> float:
    """One network for `budget` epochs; every 8 epochs the babysitter halves the lr."""
    from caviar import panda
    from caviar.adapters.babysit import MLPTarget

    # seeded like the caviar side: one unseeded network varies from 0.79 to 0.98 here
    study = caviar.create_study(direction="maximize", seed=0)
    schedule = {e: {"lr": 3e-3 * 0.5 ** (e // 8)} for e in range(8, budget, 8)}
    rec = panda.babysit(study, MLPTarget("digits", epochs=budget, dtype="float32"),
                        params={"lr": 3e-3}, quiet=True, schedule=schedule)
    return float(rec.value or 0.0)


def caviar_run(budget: int, epochs: int = 6) -> float:
    """budget / epochs networks, `epochs` epochs each, trained at once."""
    study = caviar.create_study(direction="maximize", space=MLP_SPACE, seed=0)
    tune_population(study, n_trials=max(1, budget // epochs), population=64,
                    fixed={"epochs": epochs}, threads=2)
    return study.best_value


def main(budget: int = 48) -> dict[str, float]:
    p = panda_run(budget)
    c = caviar_run(budget)
    print(f"budget {budget} epochs: panda (one babysat model) val acc {p:.4f}; "
          f"caviar ({budget // 6} models x 6 epochs, one population) best val acc {c:.4f}")
    return {"panda": p, "caviar": c}


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--budget", type=int, default=48)
    main(ap.parse_args().budget)
