"""Random search beats a grid at the same budget when only a few params matter.

f(x) depends strongly on 2 of 6 dims (x0, x1) and barely on the other 4. A grid of 2 values per
dim spends 64 trials on 2 distinct values of each important param; 64 random trials try 64
distinct values of each. The lecture's point: you do not know in advance which params matter,
so do not spend the budget on a grid.

    python examples/random_vs_grid.py
"""

from __future__ import annotations

import caviar

DIMS = 6
BUDGET = 64  # 2 ** 6: a full grid of 2 values per dim


def objective(trial: caviar.Trial) -> float:
    x = [trial.params[f"x{i}"] for i in range(DIMS)]  # declared below: grid or random
    important = (x[0] - 0.73) ** 2 + (x[1] - 0.31) ** 2  # minimum 0 at (0.73, 0.31)
    unimportant = 0.001 * sum((v - 0.5) ** 2 for v in x[2:])
    return important + unimportant


def run(sampler: str, seed: int) -> tuple[float, int]:
    space = {f"x{i}": (caviar.Float(0.0, 1.0, step=1.0) if sampler == "grid"
                       else caviar.Float(0.0, 1.0)) for i in range(DIMS)}
    study = caviar.create_study(direction="minimize", sampler=sampler, space=space, seed=seed)
    study.optimize(objective, n_trials=BUDGET)
    distinct = len({round(t.params["x0"], 9) for t in study.trials})
    return study.best_value, distinct


def main() -> dict[str, float]:
    grid_best, grid_distinct = run("grid", 0)
    randoms = [run("random", s) for s in range(5)]
    rand_best = sum(b for b, _ in randoms) / len(randoms)
    print(f"{BUDGET} trials, {DIMS} dims, 2 of them important")
    print(f"grid   : best {grid_best:.4f}, {grid_distinct} distinct values of x0")
    print(f"random : best {rand_best:.4f} (mean of 5 seeds), "
          f"{randoms[0][1]} distinct values of x0")
    return {"grid": grid_best, "random": rand_best}


if __name__ == "__main__":
    main()
