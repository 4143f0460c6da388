"""Per-trial overhead of caviar vs Optuna, side by side in the same run.

An instant objective over 5 params (2 log floats, 1 linear float, 1 int, 1 choice), random
sampler. Scenarios: 1,000 and 10,000 trials in memory; 1,000 on a SQLite file; 2 processes x
500 on SQLite (throughput against 1 process x 1,000). Prints medians of --repeats runs (3 by
default) and ratios; writes bench/results/overhead.txt.

    python bench/overhead.py            # the full benchmark
    python bench/overhead.py --quick    # small sizes, for the test suite
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent


def caviar_objective(trial):
    a = trial.suggest_float("lr", 1e-5, 1.0, log=True)
    b = trial.suggest_float("wd", 1e-6, 1e-1, log=True)
    c = trial.suggest_float("dropout", 0.0, 0.5)
    d = trial.suggest_int("layers", 1, 6)
    e = trial.suggest_categorical("act", ["relu", "tanh", "sigmoid"])
    return a + b + c + d + len(e)


optuna_objective = caviar_objective  # the same calls exist on optuna.Trial


def _fresh_sqlite(tmp: str, name: str) -> str:
    path = os.path.join(tmp, name)
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)
    return "sqlite:///" + path


# --------------------------------------------------------------------------- caviar
def caviar_run(n: int, storage: str | None, workers: int = 1) -> float:
    import caviar

    study = caviar.create_study("bench", storage=storage, seed=0)
    t0 = time.perf_counter()
    study.optimize(caviar_objective, n_trials=n, workers=workers)
    dt = time.perf_counter() - t0
    assert sum(1 for t in study.trials if t.state == "complete") == n
    return dt / n


# --------------------------------------------------------------------------- optuna
def _optuna_worker(url: str, n: int) -> None:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.load_study(study_name="bench", storage=url,
                              sampler=optuna.samplers.RandomSampler())
    study.optimize(optuna_objective, n_trials=n)


def optuna_run(n: int, storage: str | None, workers: int = 1) -> float:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(study_name="bench", storage=storage,
                                sampler=optuna.samplers.RandomSampler(seed=0))
    t0 = time.perf_counter()
    if workers == 1:
        study.optimize(optuna_objective, n_trials=n)
    else:
        assert storage is not None
        ctx = mp.get_context("fork")
        per = n // workers
        procs = [ctx.Process(target=_optuna_worker, args=(storage, per)) for _ in range(workers)]
        for p in procs:
            p.start()
        for p in procs:
            p.join()
    dt = time.perf_counter() - t0
    return dt / n


# --------------------------------------------------------------------------- driver
def median_of(repeats: int, fn: Callable[[], float]) -> float:
    return statistics.median(fn() for _ in range(repeats))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes (seconds), for tests")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--out", default=str(HERE / "results" / "overhead.txt"))
    args = ap.parse_args(argv)
    try:
        import optuna  # noqa: F401
    except ImportError:
        print("bench/overhead.py needs optuna (benchmarks only): pip install optuna")
        return 2
    q = args.quick
    mem_small, mem_big, sql_n, par_n = (200, 1000, 60, 60) if q else (1000, 10000, 1000, 1000)
    reps = 1 if q else args.repeats
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        def sql(tool: str, workers: int, n: int) -> Callable[[], float]:
            def run() -> float:
                url = _fresh_sqlite(tmp, f"{tool}.db")
                return (caviar_run if tool == "caviar" else optuna_run)(n, url, workers)
            return run

        scenarios: list[tuple[str, Callable[[], float], Callable[[], float]]] = [
            (f"memory, {mem_small} trials", lambda: caviar_run(mem_small, None),
             lambda: optuna_run(mem_small, None)),
            (f"memory, {mem_big} trials", lambda: caviar_run(mem_big, None),
             lambda: optuna_run(mem_big, None)),
            (f"SQLite, {sql_n} trials", sql("caviar", 1, sql_n), sql("optuna", 1, sql_n)),
            (f"SQLite, 2 processes x {par_n // 2}", sql("caviar", 2, par_n),
             sql("optuna", 2, par_n)),
        ]
        for name, cav, opt in scenarios:
            c = median_of(reps, cav)
            o = median_of(reps, opt)
            rows.append((name, c, o))
            print(f"{name:32s} caviar {c * 1e3:9.4f} ms/trial   optuna {o * 1e3:9.4f} ms/trial"
                  f"   optuna/caviar {o / c:7.1f}x", flush=True)
        # parallel speed-up: 2 processes against 1 on SQLite
        c1 = median_of(reps, sql("caviar", 1, par_n))
        o1 = median_of(reps, sql("optuna", 1, par_n))
    c2, o2 = rows[3][1], rows[3][2]
    lines = [
        f"# bench/overhead.py{' --quick' if q else ''}: medians of {reps} run(s), "
        f"python {sys.version.split()[0]}, {os.cpu_count()} cores",
        f"{'scenario':32s} {'caviar ms/trial':>16s} {'optuna ms/trial':>16s} {'ratio':>8s}",
    ]
    for name, c, o in rows:
        lines.append(f"{name:32s} {c * 1e3:16.4f} {o * 1e3:16.4f} {o / c:7.1f}x")
    lines.append(f"2 processes vs 1 on SQLite: caviar {c1 / c2:.2f}x, optuna {o1 / o2:.2f}x "
                 "(throughput ratio)")
    text = "\n".join(lines)
    print(text)
    if not q:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
