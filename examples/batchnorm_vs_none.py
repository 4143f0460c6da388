"""Batch norm vs no batch norm over a range of learning rates, on 5,000 real MNIST digits.

All 12 networks (6 learning rates x batch norm on/off) train at once as one population.
With batch norm, small learning rates train faster and large ones stay trainable; without it
the largest diverge (NaN: that member fails alone, the others carry on).

    python examples/batchnorm_vs_none.py [--epochs 5]
"""

from __future__ import annotations

import argparse

LRS = [1e-3, 1e-2, 1e-1, 0.3, 1.0, 3.0]


def main(epochs: int = 5) -> dict[tuple[bool, float], float]:
    from caviar import nn

    data = nn.load_dataset("mnist5k", seed=0)
    base = {"optimizer": "sgd", "hidden": 64, "depth": 2, "batch_size": 64, "epochs": epochs,
            "seed": 0}
    configs = [{**base, "lr": lr, "batch_norm": bn} for bn in (True, False) for lr in LRS]
    result = nn.train_population(configs, data, threads=2)
    out = {}
    print(f"validation accuracy after {epochs} epochs of SGD on MNIST-5k")
    print("lr        " + "  ".join(f"{lr:>7g}" for lr in LRS))
    for bn in (True, False):
        accs = []
        for lr in LRS:
            i = configs.index({**base, "lr": lr, "batch_norm": bn})
            m = result.members[i]
            acc = m.val_accuracy if m.state == "complete" else float("nan")
            out[(bn, lr)] = acc
            accs.append(acc)
        print(f"{'BN' if bn else 'no BN':8s}  " + "  ".join(f"{a:7.3f}" for a in accs))
    return out


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=5)
    main(ap.parse_args().epochs)
