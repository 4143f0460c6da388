"""A PyTorch Lightning callback that reports a validation metric to a caviar trial and
honours pruning::

    from caviar.integrations.lightning import LightningPruningCallback

    def objective(trial):
        model = LitNet(lr=trial.suggest_float("lr", 1e-4, 1e-1, log=True))
        trainer = lightning.Trainer(max_epochs=20, enable_progress_bar=False, logger=False,
                                    callbacks=[LightningPruningCallback(trial, "val_acc")])
        trainer.fit(model, train_loader, val_loader)
        return trainer.callback_metrics["val_acc"].item()

After every validation epoch (not the sanity check) it reports
``trainer.callback_metrics[monitor]`` (what ``self.log(monitor, ...)`` logged) as step
``trainer.current_epoch`` and raises :class:`caviar.TrialPruned` out of ``fit`` when the
study's pruner says so. Works with ``lightning`` (``lightning.pytorch``) or the older
``pytorch_lightning`` package, in one process (no DDP).
"""

from __future__ import annotations

from typing import Any

from caviar.errors import UsageError
from caviar.integrations._common import check_monitor, check_trial, epoch_report

try:
    from lightning.pytorch import Callback
except ImportError:  # pragma: no cover - depends on the environment
    try:
        from pytorch_lightning import Callback  # type: ignore[assignment]
    except ImportError as e:
        raise ImportError("caviar.integrations.lightning needs PyTorch Lightning: pip install "
                          "lightning (keep your torch), or pip install 'caviar[lightning]'"
                          ) from e

__all__ = ["LightningPruningCallback"]

_OWNER = "LightningPruningCallback"


class LightningPruningCallback(Callback):
    """Report ``trainer.callback_metrics[monitor]`` after every validation epoch; prune."""

    def __init__(self, trial: Any, monitor: str = "val_loss") -> None:
        super().__init__()
        self.trial = check_trial(trial, _OWNER)
        check_monitor(self.trial, monitor, _OWNER)
        self.monitor = monitor

    def on_validation_epoch_end(self, trainer: Any, pl_module: Any) -> None:
        if getattr(trainer, "sanity_checking", False):
            return
        metrics = trainer.callback_metrics
        if self.monitor not in metrics:
            raise UsageError(
                f"{_OWNER}: monitor={self.monitor!r} was not logged this epoch; logged "
                f"{sorted(metrics)}; call self.log({self.monitor!r}, value) in "
                "validation_step, or monitor one of those")
        value = metrics[self.monitor]
        value = value.item() if hasattr(value, "item") else value
        epoch_report(self.trial, value, trainer.current_epoch, monitor=self.monitor,
                     owner=_OWNER)
