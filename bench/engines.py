"""One engine or two: caviar.torch (any nn.Module, torch.func) against caviar.nn (the
hand-written BN-MLP engine) on the built-in BN-MLP, side by side in one run.

Both sides train the same configs (drawn once from a seeded space: Adam with mixed lr,
beta1 and beta2; 2 hidden layers of 64 with batch norm, batch 64), on the same digits data,
for the same epochs, at 1 torch thread, with a validation pass per epoch. caviar.torch gets
the very module caviar.nn's reference builds for each config (caviar.nn.reference_module:
same layers, same initial weights, batch-norm momentum 1 - bn_beta). The batch orders differ
(caviar.nn draws one per member, caviar.torch runs batch_order="per_member" with its own
orders), so accuracies agree in distribution, not number for number. The repeats alternate
the two engines; each figure is a median. The ratio is caviar.torch's seconds per trial over
caviar.nn's (above 1: caviar.torch is slower).

    python bench/engines.py            # P = 8, 32, 128, 5 epochs, 3 repeats
    python bench/engines.py --quick    # tiny sizes, for the test suite
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

import torch  # noqa: E402

import caviar.torch as ct  # noqa: E402
from caviar.nn import load_dataset, train_population  # noqa: E402
from caviar.nn.config import parse_config  # noqa: E402
from caviar.nn.reference import reference_module  # noqa: E402


def configs(n: int, epochs: int, seed: int = 0) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    return [{"lr": float(10 ** rng.uniform(-3.5, -1.5)),
             "beta1": float(1 - 10 ** rng.uniform(-2, -1)),
             "beta2": float(1 - 10 ** rng.uniform(-4, -2)),
             "hidden": 64, "depth": 2, "batch_size": 64, "optimizer": "adam",
             "batch_norm": True, "epochs": epochs, "seed": i} for i in range(n)]


def run_nn(cfgs: list[dict[str, Any]], data: Any) -> tuple[float, float]:
    start = time.perf_counter()
    res = train_population(cfgs, data, threads=1)
    seconds = time.perf_counter() - start
    return seconds / len(cfgs), float(np.mean([m.val_accuracy for m in res.members]))


def run_torch(cfgs: list[dict[str, Any]], data: Any, epochs: int) -> tuple[float, float]:
    torch.set_num_threads(1)
    members = []
    for raw in cfgs:
        cfg = parse_config(raw)
        model = reference_module(cfg, data.n_features, data.n_classes, dtype=torch.float32)
        members.append(ct.Member(model, optimizer="adam", lr=cfg.lr,
                                 betas=(cfg.beta1, cfg.beta2), eps=cfg.eps,
                                 batch_size=cfg.batch_size, order_seed=cfg.seed))
    x = torch.as_tensor(data.X_train, dtype=torch.float32)
    y = torch.as_tensor(data.y_train, dtype=torch.long)
    xv = torch.as_tensor(data.X_val, dtype=torch.float32)
    yv = torch.as_tensor(data.y_val, dtype=torch.long)
    start = time.perf_counter()
    res = ct.train_population(members, (x, y), (xv, yv), epochs=epochs,
                              batch_order="per_member")
    seconds = time.perf_counter() - start
    return seconds / len(cfgs), float(np.mean([m.metric for m in res.members]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    sizes, epochs, repeats = ([4], 1, 1) if args.quick else ([8, 32, 128], 5, 3)
    data = load_dataset("digits", seed=0)
    load = os.getloadavg()[0]
    print(f"engines: BN-MLP 2x64 (Linear no bias + BatchNorm1d + ReLU), Adam, batch 64, "
          f"digits ({len(data.X_train)} train), {epochs} epoch(s), 1 thread, float32, median of "
          f"{repeats}; load average {load:.1f} at the start")
    run_nn(configs(2, 1), data)  # warm both engines outside the clock
    run_torch(configs(2, 1), data, 1)
    for P in sizes:
        cfgs = configs(P, epochs)
        t_nn, t_ct, acc_nn, acc_ct = [], [], 0.0, 0.0
        for _ in range(repeats):
            s, acc_nn = run_nn(cfgs, data)
            t_nn.append(s)
            s, acc_ct = run_torch(cfgs, data, epochs)
            t_ct.append(s)
        a, b = statistics.median(t_nn), statistics.median(t_ct)
        print(f"P={P:4d}  caviar.nn {a * 1e3:8.1f} ms/trial  caviar.torch {b * 1e3:8.1f} "
              f"ms/trial  caviar.torch / caviar.nn = {b / a:.2f}x  val acc nn {acc_nn:.4f} "
              f"torch {acc_ct:.4f}")
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
