"""Every figure of a study, one file each: history, params, parallel, curves, importance,
contour, rank, EDF, timeline for one objective; Pareto front and hypervolume for two.

    python examples/plots.py [OUT_DIR] [html|png]     # default: plots/ as html

PNGs need kaleido and Chromium; all of them are drawn by ONE browser (``write_figures``), the
HTML files need neither. The same figures are in ``caviar report`` and the dashboard.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import caviar
from caviar.viz import specs
from caviar.viz.export import write_figures
from caviar.viz.figures import combine


def objective(trial: caviar.Trial) -> float:
    lr = trial.suggest_float("lr", 1e-4, 1.0, log=True)
    beta = trial.suggest_float("beta", 0.9, 0.999, scale="reverse_log")
    depth = trial.suggest_int("depth", 1, 3)
    width = trial.suggest_int("width", 16, 512, scale="log")
    loss = (math.log10(lr) + 2) ** 2 + (math.log10(1 - beta) + 2) ** 2 + 0.1 * depth + \
        0.2 * abs(math.log2(width) - 7) / 5
    for step in range(10):
        trial.report(loss + 1.0 / (step + 1), step)
    return loss


def two_objectives(trial: caviar.Trial) -> tuple[float, float]:
    x = trial.suggest_float("x", 0.0, 1.0)
    width = trial.suggest_int("width", 8, 256, scale="log")
    accuracy = 1 - 0.5 * (1 - x) ** 2 - 0.1 / math.log2(width)
    return accuracy, width * (1 + x)  # maximize accuracy, minimize size


def main(out: str = "plots", fmt: str = "html") -> list[Path]:
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    storage = f"sqlite:///{folder / 'plots-example.db'}"
    one = caviar.create_study("plots-one", storage=storage, seed=0)
    one.optimize(objective, n_trials=60)
    two = caviar.create_study("plots-two", storage=storage, seed=0,
                              directions=["maximize", "minimize"])
    two.optimize(two_objectives, n_trials=60)
    jobs = {}
    for study in (one, two):
        for kind, spec in specs(study).items():
            if kind == "params":  # one figure per param: a grid of them in one file
                spec = combine(spec, title=f"{study.name}: each param on its own scale")
            jobs[folder / f"{study.name}-{kind}.{fmt}"] = (spec, f"{study.name}: {kind}")
    written = write_figures(jobs)
    for path in written:
        print("wrote", path)
    return written


if __name__ == "__main__":
    main(*sys.argv[1:])
