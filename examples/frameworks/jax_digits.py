"""The lecture's network in plain JAX (no Flax): batch norm written out, gradients by
``jax.grad``, one ``jax.jit`` step; tuned by caviar."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import BN_BETA, BN_EPS, N_CLASSES, accuracy, minibatches, report, tune


def init(key: Any, n_in: int, hidden: int) -> tuple[dict[str, Any], dict[str, Any]]:
    import jax
    import jax.numpy as jnp

    k1, k2, k3 = jax.random.split(key, 3)

    def he(k: Any, a: int, b: int) -> Any:
        return jax.random.normal(k, (a, b)) * jnp.sqrt(2.0 / a)

    params = {"W1": he(k1, n_in, hidden), "g1": jnp.ones(hidden), "b1": jnp.zeros(hidden),
              "W2": he(k2, hidden, hidden), "g2": jnp.ones(hidden), "b2": jnp.zeros(hidden),
              "W3": he(k3, hidden, N_CLASSES), "c3": jnp.zeros(N_CLASSES)}
    stats = {f"{s}{i}": (jnp.zeros(hidden) if s == "mu" else jnp.ones(hidden))
             for s in ("mu", "var") for i in (1, 2)}
    return params, stats


def forward(params: dict[str, Any], stats: dict[str, Any], x: Any, training: bool
            ) -> tuple[Any, dict[str, Any]]:
    import jax.numpy as jnp

    new = dict(stats)
    h = x
    for i in (1, 2):
        z = h @ params[f"W{i}"]  # no bias: batch norm's beta (b) replaces it
        if training:
            mu, var = z.mean(0), z.var(0)
            new[f"mu{i}"] = BN_BETA * stats[f"mu{i}"] + (1 - BN_BETA) * mu
            new[f"var{i}"] = BN_BETA * stats[f"var{i}"] + (1 - BN_BETA) * var
        else:
            mu, var = stats[f"mu{i}"], stats[f"var{i}"]
        h = jnp.maximum(params[f"g{i}"] * (z - mu) / jnp.sqrt(var + BN_EPS) + params[f"b{i}"], 0)
    return h @ params["W3"] + params["c3"], new


def _loss(params: Any, stats: Any, x: Any, y: Any) -> tuple[Any, Any]:
    import jax
    import jax.numpy as jnp

    logits, new = forward(params, stats, x, True)
    logp = jax.nn.log_softmax(logits)  # softmax + cross-entropy
    return -jnp.take_along_axis(logp, y[:, None], 1).mean(), new


def _step(params: Any, stats: Any, velocity: Any, x: Any, y: Any, lr: Any, mom: Any) -> Any:
    import jax

    grads, new = jax.grad(_loss, has_aux=True)(params, stats, x, y)
    velocity = jax.tree_util.tree_map(lambda v, g: mom * v + g, velocity, grads)
    params = jax.tree_util.tree_map(lambda w, v: w - lr * v, params, velocity)
    return params, new, velocity


_JIT: dict[str, Any] = {}  # compiled once per process; re-traced only for new shapes


def train(trial: Any, data: Any, *, epochs: int, seed: int) -> float:
    import jax
    import jax.numpy as jnp
    import numpy as np

    if not _JIT:
        _JIT["step"] = jax.jit(_step)
        _JIT["predict"] = jax.jit(lambda params, stats, x: forward(params, stats, x, False)[0])
    step, predict = _JIT["step"], _JIT["predict"]
    p = trial.params
    lr, mom = jnp.float32(p["lr"]), jnp.float32(p["momentum"])
    params, stats = init(jax.random.PRNGKey(seed), data.X.shape[1], p["hidden"])
    velocity = jax.tree_util.tree_map(jnp.zeros_like, params)
    rng = np.random.default_rng(seed)
    X, y, Xv = jnp.asarray(data.X), jnp.asarray(data.y), jnp.asarray(data.X_val)
    acc = 0.0
    for epoch in range(epochs):
        for idx in minibatches(len(data.y), p["batch_size"], rng):
            params, stats, velocity = step(params, stats, velocity, X[idx], y[idx], lr, mom)
        acc = accuracy(predict(params, stats, Xv), data.y_val)
        report(trial, epoch, acc)
    return acc

if __name__ == "__main__":
    import jax

    jax.config.update("jax_platforms", "cpu")
    tune("jax", jax.__version__, train)
