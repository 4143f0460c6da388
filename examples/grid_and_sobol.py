"""Grid and Sobol samplers: every grid point exactly once, even with parallel workers.

    python examples/grid_and_sobol.py
"""

from __future__ import annotations

import os
import tempfile

import caviar

SPACE = {
    "lr": caviar.Float(1e-3, 1e-1, scale="log"),
    "batch_size": caviar.Choice([32, 64, 128]),
    "layers": caviar.Int(1, 3),
}


def objective(trial: caviar.Trial) -> float:
    p = trial.params
    return abs(p["lr"] - 0.01) * 100 + abs(p["layers"] - 2) + p["batch_size"] / 1000


def main() -> dict[str, caviar.Study]:
    url = "sqlite:///" + os.path.join(tempfile.mkdtemp(), "grid.db")
    grid = caviar.create_study("grid", storage=url, sampler=caviar.GridSampler(resolution=4),
                               space=SPACE, seed=0)
    grid.optimize(objective, n_trials=1000, workers=2)   # capped at the grid's 36 points
    sobol = caviar.create_study("sobol", storage=url, sampler="sobol", space=SPACE, seed=0)
    sobol.optimize(objective, n_trials=36, workers=2)
    for s in (grid, sobol):
        print(f"{s.name:6s}: {len(s.trials)} trials, best {s.best_value:.4f} {s.best_params}")
    return {"grid": grid, "sobol": sobol}


if __name__ == "__main__":
    main()
