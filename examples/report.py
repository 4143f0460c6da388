"""See a study: tune a small problem, then write the self-contained HTML report and one PNG.

    python examples/report.py            # writes report.html (and history.png with Chromium)
    caviar dashboard --storage sqlite:///report-example.db   # then open http://127.0.0.1:8080
"""

from __future__ import annotations

import math
import sys

import caviar
from caviar.errors import UsageError
from caviar.viz import specs, write_report
from caviar.viz.export import write_figure


def objective(trial: caviar.Trial) -> float:
    lr = trial.suggest_float("lr", 1e-4, 1.0, log=True)
    beta = trial.suggest_float("beta", 0.9, 0.999, scale="reverse_log")
    hidden = trial.suggest_int("hidden_units", 16, 256, scale="log")
    loss = (math.log10(lr) + 2) ** 2 + (math.log10(1 - beta) + 2) ** 2 + 0.1 / hidden
    for step in range(20):  # a learning curve, so the report can draw it
        trial.report(loss + 1.0 / (step + 1), step)
    return loss


def main(out: str = "report.html") -> None:
    study = caviar.create_study("report-example", storage="sqlite:///report-example.db",
                                seed=0)
    study.optimize(objective, n_trials=80)
    print("wrote", write_report(study, out))
    try:
        print("wrote", write_figure(specs(study, ["history"])["history"], "history.png"))
    except UsageError as e:  # no Chromium for kaleido: the HTML report still works
        print(f"skipped the PNG: {e}")


if __name__ == "__main__":
    main(*sys.argv[1:])
