"""The lecture's network in PaddlePaddle (``paddle.nn``, dynamic graph), tuned by caviar.

Needs its own environment (paddlepaddle pins its own protobuf and friends):
``bash examples/frameworks/setup_envs.sh paddle``, then
``.venv-paddle/bin/python examples/frameworks/paddle_digits.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (
    BN_BETA,
    BN_EPS,
    N_CLASSES,
    accuracy,
    minibatches,
    quiet_logs,
    report,
    tune,
)


def build(n_in: int, hidden: int) -> Any:
    from paddle import nn

    def block(a: int, b: int) -> list[Any]:  # bias-free linear: batch norm's beta replaces it
        # Paddle writes the running average with beta itself (momentum=0.9 is beta = 0.9)
        return [nn.Linear(a, b, bias_attr=False),
                nn.BatchNorm1D(b, momentum=BN_BETA, epsilon=BN_EPS), nn.ReLU()]

    return nn.Sequential(*block(n_in, hidden), *block(hidden, hidden),
                         nn.Linear(hidden, N_CLASSES))


def train(trial: Any, data: Any, *, epochs: int, seed: int) -> float:
    import numpy as np
    import paddle

    p = trial.params
    paddle.seed(seed)
    rng = np.random.default_rng(seed)
    model = build(data.X.shape[1], p["hidden"])
    opt = paddle.optimizer.Momentum(learning_rate=p["lr"], momentum=p["momentum"],
                                    parameters=model.parameters())
    X, y = paddle.to_tensor(data.X), paddle.to_tensor(data.y)
    Xv = paddle.to_tensor(data.X_val)
    loss_fn = paddle.nn.CrossEntropyLoss()  # softmax + cross-entropy
    acc = 0.0
    for epoch in range(epochs):
        model.train()
        for idx in minibatches(len(data.y), p["batch_size"], rng):
            i = paddle.to_tensor(idx)
            loss = loss_fn(model(paddle.gather(X, i)), paddle.gather(y, i))
            loss.backward()
            opt.step()
            opt.clear_grad()
        model.eval()  # batch norm uses its running averages
        with paddle.no_grad():
            acc = accuracy(model(Xv).numpy(), data.y_val)
        report(trial, epoch, acc)
    return acc


if __name__ == "__main__":
    quiet_logs()
    import paddle

    paddle.set_device("cpu")
    tune("paddlepaddle", paddle.__version__, train)
