"""The lecture's network as a PyTorch Lightning module, tuned by caviar through
``LightningPruningCallback``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import tune
from torch_digits import build


def train(trial: Any, data: Any, *, epochs: int, seed: int) -> float:
    import lightning as L
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    from caviar.integrations.lightning import LightningPruningCallback

    p = trial.params

    class Net(L.LightningModule):
        def __init__(self) -> None:
            super().__init__()
            self.net = build(data.X.shape[1], p["hidden"])

        def training_step(self, batch: Any, _: int) -> Any:
            x, y = batch
            return torch.nn.functional.cross_entropy(self.net(x), y)

        def validation_step(self, batch: Any, _: int) -> None:
            x, y = batch
            acc = (self.net(x).argmax(1) == y).float().mean()
            self.log("val_acc", acc, prog_bar=False)

        def configure_optimizers(self) -> Any:
            return torch.optim.SGD(self.parameters(), lr=p["lr"], momentum=p["momentum"])

    torch.set_num_threads(1)  # a net this small only loses time to intra-op threads
    L.seed_everything(seed, verbose=False)
    X, y = torch.from_numpy(data.X), torch.from_numpy(data.y)
    gen = torch.Generator().manual_seed(seed)
    train_dl = DataLoader(TensorDataset(X, y), batch_size=p["batch_size"], shuffle=True,
                          drop_last=True, generator=gen)
    val = TensorDataset(torch.from_numpy(data.X_val), torch.from_numpy(data.y_val))
    val_dl = DataLoader(val, batch_size=len(val))
    trainer = L.Trainer(max_epochs=epochs, accelerator="cpu", logger=False,
                        enable_checkpointing=False, enable_progress_bar=False,
                        enable_model_summary=False, num_sanity_val_steps=0,
                        callbacks=[LightningPruningCallback(trial, monitor="val_acc")])
    trainer.fit(Net(), train_dl, val_dl)
    return float(trainer.callback_metrics["val_acc"].item())


if __name__ == "__main__":
    import logging

    import lightning

    logging.getLogger("lightning.pytorch").setLevel(logging.ERROR)
    tune("lightning", lightning.__version__, train)
