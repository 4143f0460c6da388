"""Seconds per trial: caviar's population engine against plain PyTorch, side by side.

Workload: sklearn digits, BN-MLP with 2 hidden layers x 64, Adam (lr 1e-3), mini-batch 64,
20 epochs, float32. Scenarios:

  (a) one model at a time in plain torch.nn + torch.optim (the peer; caviar.nn.train_reference)
  (b) the peer in 2 processes x 1 thread (what an Optuna user gets on 2 cores)
  (c) caviar populations of P = 16, 64, 256 at 1 and 2 threads
  (d) a caviar population drawn from a tuning space (lr log 1e-4..1e-1, beta1/beta2 reverse-log,
      width log-int 16..128, depth 1..3, batch 32/64/128, bn_beta reverse-log): members differ
      in width and every scalar and fall into sub-populations by depth and batch size; parity
      is checked against the peer trained on the same configs.
  (b') the warm-worker peer: 2 worker processes x 1 thread, started and warmed (one tiny trial
      each) BEFORE the timed region, each training one torch.nn model at a time and taking the
      next config when free (what an Optuna user gets on 2 cores)
  (e) the space `make run` tunes (caviar.adapters.MLP_SPACE with MLP_FIXED: lr log, betas
      reverse-log, hidden 16..256 log, depth 1..3, batch 32/64/128/256, bn_beta): the same
      configs, drawn once, trained by caviar and by the warm peer; seconds per trial of each
      side, the ratio, and both sides' mean validation accuracy (parity).

Prints medians over --repeats, ratios against (a), the mean validation accuracy of each
scenario, and (with --profile) where the time of a P=64 population goes. Writes the table to
bench/results/population.txt (population-quick.txt with --quick).

    python bench/population.py                # the full benchmark (~10 minutes on 2 cores)
    python bench/population.py --quick        # small sizes, for the test suite (< 60 s)
    python bench/population.py --profile      # also the profile of one P=64 run
    python bench/population.py --steps        # eager vs compiled step (uniform, MLP_SPACE)
    python bench/population.py --space-only --threads 1   # MLP_SPACE and the warm peer only,
                                              # written to results/population-space.txt
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

import torch  # noqa: E402

from caviar.nn import Dataset, load_dataset, train_population, train_reference  # noqa: E402

BASE: dict[str, Any] = {
    "hidden": 64,
    "depth": 2,
    "batch_norm": True,
    "optimizer": "adam",
    "lr": 1e-3,
    "batch_size": 64,
    "epochs": 20,
}


def peer_trials(configs: list[dict[str, Any]], data: Dataset, threads: int) -> list[float]:
    """Train configs one at a time with plain torch.nn; returns their validation accuracies."""
    torch.set_num_threads(threads)
    return [train_reference(c, data, dtype=torch.float32)[1][-1][2] for c in configs]


def _peer_worker(args: tuple[list[dict[str, Any]], Dataset]) -> list[float]:
    return peer_trials(args[0], args[1], 1)


def peer_processes(configs: list[dict[str, Any]], data: Dataset, processes: int) -> list[float]:
    """Cold pool: process start-up inside the timed region (kept for comparison with old runs)."""
    chunks = [configs[i::processes] for i in range(processes)]
    with mp.get_context("spawn").Pool(processes) as pool:
        return [a for part in pool.map(_peer_worker, [(c, data) for c in chunks]) for a in part]


_WORKER_DATA: list[Dataset] = []


def _warm_init(data: Dataset) -> None:
    torch.set_num_threads(1)
    _WORKER_DATA.append(data)
    train_reference({**BASE, "epochs": 1, "hidden": 8}, data, dtype=torch.float32)  # warm-up


def _warm_ping(_: int) -> int:
    time.sleep(0.2)
    return os.getpid()


def _warm_trial(config: dict[str, Any]) -> float:
    return train_reference(config, _WORKER_DATA[0], dtype=torch.float32)[1][-1][2]


class WarmPeer:
    """What an Optuna user has on 2 cores: worker processes x 1 thread, already started and
    warmed (one tiny trial each) before the timed region, each training one torch.nn model at a
    time and taking the next config when it is free."""

    def __init__(self, data: Dataset, processes: int = 2) -> None:
        self.pool = mp.get_context("spawn").Pool(processes, _warm_init, (data,))
        seen: set[int] = set()
        while len(seen) < processes:  # every worker has run its initializer (and warm-up)
            seen.update(self.pool.map(_warm_ping, range(processes), chunksize=1))

    def trials(self, configs: list[dict[str, Any]]) -> list[float]:
        return self.pool.map(_warm_trial, configs, chunksize=1)

    def close(self) -> None:
        self.pool.close()
        self.pool.join()


def caviar_trials(
    configs: list[dict[str, Any]], data: Dataset, threads: int, step: str = "eager"
) -> list[float]:
    result = train_population(configs, data, threads=threads, step=step)
    return [m.val_accuracy for m in result.members]


def step_comparison(
    data: Dataset,
    warm: WarmPeer,
    uniform: list[dict[str, Any]],
    space: list[dict[str, Any]],
    repeats: int,
) -> list[str]:
    """Eager vs compiled step (train_population(step=...)) in one run, beside the warm peer.

    The first compiled call of each workload is timed on its own: it pays dynamo tracing and,
    when inductor's disk cache (~/.cache/caviar/inductor) is cold, code generation; the rows
    after it are medians of warm calls."""
    lines = ["", "step: eager vs compiled (train_population(step=...)), same configs, one run"]
    peer: dict[str, float] = {}
    for name, cfgs in (("uniform 2x64", uniform), ("MLP_SPACE", space)):
        if not cfgs:
            continue
        sec, acc = timed(lambda c=cfgs: warm.trials(c), len(cfgs), repeats)
        peer[name] = sec
        lines.append(
            f"  {name:13s} peer (b') 2 warm processes x 1 thread   {sec:8.4f} s/trial  "
            f"acc {acc:.4f}"
        )
        start = time.perf_counter()
        caviar_trials(cfgs, data, 2, "compiled")
        first = time.perf_counter() - start
        lines.append(
            f"  {name:13s} first compiled call (incl. compile), 2 threads: {first:.1f} s "
            f"for {len(cfgs)} trials"
        )
        for threads in (1, 2):
            for step in ("eager", "compiled"):
                sec, acc = timed(
                    lambda c=cfgs, t=threads, s=step: caviar_trials(c, data, t, s),
                    len(cfgs),
                    repeats,
                )
                lines.append(
                    f"  {name:13s} caviar P={len(cfgs)} step={step:8s} threads={threads} "
                    f"{sec:8.4f} s/trial  {peer[name] / sec:5.1f}x the warm peer (b')  "
                    f"acc {acc:.4f}"
                )
        print("\n".join(lines), flush=True)
    return lines


def mlp_space(n: int, seed: int, epochs: int) -> list[dict[str, Any]]:
    """n configs drawn uniformly (on each parameter's scale) from caviar.adapters.MLP_SPACE, the
    space `make run` tunes, with MLP_FIXED (Adam, batch norm); drawn once, used by both sides."""
    from caviar.adapters import MLP_FIXED, MLP_SPACE

    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        cfg = {name: p.value(float(rng.uniform())) for name, p in MLP_SPACE.items()}
        out.append({**MLP_FIXED, **cfg, "epochs": epochs, "seed": i})
    return out


def tuning_space(n: int, seed: int, epochs: int) -> list[dict[str, Any]]:
    """Random search on the right scales (the lecture's recipe)."""
    rng = np.random.default_rng(seed)
    configs = []
    for i in range(n):
        configs.append(
            {
                "lr": float(10 ** rng.uniform(-4, -1)),
                "beta1": float(1 - 10 ** rng.uniform(-2, -1)),  # 0.9 .. 0.99
                "beta2": float(1 - 10 ** rng.uniform(-4, -2)),  # 0.99 .. 0.9999
                "hidden": int(np.exp(rng.uniform(np.log(16), np.log(129)))),
                "depth": int(rng.integers(1, 4)),
                "batch_size": int(rng.choice([32, 64, 128])),
                "bn_beta": float(1 - 10 ** rng.uniform(-2, -0.5)),  # 0.68 .. 0.99
                "epochs": epochs,
                "seed": i,
            }
        )
    return configs


def timed(fn: Callable[[], list[float]], trials: int, repeats: int) -> tuple[float, float]:
    """Median seconds per trial over repeats, and the mean accuracy of the last repeat."""
    times, accs = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        accs = fn()
        times.append((time.perf_counter() - start) / trials)
    return statistics.median(times), float(np.mean(accs))


def profile_population(data: Dataset, population: int, epochs: int, threads: int) -> str:
    """Where the time of one population run goes, by engine region and by operator."""
    from torch.profiler import ProfilerActivity, profile

    configs = [{**BASE, "epochs": epochs, "seed": i} for i in range(population)]
    train_population(configs[:2], data, threads=threads)
    start = time.perf_counter()
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        train_population(configs, data, threads=threads)
    wall = time.perf_counter() - start
    events = prof.key_averages()
    regions = {e.key: e.cpu_time_total / 1e6 for e in events if e.key.startswith("caviar.")}
    ops = sorted(
        ((e.self_cpu_time_total / 1e6, e.key) for e in events if e.key.startswith("aten::")),
        reverse=True,
    )
    op_total = sum(t for t, _ in ops)
    lines = [
        f"profile: P={population}, {epochs} epochs, {threads} thread(s), wall {wall:.2f} s "
        "(under the profiler)"
    ]
    for key in ("caviar.gather", "caviar.forward", "caviar.loss_and_backward", "caviar.optimizer"):
        lines.append(
            f"  {key:28s} {regions.get(key, 0.0):7.3f} s "
            f"{100 * regions.get(key, 0.0) / wall:5.1f} %"
        )
    lines.append(
        f"  {'all aten ops (self time)':28s} {op_total:7.3f} s {100 * op_total / wall:5.1f} %"
        "   (the rest of wall: Python and dispatch overhead)"
    )
    mm = sum(t for t, k in ops if k in ("aten::bmm", "aten::baddbmm", "aten::mm", "aten::addmm"))
    lines.append(f"  {'matrix products (bmm)':28s} {mm:7.3f} s {100 * mm / wall:5.1f} %")
    lines.append("  top operators by self time:")
    for t, k in ops[:10]:
        lines.append(f"    {k:26s} {t:7.3f} s {100 * t / wall:5.1f} %")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes for the test suite")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument(
        "--space-only", action="store_true", help="only the MLP_SPACE scenario (e) and its peer"
    )
    parser.add_argument(
        "--threads",
        default="1,2",
        help="caviar's intra-op thread counts, comma-separated (default 1,2; on a loaded "
        "machine 2 threads can take many times longer: --threads 1)",
    )
    parser.add_argument(
        "--steps",
        action="store_true",
        help="only eager vs compiled step on uniform 2x64 and MLP_SPACE (P=64) beside the warm "
        "peer; writes bench/results/population-steps.txt",
    )
    args = parser.parse_args()

    quick = args.quick
    caviar_threads = [int(t) for t in args.threads.split(",")]
    repeats = args.repeats or (1 if quick else 3)
    epochs = 2 if quick else BASE["epochs"]
    peer_n = 1 if quick else 8
    sizes = [16] if quick else [16, 64, 256]
    space_n = 8 if quick else 64
    parity_n = 2 if quick else 8
    data = load_dataset("digits", seed=0, val_fraction=0.2)
    base = {**BASE, "epochs": epochs}

    def same(n: int) -> list[dict[str, Any]]:
        return [{**base, "seed": i} for i in range(n)]

    rows: list[tuple[str, int, int, float, float]] = []
    load_before = os.getloadavg()[0]
    warm = WarmPeer(data, 2)
    space_e_n = 8 if quick else 64
    space_e = mlp_space(space_e_n, 0, epochs)

    if args.steps:
        n = 16 if quick else 64
        head = (
            f"caviar.nn eager vs compiled step: digits, {epochs} epochs, float32, medians of "
            f"{repeats}; torch {torch.__version__}; load average before {load_before:.2f}"
        )
        space_s = [] if quick else mlp_space(n, 0, epochs)  # quick: one program to compile
        lines = step_comparison(data, warm, same(n), space_s, repeats)
        warm.close()
        lines.append(f"load average after {os.getloadavg()[0]:.2f}")
        text = head + "\n" + "\n".join(lines) + "\n"
        out = args.out or HERE / "results" / "population-steps.txt"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text)
        return

    def run(name: str, threads: int, trials: int, fn: Callable[[], list[float]]) -> None:
        sec, acc = timed(fn, trials, repeats)
        rows.append((name, threads, trials, sec, acc))
        print(
            f"  {name:44s} threads={threads} trials={trials:4d} {sec:8.4f} s/trial  acc {acc:.4f}",
            flush=True,
        )

    print(
        f"load average {os.getloadavg()[0]:.2f}; digits {data.X_train.shape}, {epochs} epochs, "
        f"medians of {repeats} repeat(s); "
        f"torch {torch.__version__}, {torch.get_num_threads()} threads available"
    )
    peer_trials([{**base, "epochs": 1}], data, 1)  # warm up: lazy initialisation, caches
    caviar_trials(same(2), data, 1)
    for t in caviar_threads:
        run(
            f"(e) caviar, MLP_SPACE P={space_e_n}",
            t,
            space_e_n,
            lambda t=t: caviar_trials(space_e, data, t),
        )
    run(
        "(e) torch.nn, 2 warm processes x 1 thread, MLP_SPACE",
        1,
        space_e_n,
        lambda: warm.trials(space_e),
    )
    run(
        "(b') torch.nn, 2 warm processes x 1 thread",
        1,
        2 * peer_n,
        lambda: warm.trials(same(2 * peer_n)),
    )
    if args.space_only:
        warm.close()
        best = min(r[3] for r in rows if r[0].startswith("(e) caviar"))
        peer_e = next(r for r in rows if r[0].startswith("(e) torch.nn"))
        text = "\n".join(
            [
                f"caviar.nn population benchmark, --space-only: digits, {epochs} epochs, "
                f"float32, medians of {repeats}; torch {torch.__version__}; load average "
                f"before/after {load_before:.2f}/{os.getloadavg()[0]:.2f}",
                *(f"{r[0]:52s} threads={r[1]} {r[3]:.4f} s/trial acc {r[4]:.4f}" for r in rows),
                f"vs the warm peer on the same {space_e_n} MLP_SPACE configs: caviar {best:.4f} "
                f"vs {peer_e[3]:.4f} s/trial = {peer_e[3] / best:.1f}x",
            ]
        )
        print(text)
        name = "population-space-quick.txt" if quick else "population-space.txt"
        out = args.out or HERE / "results" / name
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text + "\n")
        return
    for t in (1, 2):
        run(
            "(a) torch.nn, one model at a time",
            t,
            peer_n,
            lambda t=t: peer_trials(same(peer_n), data, t),
        )
    run(
        "(b) torch.nn, 2 processes x 1 thread",
        1,
        2 * peer_n,
        lambda: peer_processes(same(2 * peer_n), data, 2),
    )
    for p in sizes:
        for t in caviar_threads:
            run(
                f"(c) caviar population P={p}",
                t,
                p,
                lambda p=p, t=t: caviar_trials(same(p), data, t),
            )
    space = tuning_space(space_n, 0, epochs)
    for t in caviar_threads:
        run(
            f"(d) caviar, tuning space P={space_n}",
            t,
            space_n,
            lambda t=t: caviar_trials(space, data, t),
        )
    mine = caviar_trials(space[:parity_n], data, 2)
    peer = peer_trials(space[:parity_n], data, 2)
    warm.close()

    ref = min(r[3] for r in rows if r[0].startswith("(a)"))
    warm_same = next(r for r in rows if r[0].startswith("(b')"))
    warm_space = next(r for r in rows if r[0].startswith("(e) torch.nn"))
    best_same = min(
        r[3]
        for r in rows
        if r[0].startswith("(c) caviar population P=64") or (quick and r[0].startswith("(c)"))
    )
    best_space = min(r[3] for r in rows if r[0].startswith("(e) caviar"))
    lines = [
        f"caviar.nn population benchmark: digits BN-MLP 2x64, Adam, batch 64, {epochs} epochs, "
        f"float32, medians of {repeats}",
        f"torch {torch.__version__}; (a) = best of (a) rows; load average before/after "
        f"{load_before:.2f}/{os.getloadavg()[0]:.2f} (other work on the machine slows 2 threads)",
        "",
        f"{'scenario':46s} {'threads':>7s} {'trials':>6s} {'s/trial':>9s} "
        f"{'vs (a)':>8s} {'val acc':>8s}",
    ]
    for name, t, n, sec, acc in rows:
        lines.append(f"{name:46s} {t:7d} {n:6d} {sec:9.4f} {ref / sec:7.1f}x {acc:8.4f}")
    lines += [
        "",
        f"vs the warm peer (b') torch.nn, 2 warm processes x 1 thread, one model at a time: "
        f"uniform 2x64 caviar {best_same:.4f} vs {warm_same[3]:.4f} s/trial = "
        f"{warm_same[3] / best_same:.1f}x",
        f"vs the warm peer on the same {space_e_n} MLP_SPACE configs: caviar "
        f"{best_space:.4f} vs {warm_space[3]:.4f} s/trial = {warm_space[3] / best_space:.1f}x; "
        f"mean val acc caviar "
        f"{next(r for r in rows if r[0].startswith('(e) caviar'))[4]:.4f}, "
        f"torch.nn {warm_space[4]:.4f}",
        "",
        f"parity on {parity_n} tuning-space configs (same config, same seed): caviar mean "
        f"val acc {np.mean(mine):.4f}, torch.nn {np.mean(peer):.4f}, mean |diff| "
        f"{np.mean(np.abs(np.array(mine) - np.array(peer))):.4f}",
    ]
    if args.profile:
        for t in (1, 2):
            lines += ["", profile_population(data, 64, min(epochs, 5), t)]
    text = "\n".join(lines) + "\n"
    print("\n" + text)
    out = args.out or HERE / "results" / ("population-quick.txt" if quick else "population.txt")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)


if __name__ == "__main__":
    main()
