"""What every framework callback does at the end of an epoch: check the trial, report, prune."""

from __future__ import annotations

import math
import warnings
from typing import Any

from caviar.errors import CaviarWarning, TrialPruned, UsageError


def check_trial(trial: Any, owner: str) -> Any:
    """The ``trial`` given to a callback must be the caviar Trial the objective received."""
    from caviar.trial import Trial

    if not isinstance(trial, Trial):
        raise UsageError(
            f"{owner}: needs the caviar Trial the objective received, got {trial!r}; "
            f"write `def objective(trial): ... callbacks=[{owner}(trial, monitor=...)]`")
    return trial


def check_monitor(trial: Any, monitor: str, owner: str) -> None:
    """A loss monitored in a study that maximizes (or an accuracy in one that minimizes) is
    almost always a mistake: the pruner would stop the best trials."""
    if not isinstance(monitor, str) or not monitor:
        raise UsageError(f"{owner}: monitor must name a logged metric, got {monitor!r}; "
                         "e.g. monitor='val_accuracy'")
    direction = trial._study.direction
    lossy = "loss" in monitor or "error" in monitor
    if (direction == "maximize" and lossy) or (direction == "minimize" and "acc" in monitor):
        warnings.warn(f"{owner}: monitor={monitor!r} in a study that will {direction}; the "
                      "pruner compares reports in the study's direction, so pick a metric "
                      "that goes the same way", CaviarWarning, stacklevel=3)


def epoch_report(trial: Any, value: Any, epoch: int, *, monitor: str, owner: str) -> None:
    """Report ``value`` at step ``epoch``; raise TrialPruned when the study's pruner says so."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise UsageError(f"{owner}: metric {monitor!r} must be a number, got {value!r}") from None
    if not math.isfinite(v):
        # a diverged trial: report nothing (the pruner cannot compare NaN) and stop it
        raise TrialPruned(f"{monitor} is {v} at epoch {epoch}: the trial diverged")
    trial.report(v, int(epoch))
    if trial.should_prune():
        raise TrialPruned(f"pruned at epoch {epoch} ({monitor}={v:.6g})")
