"""The lecture's network in PyTorch, tuned by caviar. See common.py for the shared parts."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import BN_BETA, BN_EPS, N_CLASSES, accuracy, minibatches, report, tune


def build(n_in: int, hidden: int) -> Any:
    from torch import nn

    def block(a: int, b: int) -> list[nn.Module]:  # bias-free linear: batch norm's beta replaces it
        return [nn.Linear(a, b, bias=False), nn.BatchNorm1d(b, eps=BN_EPS, momentum=1 - BN_BETA),
                nn.ReLU()]

    return nn.Sequential(*block(n_in, hidden), *block(hidden, hidden),
                         nn.Linear(hidden, N_CLASSES))  # softmax lives in the loss


def train(trial: Any, data: Any, *, epochs: int, seed: int) -> float:
    import numpy as np
    import torch

    p = trial.params
    torch.set_num_threads(1)  # a net this small only loses time to intra-op threads
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = build(data.X.shape[1], p["hidden"])
    opt = torch.optim.SGD(model.parameters(), lr=p["lr"], momentum=p["momentum"])
    X, y = torch.from_numpy(data.X), torch.from_numpy(data.y)
    Xv = torch.from_numpy(data.X_val)
    loss_fn = torch.nn.CrossEntropyLoss()  # softmax + cross-entropy
    acc = 0.0
    for epoch in range(epochs):
        model.train()
        for idx in minibatches(len(y), p["batch_size"], rng):
            i = torch.from_numpy(idx)
            opt.zero_grad()
            loss_fn(model(X[i]), y[i]).backward()
            opt.step()
        model.eval()  # batch norm uses its running averages
        with torch.no_grad():
            acc = accuracy(model(Xv).numpy(), data.y_val)
        report(trial, epoch, acc)
    return acc


if __name__ == "__main__":
    import torch

    tune("pytorch", torch.__version__, train)
