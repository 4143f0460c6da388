"""Batch norm at test time: running averages vs population statistics, and why one example
alone gets the same output as inside a batch (test time uses stored statistics, not the
batch's own).

    python examples/batchnorm_test_time.py
"""

from __future__ import annotations

import numpy as np


def main() -> dict[str, float]:
    from caviar import nn

    data = nn.load_dataset("digits", seed=0)
    base = {"hidden": 64, "depth": 2, "batch_size": 256, "bn_beta": 0.99, "epochs": 8,
            "lr": 3e-3, "seed": 0}
    result = nn.train_population([{**base, "bn_stats": "running"},
                                  {**base, "bn_stats": "population"}], data, threads=1)
    running, population = result.members
    print(f"exponentially weighted running averages: val acc {running.val_accuracy:.4f}")
    print(f"population statistics (whole training set): val acc "
          f"{population.val_accuracy:.4f}")
    probs = running.predict_proba(data.X_val)
    alone = running.predict_proba(data.X_val[:1])
    gap = float(np.abs(probs[0] - alone[0]).max())
    print(f"one example alone vs inside the batch: max |difference| = {gap:.2e}")
    return {"running": running.val_accuracy, "population": population.val_accuracy,
            "alone_gap": gap}


if __name__ == "__main__":
    main()
