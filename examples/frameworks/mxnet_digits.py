"""The lecture's network in MXNet Gluon, tuned by caviar.

MXNet 1.9.1 (its last release; the project is retired at Apache) imports only with
numpy < 1.24, so it has its own environment: ``bash examples/frameworks/setup_envs.sh mxnet``,
then ``.venv-mxnet/bin/python examples/frameworks/mxnet_digits.py``.
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


def build(hidden: int) -> Any:
    from mxnet.gluon import nn

    net = nn.HybridSequential()
    for _ in range(2):  # bias-free dense: batch norm's beta replaces it
        # MXNet writes the running average with beta itself (momentum=0.9 is beta = 0.9)
        net.add(nn.Dense(hidden, use_bias=False),
                nn.BatchNorm(momentum=BN_BETA, epsilon=BN_EPS), nn.Activation("relu"))
    net.add(nn.Dense(N_CLASSES))
    return net


def train(trial: Any, data: Any, *, epochs: int, seed: int) -> float:
    import mxnet as mx
    import numpy as np
    from mxnet import autograd, gluon

    p = trial.params
    mx.random.seed(seed)
    rng = np.random.default_rng(seed)
    net = build(p["hidden"])
    net.initialize(mx.init.Xavier(magnitude=2.0), ctx=mx.cpu())
    net.hybridize()
    trainer = gluon.Trainer(net.collect_params(), "sgd",
                            {"learning_rate": p["lr"], "momentum": p["momentum"]})
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()  # softmax + cross-entropy
    X, y = mx.nd.array(data.X), mx.nd.array(data.y)
    Xv = mx.nd.array(data.X_val)
    acc = 0.0
    for epoch in range(epochs):
        for idx in minibatches(len(data.y), p["batch_size"], rng):
            i = mx.nd.array(idx)
            with autograd.record():  # training mode: batch statistics
                loss = loss_fn(net(X.take(i)), y.take(i))
            loss.backward()
            trainer.step(len(idx))  # gradients are summed; step divides by the batch size
        acc = accuracy(net(Xv).asnumpy(), data.y_val)  # running averages outside record()
        report(trial, epoch, acc)
    return acc


if __name__ == "__main__":
    quiet_logs()
    import mxnet

    tune("mxnet", mxnet.__version__, train)
