"""NSGA-II and multi-objective TPE with a constraint, judged by hypervolume.

A scikit-learn MLP on digits is tuned for validation accuracy (maximize) against its number of
weights (minimize), with a constraint: at most 4,000 weights (``n_weights - 4000 <= 0``). The
two multi-objective samplers run side by side with random search; after every 10 trials the
hypervolume of each front (under the same reference point) says which has found more of the
trade-off. The front printed at the end holds only feasible trials.

    python examples/nsga2_constraints.py
"""

from __future__ import annotations

import warnings

import caviar
from caviar.hypervolume import hypervolume
from caviar.samplers import NSGA2Sampler

BUDGET = 4000  # weights allowed
REFERENCE = [0.0, 2.0 * BUDGET]  # accuracy 0, twice the budget: every feasible trial beats it
DIRECTIONS = ["maximize", "minimize"]


def load_digits():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    x, y = load_digits(return_X_y=True)
    return train_test_split(x / 16.0, y, test_size=0.3, random_state=0)


def make_objective(data, max_iter: int = 60):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    x_tr, x_va, y_tr, y_va = data

    def objective(trial):
        hidden = trial.suggest_int("hidden", 2, 128, scale="log")
        alpha = trial.suggest_float("alpha", 1e-6, 1e-1, scale="log")
        lr = trial.suggest_float("lr", 1e-4, 1e-1, scale="log")
        model = MLPClassifier((hidden,), alpha=alpha, learning_rate_init=lr, max_iter=max_iter,
                              random_state=trial.number)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(x_tr, y_tr)
        n_weights = sum(w.size for w in model.coefs_) + sum(b.size for b in model.intercepts_)
        return model.score(x_va, y_va), float(n_weights)

    return objective


def within_budget(trial):
    return [trial.values[1] - BUDGET]  # feasible when <= 0


def front_hypervolume(study) -> float:
    pts = [t.values for t in study.best_trials]
    return hypervolume(pts, REFERENCE, directions=DIRECTIONS) if pts else 0.0


def main(n_trials: int = 60, seed: int = 0, max_iter: int = 60) -> dict[str, caviar.Study]:
    objective = make_objective(load_digits(), max_iter)
    studies = {}
    curves: dict[str, list[float]] = {}
    main.curves = curves  # type: ignore[attr-defined]  # for the test
    for sampler in ("nsga2", "tpe", "random"):
        smp = NSGA2Sampler(population_size=10) if sampler == "nsga2" else sampler
        study = caviar.create_study(directions=DIRECTIONS, sampler=smp, seed=seed,
                                    constraints=within_budget)
        curves[sampler] = []
        for n in range(10, n_trials + 1, 10):
            study.optimize(objective, n_trials=n)
            curves[sampler].append(front_hypervolume(study))
        studies[sampler] = study
    print("hypervolume of the feasible front after every 10 trials:")
    for sampler, hv in curves.items():
        print(f"  {sampler:7s}", " ".join(f"{h:7.0f}" for h in hv))
    best = max(studies, key=lambda s: curves[s][-1])
    front = sorted(studies[best].best_trials, key=lambda t: t.values[1])
    print(f"\nthe {best} front ({len(front)} trials, all within {BUDGET} weights):")
    for t in front:
        print(f"  {int(t.values[1]):>5} weights  accuracy {t.values[0]:.3f}  "
              f"hidden={t.params['hidden']}")
    return studies


if __name__ == "__main__":
    main()
