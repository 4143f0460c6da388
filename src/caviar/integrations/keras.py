"""A Keras 3 callback that reports an epoch metric to a caviar trial and honours pruning.

Works on every Keras 3 backend (TensorFlow, PyTorch, JAX): pick one with ``KERAS_BACKEND``
before Keras is first imported::

    import caviar
    from caviar.integrations.keras import KerasPruningCallback

    def objective(trial):
        model = build(trial.suggest_float("lr", 1e-4, 1e-1, log=True))
        hist = model.fit(X, y, validation_data=(Xv, yv), epochs=20, verbose=0,
                         callbacks=[KerasPruningCallback(trial, monitor="val_accuracy")])
        return hist.history["val_accuracy"][-1]

    caviar.create_study(direction="maximize", pruner="median").optimize(objective, 50)

At every epoch's end the callback reports ``logs[monitor]`` as step ``epoch`` (0-based) and,
when the study's pruner says so, raises :class:`caviar.TrialPruned` out of ``fit``: the trial is
stored as pruned with its curve.
"""

from __future__ import annotations

from typing import Any

from caviar.errors import UsageError
from caviar.integrations._common import check_monitor, check_trial, epoch_report

try:
    import keras
except ImportError as e:  # pragma: no cover - depends on the environment
    raise ImportError("caviar.integrations.keras needs Keras 3: pip install 'keras>=3' plus a "
                      "backend (tensorflow-cpu, torch or jax), or pip install 'caviar[keras]'"
                      ) from e

__all__ = ["KerasPruningCallback"]

_OWNER = "KerasPruningCallback"


class KerasPruningCallback(keras.callbacks.Callback):  # type: ignore[misc]
    """Report ``logs[monitor]`` to ``trial`` after every epoch; prune when told to."""

    def __init__(self, trial: Any, monitor: str = "val_loss") -> None:
        super().__init__()
        self.trial = check_trial(trial, _OWNER)
        check_monitor(self.trial, monitor, _OWNER)
        self.monitor = monitor

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        logs = logs or {}
        if self.monitor not in logs:
            raise UsageError(
                f"{_OWNER}: monitor={self.monitor!r} is not among the epoch's logs "
                f"{sorted(logs)}; pass validation_data to fit for 'val_*' metrics, or "
                "monitor one of those")
        epoch_report(self.trial, logs[self.monitor], epoch, monitor=self.monitor, owner=_OWNER)
