"""Options of caviar.torch beyond the defaults: a module torch.func cannot batch, trained one
member at a time; each trial in its own data order; and the per-epoch checkpoints a retried
trial resumes from.

``Tracker`` keeps a running sum of its mean logit in a plain tensor attribute (not a
registered buffer), updated in place, which vmap cannot batch: by default such a module is
refused before training; ``unbatchable="one_at_a_time"`` trains its members one by one (the
other groups stay batched).
``batch_order="per_member"`` gives every trial its own shuffling (seeded by its number).
Every member is checkpointed after every epoch: the last line shows the epochs stored.

    python examples/torch_one_at_a_time.py
"""

from __future__ import annotations

import torch
import torch.nn as nn

import caviar
import caviar.torch as ct
from caviar.nn import load_dataset


class Tracker(nn.Module):
    def __init__(self, hidden: int) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(64, hidden), nn.LayerNorm(hidden), nn.ReLU(),
                                 nn.Linear(hidden, 10))
        self.logit_sum = torch.zeros(())  # bookkeeping in a plain attribute: not batchable

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.net(x)
        if self.training:
            self.logit_sum += out.detach().mean()
        return out


def member(trial: caviar.Trial) -> ct.Member:
    return ct.Member(Tracker(trial.suggest_categorical("hidden", [32, 64])), optimizer="adamw",
                     lr=trial.suggest_float("lr", 1e-3, 3e-2, log=True),
                     weight_decay=trial.suggest_float("weight_decay", 1e-5, 1e-2, log=True),
                     batch_size=32)


def main(n_trials: int = 8, population: int = 4, epochs: int = 4,
         storage: str = "sqlite:///torch_examples.db") -> caviar.Study:
    d = load_dataset("digits", seed=0)
    f = torch.float32
    train = (torch.tensor(d.X_train, dtype=f), torch.tensor(d.y_train))
    val = (torch.tensor(d.X_val, dtype=f), torch.tensor(d.y_val))
    study = caviar.create_study("one-at-a-time", storage=storage, direction="maximize", seed=0)
    ct.optimize(study, member, train=train, val=val, epochs=epochs, population=population,
                n_trials=n_trials, unbatchable="one_at_a_time", batch_order="per_member",
                on_groups=lambda g: print("programs:", "; ".join(g)))
    best = study.best_trial
    steps = sorted(e.payload["step"] for e in study.storage.get_events(best.id)
                   if e.kind == "checkpoint")
    print(f"best trial {best.number}: {best.params}; validation accuracy {best.value:.4f}; "
          f"checkpoints after epochs {steps}")
    return study


if __name__ == "__main__":
    main()
