"""Scale-out benchmark: PostgreSQL overhead beside Optuna, throughput with 1-8 workers on
SQLite and PostgreSQL, and Ray's added overhead per trial beside local processes.

    python bench/scale.py            # full run (PostgreSQL on 127.0.0.1:5432, db test)
    python bench/scale.py --quick    # small sizes, for the test suite

Each PostgreSQL measurement gets a fresh schema in the database, dropped afterwards.
Results: bench/results/scale.txt.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from overhead import caviar_objective  # noqa: E402 - the same 5-param instant objective

PG = os.environ.get("CAVIAR_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


def sleepy(trial):
    x = trial.suggest_float("x", 1e-4, 1.0, log=True)
    time.sleep(0.05)
    return x


@contextlib.contextmanager
def pg_schema() -> Iterator[str]:
    import psycopg

    schema = f"caviar_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
        try:
            yield f"{PG}?options=-csearch_path%3D{schema}"
        finally:
            admin.execute(f"DROP SCHEMA {schema} CASCADE")


def sqlite_url(tmp: str) -> str:
    return f"sqlite:///{tmp}/s-{uuid.uuid4().hex[:8]}.db"


def caviar_per_trial(url: str, n: int, workers: int = 1, objective=caviar_objective,
                     **kw) -> float:
    import caviar

    study = caviar.create_study("bench", storage=url, seed=0)
    t0 = time.perf_counter()
    study.optimize(objective, n_trials=n, workers=workers, **kw)
    dt = time.perf_counter() - t0
    assert sum(t.state == "complete" for t in study.trials) == n
    study.storage.close()
    return dt / n


def optuna_per_trial(url: str, n: int) -> float:
    import optuna

    from caviar.storage import normalize_url

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(study_name="bench", storage=normalize_url(url),
                                sampler=optuna.samplers.RandomSampler(seed=0))
    t0 = time.perf_counter()
    study.optimize(caviar_objective, n_trials=n)
    return (time.perf_counter() - t0) / n


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args(argv)
    q = args.quick
    reps = 1 if q else args.repeats
    n_pg = 40 if q else 500
    n_sleep = 16 if q else 80
    n_ray = 30 if q else 200
    lines = [f"# bench/scale.py{' --quick' if q else ''}: medians of {reps} run(s), "
             f"{os.cpu_count()} cores"]

    def say(s: str) -> None:
        print(s, flush=True)
        lines.append(s)

    # 1. per-trial overhead on PostgreSQL, caviar beside Optuna
    def pg_caviar() -> float:
        with pg_schema() as url:
            return caviar_per_trial(url, n_pg)

    def pg_optuna() -> float:
        with pg_schema() as url:
            return optuna_per_trial(url, n_pg)

    c = statistics.median(pg_caviar() for _ in range(reps))
    o = statistics.median(pg_optuna() for _ in range(reps))
    say(f"PostgreSQL, {n_pg} instant trials: caviar {c * 1e3:.3f} ms/trial, optuna "
        f"{o * 1e3:.3f} ms/trial, optuna/caviar {o / c:.1f}x")

    # 2. throughput with a 50 ms objective
    with tempfile.TemporaryDirectory() as tmp:
        for backend in ("SQLite", "PostgreSQL"):
            base = None
            row = []
            for w in (1, 2, 4, 8):
                def run(w: int = w, backend: str = backend) -> float:
                    if backend == "SQLite":
                        return caviar_per_trial(sqlite_url(tmp), n_sleep, w, sleepy)
                    with pg_schema() as url:
                        return caviar_per_trial(url, n_sleep, w, sleepy)
                per = statistics.median(run() for _ in range(reps))
                tput = 1.0 / per
                base = base or tput
                row.append(f"{w} workers {tput:6.1f}/s ({tput / base:.2f}x)")
            say(f"{backend}, 50 ms objective, {n_sleep} trials: " + "; ".join(row))

        # 3. Ray's added overhead per trial, beside local processes
        try:
            import ray
        except ImportError:
            say("Ray: not installed (pip install 'caviar[ray]'); skipped")
        else:
            ray.init(num_cpus=2, include_dashboard=False, configure_logging=False,
                     log_to_driver=False)
            try:
                caviar_per_trial(sqlite_url(tmp), 10, 2, backend="ray")  # warm the workers
                r = statistics.median(caviar_per_trial(sqlite_url(tmp), n_ray, 2, backend="ray")
                                      for _ in range(reps))
            finally:
                ray.shutdown()
            p = statistics.median(caviar_per_trial(sqlite_url(tmp), n_ray, 2)
                                  for _ in range(reps))
            say(f"Ray, {n_ray} instant trials, 2 at a time: ray {r * 1e3:.2f} ms/trial, local "
                f"processes {p * 1e3:.2f} ms/trial, Ray adds {(r - p) * 1e3:.2f} ms/trial")
    if not q:
        (HERE / "results").mkdir(exist_ok=True)
        (HERE / "results" / "scale.txt").write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
