"""The lecture's network in PyTensor (Theano's maintained successor): a symbolic graph,
``pytensor.grad``, and one compiled function whose ``updates`` do momentum SGD and batch
norm's running averages; tuned by caviar."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import BN_BETA, BN_EPS, N_CLASSES, accuracy, minibatches, report, tune


def train(trial: Any, data: Any, *, epochs: int, seed: int) -> float:
    import numpy as np
    import pytensor
    import pytensor.tensor as pt

    p = trial.params
    h = p["hidden"]
    rng = np.random.default_rng(seed)
    f = pytensor.config.floatX

    def shared(a: Any, name: str) -> Any:
        return pytensor.shared(np.asarray(a, dtype=f), name=name)

    def he(a: int, b: int, name: str) -> Any:
        return shared(rng.normal(size=(a, b)) * np.sqrt(2.0 / a), name)

    n_in = data.X.shape[1]
    W = [he(n_in, h, "W1"), he(h, h, "W2")]
    g = [shared(np.ones(h), "g1"), shared(np.ones(h), "g2")]
    b = [shared(np.zeros(h), "b1"), shared(np.zeros(h), "b2")]
    mus = [shared(np.zeros(h), "mu1"), shared(np.zeros(h), "mu2")]
    vs = [shared(np.ones(h), "var1"), shared(np.ones(h), "var2")]
    W3, c3 = he(h, N_CLASSES, "W3"), shared(np.zeros(N_CLASSES), "c3")
    x, y = pt.matrix("x", dtype=f), pt.ivector("y")

    def net(x: Any, training: bool) -> tuple[Any, list[tuple[Any, Any]]]:
        stat_updates = []
        a = x
        for i in range(2):
            z = a @ W[i]  # no bias: batch norm's beta (b) replaces it
            if training:
                mu, var = z.mean(0), z.var(0)
                stat_updates += [(mus[i], BN_BETA * mus[i] + (1 - BN_BETA) * mu),
                                 (vs[i], BN_BETA * vs[i] + (1 - BN_BETA) * var)]
            else:
                mu, var = mus[i], vs[i]
            a = pt.maximum(g[i] * (z - mu) / pt.sqrt(var + BN_EPS) + b[i], 0)
        return a @ W3 + c3, stat_updates

    logits, stat_updates = net(x, True)
    logp = logits - pt.logsumexp(logits, axis=1, keepdims=True)  # log softmax
    loss = -logp[pt.arange(y.shape[0]), y].mean()
    weights = [*W, *g, *b, W3, c3]
    grads = pytensor.grad(loss, weights)
    updates = list(stat_updates)
    for w, gr in zip(weights, grads, strict=True):
        v = pytensor.shared(np.zeros_like(w.get_value()))
        updates += [(v, p["momentum"] * v + gr), (w, w - p["lr"] * (p["momentum"] * v + gr))]
    step = pytensor.function([x, y], loss, updates=updates)
    predict = pytensor.function([x], net(x, False)[0])
    X, Y = data.X.astype(f), data.y.astype(np.int32)
    Xv = data.X_val.astype(f)
    acc = 0.0
    for epoch in range(epochs):
        for idx in minibatches(len(Y), p["batch_size"], rng):
            step(X[idx], Y[idx])
        acc = accuracy(predict(Xv), data.y_val)
        report(trial, epoch, acc)
    return acc


if __name__ == "__main__":
    import pytensor

    tune("pytensor", pytensor.__version__, train)
