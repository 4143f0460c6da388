"""Babysit one model (the lecture's "panda" approach) with your own objective.

The objective reads its mutable params through ``trial.hyper(name)`` every epoch, reports
every epoch (where nudges, pause and stop land) and checkpoints every epoch, so a crash
resumes and a rewind can branch from any epoch. Run it, and from another terminal:

    caviar nudge 0 lr=0.05 --storage sqlite:///babysit-example.db --study softmax
    caviar pause 0 ... / caviar resume 0 ... / caviar stop 0 ...
    caviar rewind 0 --epoch 3 lr=0.02 ...
    caviar history 0 ...

With ``--demo-nudge`` this script nudges its own run after two epochs, as a second terminal
would, and prints the history (the test in tests/examples runs it that way).
"""

from __future__ import annotations

import argparse
import threading
import time

import numpy as np

import caviar
from caviar import panda


def load_digits_arrays():
    from sklearn.datasets import load_digits

    d = load_digits()
    x = (d.data - d.data.mean(0)) / (d.data.std(0) + 1e-8)
    return x[:1400], d.target[:1400], x[1400:], d.target[1400:]


def objective(trial, epochs=8):
    """Softmax regression in NumPy, trained by mini-batch gradient descent with momentum."""
    trial.suggest_float("lr", 1e-4, 1.0, log=True)
    trial.suggest_float("momentum", 0.5, 0.999, scale="reverse_log")
    batch = trial.suggest_categorical("batch_size", [32, 64, 128])   # immutable: read once
    x, y, xv, yv = load_digits_arrays()
    w, v, start = np.zeros((64, 10)), np.zeros((64, 10)), 0
    got = trial.restore()                              # a resumed or branched run
    if got is not None:
        state, step = got
        w, v, start = state["w"], state["v"], step + 1
    acc = 0.0
    for epoch in range(start, epochs):
        lr, beta = trial.hyper("lr"), trial.hyper("momentum")   # nudges land here
        order = np.random.default_rng([0, epoch]).permutation(len(x))
        for a in range(0, len(x), batch):
            idx = order[a:a + batch]
            z = x[idx] @ w
            p = np.exp(z - z.max(1, keepdims=True))
            p /= p.sum(1, keepdims=True)
            p[np.arange(len(idx)), y[idx]] -= 1.0            # y_hat - y
            v = beta * v + (1 - beta) * (x[idx].T @ p / len(idx))
            w = w - lr * v
        acc = float(((xv @ w).argmax(1) == yv).mean())
        trial.report(acc, epoch)                        # the step boundary
        trial.checkpoint({"w": w, "v": v}, epoch)
    return acc


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--storage", default="sqlite:///babysit-example.db")
    ap.add_argument("--demo-nudge", action="store_true")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args()
    study = caviar.create_study("softmax", storage=args.storage, direction="maximize")

    def nudger(trial) -> None:  # what `caviar nudge N lr=0.05` does from another terminal
        def run() -> None:
            while len(trial.reports) < 2:
                time.sleep(0.01)
            rec = study.storage.get_study(study.name)
            t = panda.locate(study.storage, study.name, trial.number)[1]
            panda.nudge(study.storage, rec, t, panda.parse_changes(["lr=0.05"]),
                        source="example")
        threading.Thread(target=run, daemon=True).start()

    out = panda.babysit(study, objective, params={"lr": 0.2, "momentum": 0.9,
                                                  "batch_size": 64},
                        epochs=8, quiet=args.quiet,
                        min_epoch_seconds=0.1 if args.demo_nudge else 0.0,
                        on_start=nudger if args.demo_nudge else None)
    print(f"trial {out.number}: {out.state}, validation accuracy {out.value:.4f}")
    for row in panda.history_rows(study.storage.get_events(out.id)):
        print(f"  {row['kind']} {row['detail']} -> {row['status']} at epoch {row['epoch']}")
    print("lr per epoch:", [s["lr"] for s in out.user_attrs["schedule"]])


if __name__ == "__main__":
    main()
