from __future__ import annotations

from typing import Any

import pytest

import caviar

L = pytest.importorskip("lightning", reason="lightning is in the 'frameworks' extra")
import torch  # noqa: E402
from torch.utils.data import DataLoader, TensorDataset  # noqa: E402

from caviar.integrations.lightning import LightningPruningCallback  # noqa: E402


class Net(L.LightningModule):
    def __init__(self, lr: float) -> None:
        super().__init__()
        self.lr = lr
        self.net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(),
                                       torch.nn.Linear(8, 2))

    def training_step(self, batch: Any, _: int) -> Any:
        x, y = batch
        return torch.nn.functional.cross_entropy(self.net(x), y)

    def validation_step(self, batch: Any, _: int) -> None:
        x, y = batch
        self.log("val_acc", (self.net(x).argmax(1) == y).float().mean())

    def configure_optimizers(self) -> Any:
        return torch.optim.SGD(self.parameters(), lr=self.lr)


def _loaders() -> tuple[DataLoader, DataLoader]:
    g = torch.Generator().manual_seed(0)
    X = torch.randn(96, 4, generator=g)
    y = (X[:, 0] + X[:, 1] > 0).long()
    return (DataLoader(TensorDataset(X[:64], y[:64]), batch_size=16),
            DataLoader(TensorDataset(X[64:], y[64:]), batch_size=32))


def _fit(trial: caviar.Trial, epochs: int, monitor: str = "val_acc") -> float:
    torch.manual_seed(0)
    trainer = L.Trainer(max_epochs=epochs, accelerator="cpu", logger=False,
                        enable_checkpointing=False, enable_progress_bar=False,
                        enable_model_summary=False,
                        callbacks=[LightningPruningCallback(trial, monitor=monitor)])
    train, val = _loaders()
    trainer.fit(Net(trial.suggest_float("lr", 1e-2, 0.5, log=True)), train, val)
    return float(trainer.callback_metrics["val_acc"].item())


def test_reports_every_validation_epoch_not_the_sanity_check() -> None:
    study = caviar.create_study(direction="maximize", seed=0)
    study.optimize(lambda t: _fit(t, 3), n_trials=2)
    assert study.counts() == {"complete": 2}
    curves = study.reports()
    assert len(curves) == 2 and all(sorted(c) == [0, 1, 2] for c in curves.values())


def test_pruner_stops_fit(prune_after) -> None:  # type: ignore[no-untyped-def]
    study = caviar.create_study(direction="maximize", seed=0, pruner=prune_after(1))
    study.optimize(lambda t: _fit(t, 4), n_trials=2)
    assert study.counts() == {"pruned": 2}
    assert all(sorted(c) == [0] for c in study.reports().values())


def test_without_a_trial_is_a_clear_error() -> None:
    with pytest.raises(caviar.UsageError, match="needs the caviar Trial"):
        LightningPruningCallback("trial", monitor="val_acc")


def test_unlogged_monitor_is_a_clear_error() -> None:
    study = caviar.create_study(direction="maximize")
    with pytest.raises(caviar.UsageError, match=r"'val_accuracy' was not logged.*val_acc"):
        _fit(study.ask(), 1, monitor="val_accuracy")
