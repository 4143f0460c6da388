"""What every framework example shares: the data, the search space, the network's shape and
the tuning loop. Each ``<framework>_digits.py`` only writes ``train(trial, data, epochs, seed)``.

The lecture's network: 64 inputs -> [linear (no bias) -> batch norm -> ReLU] x 2 -> linear ->
softmax, trained by mini-batch gradient descent with momentum on scikit-learn's digits
(8x8 images, 10 classes), standardized with the training split's statistics. Batch norm's
running averages use beta = 0.9 (the lecture's convention; PyTorch's momentum=0.1).

The search space is the same for every framework (the lecture's scales):

- ``lr``         log scale, [1e-3, 1]
- ``momentum``   reverse-log scale, [0.5, 0.99] (1 - momentum log-uniform)
- ``hidden``     log scale, [16, 128] units in each hidden layer
- ``batch_size`` one of 16, 32, 64, 128

Run one: ``python examples/frameworks/torch_digits.py [--trials 20 --epochs 10]``;
``--quick`` (3 trials, 2 epochs, 600 examples) is what the tests run; ``--json`` prints one
JSON line for bench/frameworks.py.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

import caviar
from caviar.retest import trial_seed

SPACE = {
    "lr": caviar.Float(1e-3, 1.0, scale="log"),
    "momentum": caviar.Float(0.5, 0.99, scale="reverse_log"),
    "hidden": caviar.Int(16, 128, scale="log"),
    "batch_size": caviar.Choice([16, 32, 64, 128]),
}
BN_BETA = 0.9  # running average: v = beta * v + (1 - beta) * batch statistic
BN_EPS = 1e-5
N_CLASSES = 10


@dataclass
class Data:
    X: np.ndarray  # float32 [n, 64], standardized
    y: np.ndarray  # int64 [n]
    X_val: np.ndarray
    y_val: np.ndarray


def load_data(subset: int | None = None, seed: int = 0) -> Data:
    """Digits, shuffled with ``seed``, optionally the first ``subset`` examples, split 80/20."""
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    order = np.random.default_rng(seed).permutation(len(y))
    if subset:
        order = order[:subset]
    X, y = X[order].astype(np.float64), y[order].astype(np.int64)
    cut = int(0.8 * len(y))
    mu, sd = X[:cut].mean(0), X[:cut].std(0) + 1e-6
    X = ((X - mu) / sd).astype(np.float32)
    return Data(X[:cut], y[:cut], X[cut:], y[cut:])


def minibatches(n: int, batch_size: int, rng: np.random.Generator) -> Iterator[np.ndarray]:
    """Shuffled index batches of exactly ``batch_size`` (the remainder is dropped: batch norm
    needs more than one example, and fixed shapes keep JIT frameworks from recompiling)."""
    order = rng.permutation(n)
    for a in range(0, n - batch_size + 1, batch_size):
        yield order[a:a + batch_size]


def report(trial: Any, epoch: int, accuracy: float) -> None:
    """Report one epoch's validation accuracy; raise TrialPruned when the pruner says so."""
    trial.report(float(accuracy), epoch)
    if trial.should_prune():
        raise caviar.TrialPruned(f"pruned at epoch {epoch}")


def accuracy(logits: Any, y: np.ndarray) -> float:
    return float((np.asarray(logits).argmax(1) == y).mean())


Train = Callable[..., float]


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=12)
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--subset", type=int, default=None, help="use the first N examples")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--storage", default="memory")
    ap.add_argument("--study", default=None)
    ap.add_argument("--quick", action="store_true", help="3 trials, 2 epochs, 600 examples")
    ap.add_argument("--json", action="store_true", help="print one JSON result line")
    args = ap.parse_args(argv)
    if args.quick:
        args.trials, args.epochs, args.subset = 3, 2, args.subset or 600
    return args


def tune(framework: str, version: str, train: Train, argv: list[str] | None = None
         ) -> dict[str, Any]:
    """Tune ``train`` with caviar over SPACE; print and return the result."""
    args = parse(argv)
    data = load_data(args.subset, seed=0)
    epochs = args.epochs

    def objective(trial: Any) -> float:
        return train(trial, data, epochs=epochs, seed=trial_seed(trial))

    study = caviar.create_study(args.study or f"frameworks-{framework}", storage=args.storage,
                                direction="maximize", space=SPACE, seed=args.seed,
                                pruner="median")
    start = time.perf_counter()
    study.optimize(objective, n_trials=args.trials)
    seconds = time.perf_counter() - start
    ran = sum(1 for t in study.trials if t.state in ("complete", "pruned"))
    result = {"framework": framework, "version": version, "trials": ran,
              "epochs": epochs, "n_train": len(data.y),
              "seconds_per_trial": seconds / max(1, ran), "best_value": study.best_value,
              "best_params": study.best_params, "counts": study.counts()}
    if args.json:
        print("RESULT " + json.dumps(result), flush=True)
    else:
        print(f"{framework} {version}: {ran} trials, {result['seconds_per_trial']:.2f} s/trial, "
              f"best validation accuracy {study.best_value:.3f} with {study.best_params}")
    return result


def quiet_logs() -> None:
    """Keep framework chatter (TensorFlow, Paddle) off the terminal."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("GLOG_minloglevel", "2")
    os.environ.setdefault("FLAGS_call_stack_level", "0")
    sys.stderr.flush()
