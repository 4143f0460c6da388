"""The lecture's batch-norm MLP as a plain torch.nn.Module, tuned a population at a time.

Linear (no bias: batch norm's beta replaces it) -> BatchNorm1d -> ReLU, twice, then a softmax
classifier, on scikit-learn's 8x8 digits. Every population of trials trains as one batched
program per width (members of one width are stacked; each keeps its own running statistics).

    python examples/torch_bn_mlp_digits.py
"""

from __future__ import annotations

import torch
import torch.nn as nn

import caviar
import caviar.torch as ct
from caviar.nn import load_dataset


class BNMLP(nn.Module):
    def __init__(self, n_in: int, hidden: int, n_classes: int, bn_momentum: float) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        for i in range(2):
            layers += [nn.Linear(n_in if i == 0 else hidden, hidden, bias=False),
                       nn.BatchNorm1d(hidden, momentum=bn_momentum), nn.ReLU()]
        self.body = nn.Sequential(*layers)
        self.head = nn.Linear(hidden, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))


def member(trial: caviar.Trial) -> ct.Member:
    model = BNMLP(64, trial.suggest_categorical("hidden", [32, 64]), 10, bn_momentum=0.1)
    return ct.Member(model, optimizer="adam",
                     lr=trial.suggest_float("lr", 1e-4, 1e-1, log=True),
                     betas=(trial.suggest_float("beta1", 0.8, 0.99, scale="reverse_log"),
                            trial.suggest_float("beta2", 0.99, 0.9999, scale="reverse_log")),
                     batch_size=trial.suggest_categorical("batch_size", [32, 64]))


def data() -> tuple[tuple[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]:
    d = load_dataset("digits", seed=0)
    f = torch.float32
    return ((torch.tensor(d.X_train, dtype=f), torch.tensor(d.y_train)),
            (torch.tensor(d.X_val, dtype=f), torch.tensor(d.y_val)))


def main(n_trials: int = 64, population: int = 32, epochs: int = 10,
         storage: str = "sqlite:///torch_examples.db") -> caviar.Study:
    train, val = data()
    study = caviar.create_study("bn-mlp-digits", storage=storage, direction="maximize", seed=0)
    ct.optimize(study, member, train=train, val=val, epochs=epochs, population=population,
                n_trials=n_trials, on_groups=lambda g: print("programs:", "; ".join(g)))
    best = study.best_trial
    model = ct.load_model(study, best.number, member)  # the user's own BNMLP, trained
    with torch.no_grad():
        acc = (model(val[0]).argmax(1) == val[1]).float().mean().item()
    print(f"best trial {best.number}: {best.params}; validation accuracy {best.value:.4f} "
          f"(reloaded model: {acc:.4f})")
    return study


if __name__ == "__main__":
    main()
