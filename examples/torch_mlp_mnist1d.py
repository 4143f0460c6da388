"""An MLP with Dropout and LayerNorm on mnist1d (the mnist1d package's make_dataset: 4,000
procedurally generated 40-point signals, nothing downloads), tuned a population at a time
with caviar.torch. Each member draws its own Dropout masks; validation runs in eval mode.

    python examples/torch_mlp_mnist1d.py
"""

from __future__ import annotations

import torch
import torch.nn as nn

import caviar
import caviar.torch as ct
from caviar.nn import load_dataset


def mlp(width: int, p: float) -> nn.Module:
    return nn.Sequential(nn.Linear(40, width), nn.LayerNorm(width), nn.GELU(), nn.Dropout(p),
                         nn.Linear(width, width), nn.LayerNorm(width), nn.GELU(), nn.Dropout(p),
                         nn.Linear(width, 10))


def member(trial: caviar.Trial) -> ct.Member:
    width = trial.suggest_categorical("width", [64, 128])
    p = trial.suggest_categorical("dropout", [0.0, 0.1, 0.2])
    lr = trial.suggest_float("lr", 1e-3, 3e-2, log=True)
    return ct.Member(mlp(width, p), optimizer="adamw", lr=lr,
                     weight_decay=trial.suggest_float("weight_decay", 1e-4, 1e-1, log=True),
                     batch_size=trial.suggest_categorical("batch_size", [32, 64, 128]),
                     schedule=ct.cosine_lr(t_max=20), clip_grad_norm=1.0)


def data() -> tuple[tuple[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]:
    d = load_dataset("mnist1d", seed=0)
    f = torch.float32
    return ((torch.tensor(d.X_train, dtype=f), torch.tensor(d.y_train)),
            (torch.tensor(d.X_val, dtype=f), torch.tensor(d.y_val)))


def main(n_trials: int = 48, population: int = 24, epochs: int = 20,
         storage: str = "sqlite:///torch_examples.db") -> caviar.Study:
    train, val = data()
    study = caviar.create_study("mlp-mnist1d", storage=storage, direction="maximize", seed=0)
    ct.optimize(study, member, train=train, val=val, epochs=epochs, population=population,
                n_trials=n_trials, on_groups=lambda g: print("programs:", "; ".join(g)))
    best = study.best_trial
    print(f"best trial {best.number}: {best.params}; validation accuracy {best.value:.4f}")
    return study


if __name__ == "__main__":
    main()
