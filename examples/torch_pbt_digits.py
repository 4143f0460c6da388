"""PBT on your own torch.nn.Module: a batch-norm MLP on the digits, beside random search.

Both runs train the same number of members for the same epochs (equal compute). Under PBT,
every two epochs the worst quarter of the population copies a member of the best quarter
(weights, batch-norm statistics, Adam moments) and moves its lr and beta1 a little; the
network's shape is fixed in the member function, because PBT explores only optimizer
hyperparameters a member can change while it trains. The lineage shows who copied whom.

    python examples/torch_pbt_digits.py
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn as nn

import caviar
import caviar.torch as ct
from caviar.adapters.schedule_lineage import lineage_text
from caviar.nn import load_dataset
from caviar.schedulers import PBT


class BNMLP(nn.Module):
    def __init__(self, hidden: int = 64) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Linear(64, hidden, bias=False), nn.BatchNorm1d(hidden),
                                  nn.ReLU())
        self.head = nn.Linear(hidden, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))


def member(trial: caviar.Trial) -> ct.Member:
    lr = trial.suggest_float("lr", 1e-4, 1e-1, log=True)
    beta1 = trial.suggest_float("beta1", 0.5, 0.99, scale="reverse_log")
    return ct.Member(BNMLP(), optimizer="adam", lr=lr, betas=(beta1, 0.999), batch_size=64)


def data() -> tuple[tuple[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]:
    d = load_dataset("digits", seed=0)
    f = torch.float32
    return ((torch.tensor(d.X_train, dtype=f), torch.tensor(d.y_train)),
            (torch.tensor(d.X_val, dtype=f), torch.tensor(d.y_val)))


def main(population: int = 16, epochs: int = 8) -> dict[str, Any]:
    train, val = data()
    out: dict[str, Any] = {}
    for name, scheduler in (("random", None), ("pbt", PBT(interval=2, quantile=0.25, seed=0))):
        study = caviar.create_study(direction="maximize", seed=0)
        ct.optimize(study, member, train=train, val=val, epochs=epochs, population=population,
                    n_trials=population, scheduler=scheduler)
        print(f"{name}: best validation accuracy {study.best_value:.4f}")
        out[name] = study
    print(lineage_text(out["pbt"].trials))
    return out


if __name__ == "__main__":
    main()
