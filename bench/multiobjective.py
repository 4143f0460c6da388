"""Multi-objective search: caviar's NSGA-II, multi-objective TPE and random search beside
Optuna's NSGAIISampler, TPESampler and RandomSampler, in the same run.

Median hypervolume (caviar.hypervolume, the same reference point for both tools) over
``--seeds`` seeds after 100 and 300 trials on ZDT1 and ZDT2 (6 variables instead of 30) and
DTLZ2 (3 objectives, 6 variables), every sampler at its defaults. Then the digits BN-MLP
(caviar.adapters.MLP_SPACE on scikit-learn's digits, trained ``--population`` members at a
time on caviar.nn: caviar through ``tune_population(objectives=["val_accuracy", "n_params"])``,
Optuna asking that many trials and training them on the same engine): validation accuracy
against parameter count. Last, the per-trial overhead of NSGA-II around 1,000 finished
trials, caviar against Optuna (in memory, ZDT1 asked define-by-run). Writes
bench/results/multiobjective.md.

    python bench/multiobjective.py            # the full benchmark (20 seeds; 3 for the MLP)
    python bench/multiobjective.py --only functions --seeds 20 --jobs 2 --log runs.jsonl
    python bench/multiobjective.py --only functions --seeds 0 --log runs.jsonl  # report only
    python bench/multiobjective.py --quick    # small sizes, for the test suite
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import statistics
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
N_VARS = 6


# --------------------------------------------------------------------------- test problems
def zdt1(x: Sequence[float]) -> tuple[float, ...]:
    g = 1 + 9 * sum(x[1:]) / (len(x) - 1)
    return x[0], g * (1 - math.sqrt(x[0] / g))


def zdt2(x: Sequence[float]) -> tuple[float, ...]:
    g = 1 + 9 * sum(x[1:]) / (len(x) - 1)
    return x[0], g * (1 - (x[0] / g) ** 2)


def dtlz2(x: Sequence[float]) -> tuple[float, ...]:
    """Three objectives; the front is the positive octant of the unit sphere."""
    g = sum((xi - 0.5) ** 2 for xi in x[2:])
    a, b = x[0] * math.pi / 2, x[1] * math.pi / 2
    r = 1 + g
    return r * math.cos(a) * math.cos(b), r * math.cos(a) * math.sin(b), r * math.sin(a)


class Problem:
    """A function of ``N_VARS`` variables in [0, 1], all minimized; ``ref``: a reference point
    every trial beats (so every trial counts from the first); ``best``: the hypervolume of the
    true front under ``ref`` (closed form)."""

    def __init__(self, name: str, f: Callable[[Sequence[float]], tuple[float, ...]],
                 ref: tuple[float, ...], best: float) -> None:
        self.name, self.f, self.ref, self.best = name, f, ref, best

    @property
    def k(self) -> int:
        return len(self.ref)


PROBLEMS = [
    # fronts f2 = 1 - sqrt(f1) and 1 - f1^2 under (11, 11): 121 less the area above each front
    Problem("zdt1", zdt1, (11.0, 11.0), 121 - 1 / 3),
    Problem("zdt2", zdt2, (11.0, 11.0), 121 - 2 / 3),
    # every value is at most 1 + g <= 2.5; the front leaves out an eighth of the unit ball
    Problem("dtlz2", dtlz2, (2.5, 2.5, 2.5), 2.5 ** 3 - math.pi / 6),
]


# --------------------------------------------------------------------------- strategies
def caviar_run(problem: Problem, sampler: str, seed: int, n: int) -> list[tuple[float, ...]]:
    import caviar

    study = caviar.create_study(directions=["minimize"] * problem.k, sampler=sampler,
                                seed=seed)
    study.optimize(lambda t: problem.f([t.suggest_float(f"x{i}", 0.0, 1.0)
                                        for i in range(N_VARS)]), n_trials=n)
    return [t.values for t in study.trials if t.values is not None]


def _optuna_sampler(name: str, seed: int, *, batched: bool = False) -> Any:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    if name == "nsga2":
        return optuna.samplers.NSGAIISampler(seed=seed)
    if name == "tpe":
        return optuna.samplers.TPESampler(seed=seed, constant_liar=batched)
    return optuna.samplers.RandomSampler(seed=seed)


def optuna_run(problem: Problem, sampler: str, seed: int, n: int) -> list[tuple[float, ...]]:
    import optuna

    study = optuna.create_study(directions=["minimize"] * problem.k,
                                sampler=_optuna_sampler(sampler, seed))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Optuna's experimental-feature warnings
        study.optimize(lambda t: problem.f([t.suggest_float(f"x{i}", 0.0, 1.0)
                                            for i in range(N_VARS)]), n_trials=n)
    return [tuple(t.values) for t in study.trials if t.values is not None]


STRATEGIES: list[tuple[str, Callable[..., list[tuple[float, ...]]], str]] = [
    ("caviar nsga2", caviar_run, "nsga2"), ("caviar tpe", caviar_run, "tpe"),
    ("caviar random", caviar_run, "random"),
    ("optuna nsga2", optuna_run, "nsga2"), ("optuna tpe", optuna_run, "tpe"),
    ("optuna random", optuna_run, "random"),
]


def _hv(values: Sequence[Sequence[float]], ref: Sequence[float], **kw: Any) -> float:
    from caviar.hypervolume import hypervolume

    return hypervolume(list(values), list(ref), **kw) if values else 0.0


def _best_lines(res: dict[tuple[str, int], float], labels: list[str], budgets: list[int],
                out: list[str]) -> None:
    for b in budgets:
        cv, cl = max((res[(lb, b)], lb) for lb in labels if lb.startswith("caviar"))
        ov, ol = max((res[(lb, b)], lb) for lb in labels if lb.startswith("optuna"))
        out.append(f"  @{b}: caviar best ({cl}) {cv:.6g} vs optuna best ({ol}) {ov:.6g}: "
                   f"caviar - optuna = {cv - ov:+.4g} ({'>=' if cv >= ov else '<'})")


def _function_task(prob_name: str, label: str, seed: int, budgets: list[int]
                   ) -> tuple[list[float], float, float]:
    """One (problem, strategy, seed) run: the hypervolume at each budget, wall and CPU s."""
    prob = next(p for p in PROBLEMS if p.name == prob_name)
    fn, smp = next((f, s) for lb, f, s in STRATEGIES if lb == label)
    w, c = time.perf_counter(), time.process_time()
    vals = fn(prob, smp, seed, max(budgets))
    w, c = time.perf_counter() - w, time.process_time() - c
    return [_hv(vals[:b], prob.ref) for b in budgets], w, c


def _map(fn: Callable[..., Any], tasks: list[tuple[Any, ...]], jobs: int,
         done: Callable[[tuple[Any, ...], Any], None] | None = None) -> list[Any]:
    """``fn(*task)`` for each task, in order: here, or over ``jobs`` worker processes;
    ``done(task, result)`` is called as each one finishes."""
    if jobs <= 1:
        out = []
        for t in tasks:
            out.append(fn(*t))
            if done is not None:
                done(t, out[-1])
        return out
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor, as_completed

    with ProcessPoolExecutor(jobs, mp_context=mp.get_context("spawn")) as pool:
        futs = {pool.submit(fn, *t): i for i, t in enumerate(tasks)}
        res: list[Any] = [None] * len(tasks)
        for f in as_completed(futs):
            i = futs[f]
            res[i] = f.result()
            if done is not None:
                done(tasks[i], res[i])
        return res


def functions_table(seeds: int, budgets: list[int], out: list[str], *, jobs: int = 1,
                    problems: Sequence[str] | None = None, log: Path | None = None
                    ) -> dict[str, Any]:
    """Every (problem, strategy, seed) run, seed by seed (so a run stopped early holds whole
    seeds); with ``log``, each finished run is appended to it as a JSON line and the runs
    already there are not repeated (a stopped run resumes; ``--seeds 0`` only reports)."""
    import json

    n = max(budgets)
    probs = [p for p in PROBLEMS if problems is None or p.name in problems]
    got: dict[tuple[str, str, int], tuple[list[float], float, float]] = {}
    if log is not None and log.exists():
        for line in log.read_text().splitlines():
            r = json.loads(line)
            if r["budgets"] == budgets:
                got[(r["problem"], r["strategy"], r["seed"])] = (r["hv"], r["wall"], r["cpu"])
    tasks = [(prob.name, label, seed, budgets) for seed in range(seeds) for prob in probs
             for label, _, _ in STRATEGIES if (prob.name, label, seed) not in got]

    def done(t: tuple[Any, ...], r: tuple[list[float], float, float]) -> None:
        got[(t[0], t[1], t[2])] = r
        if log is not None:
            with log.open("a") as fh:
                fh.write(json.dumps({"problem": t[0], "strategy": t[1], "seed": t[2],
                                     "budgets": budgets, "hv": r[0], "wall": r[1],
                                     "cpu": r[2]}) + "\n")
        print(f"  {t[0]} {t[1]} seed {t[2]}: {r[0]} (load average {_load()})",
              file=sys.stderr, flush=True)

    _map(_function_task, tasks, jobs, done)
    table: dict[str, Any] = {}
    labels = [lb for lb, _, _ in STRATEGIES]
    for prob in probs:
        # the seeds every strategy finished (all of them unless the run was stopped)
        full = sorted(sd for sd in {k[2] for k in got if k[0] == prob.name}
                      if all((prob.name, lb, sd) in got for lb in labels))
        if not full:
            continue
        res: dict[tuple[str, int], float] = {}
        secs: dict[str, tuple[float, float]] = {}
        for label in labels:
            runs = [got[(prob.name, label, sd)] for sd in full]
            secs[label] = (sum(r[1] for r in runs) / (len(full) * n),
                           sum(r[2] for r in runs) / (len(full) * n))
            for i, b in enumerate(budgets):
                res[(label, b)] = statistics.median(r[0][i] for r in runs)
        out.append(f"\n{prob.name} ({prob.k} objectives, {N_VARS} variables, reference "
                   f"{prob.ref}, true front {prob.best:.6g}): median hypervolume over "
                   f"{len(full)} seeds ({full[0]}..{full[-1]}; load average {_load()})")
        out.append(f"  {'strategy':16s}" + "".join(f"{'@' + str(b):>12s}" for b in budgets)
                   + f"{'ms/trial':>12s}{'CPU ms':>10s}")
        for label in labels:
            out.append(f"  {label:16s}" + "".join(f"{res[(label, b)]:12.6g}" for b in budgets)
                       + f"{secs[label][0] * 1e3:12.3g}{secs[label][1] * 1e3:10.3g}")
        _best_lines(res, labels, budgets, out)
        table[prob.name] = {"res": res, "secs": secs}
    return table


# --------------------------------------------------------------------------- digits BN-MLP
def mlp_run(strategy: str, seed: int, n: int, data: Any, fixed: dict[str, Any],
            population: int) -> list[tuple[float, float]]:
    """(validation accuracy, n_params) of the ``n`` trials (failed members left out)."""
    tool, smp = strategy.split(" ", 1)
    if tool == "caviar":
        import caviar
        from caviar.adapters.population import MLP_SPACE, tune_population

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            study = caviar.create_study(space=MLP_SPACE, directions=["maximize", "minimize"],
                                        sampler=smp, seed=seed)
            tune_population(study, data=data, n_trials=n, population=population, fixed=fixed,
                            objectives=["val_accuracy", "n_params"])
        return [(t.values[0], t.values[1]) for t in study.trials if t.values is not None]
    import optuna

    from caviar import nn
    from caviar.adapters.objectives import member_measures

    sys.path.insert(0, str(HERE))
    from search import _mlp_optuna_params

    study = optuna.create_study(directions=["maximize", "minimize"],
                                sampler=_optuna_sampler(smp, seed, batched=True))
    got: list[tuple[float, float]] = []
    done = 0
    while done < n:
        trials = [study.ask() for _ in range(min(population, n - done))]
        configs = [{**fixed, **_mlp_optuna_params(t), "seed": t.number} for t in trials]
        t0 = time.perf_counter()
        result = nn.train_population(configs, data)
        sizes = member_measures(result.members, time.perf_counter() - t0)
        for t, m, size in zip(trials, result.members, sizes, strict=True):
            acc = m.val_accuracy if m.history and m.state != "failed" else float("nan")
            if acc == acc:
                study.tell(t, (acc, size["n_params"]))
                got.append((acc, size["n_params"]))
            else:
                study.tell(t, state=optuna.trial.TrialState.FAIL)
        done += len(trials)
    return got


MLP_STRATEGIES = [label for label, _, _ in STRATEGIES]


def _mlp_biggest() -> int:
    from caviar.adapters.objectives import mlp_n_params

    return int(mlp_n_params([256] * 3, True, 64, 10))   # MLP_SPACE's largest network


def _mlp_task(label: str, seed: int, budgets: list[int], epochs: int, population: int
              ) -> list[float]:
    """One (strategy, seed) run on the digits BN-MLP: the hypervolume at each budget, as a
    share of the box [0, 1] x [0, biggest]."""
    import torch

    from caviar import nn
    from caviar.adapters.population import MLP_FIXED

    torch.set_num_threads(1)  # a shared 2-core machine: more threads only contend
    data = nn.load_dataset("digits", seed=0)
    fixed = {**MLP_FIXED, "epochs": epochs}
    biggest = _mlp_biggest()
    vals = mlp_run(label, seed, max(budgets), data, fixed, population)
    return [_hv(vals[:b], (0.0, float(biggest)), directions=["maximize", "minimize"])
            / biggest for b in budgets]


def mlp_table(seeds: int, budgets: list[int], epochs: int, population: int,
              out: list[str], *, jobs: int = 1) -> None:
    biggest = _mlp_biggest()
    res: dict[tuple[str, int], float] = {}
    tasks = [(label, seed, budgets, epochs, population) for label in MLP_STRATEGIES
             for seed in range(seeds)]
    got = dict(zip([(t[0], t[1]) for t in tasks], _map(_mlp_task, tasks, jobs), strict=True))
    for label in MLP_STRATEGIES:
        for i, b in enumerate(budgets):
            res[(label, b)] = statistics.median(got[(label, seed)][i] for seed in range(seeds))
    out.append(f"\ndigits BN-MLP, validation accuracy (max) vs parameter count (min) "
               f"({epochs} epochs, {population} trials per population, reference (0, "
               f"{biggest})): median hypervolume as a share of the reference box over "
               f"{seeds} seeds (load average {_load()})")
    out.append(f"  {'strategy':16s}" + "".join(f"{'@' + str(b):>12s}" for b in budgets))
    for label in MLP_STRATEGIES:
        out.append(f"  {label:16s}" + "".join(f"{res[(label, b)]:12.5g}" for b in budgets))
    _best_lines(res, MLP_STRATEGIES, budgets, out)


# --------------------------------------------------------------------------- overhead
def overhead(n_hist: int, n_timed: int, out: list[str]) -> None:
    """NSGA-II's per-trial cost with ``n_hist`` finished trials: ``n_timed`` more, timed."""
    import optuna

    import caviar

    def cav_obj(t: Any) -> tuple[float, ...]:
        return zdt1([t.suggest_float(f"x{i}", 0.0, 1.0) for i in range(N_VARS)])

    gc.collect()
    cs = caviar.create_study(directions=["minimize", "minimize"], sampler="nsga2", seed=0)
    w = time.perf_counter()
    cs.optimize(cav_obj, n_trials=n_hist)
    cav_all = (time.perf_counter() - w) / n_hist
    w, c = time.perf_counter(), time.process_time()
    cs.optimize(cav_obj, n_trials=n_hist + n_timed)
    cav = ((time.perf_counter() - w) / n_timed, (time.process_time() - c) / n_timed)

    gc.collect()
    os_ = optuna.create_study(directions=["minimize", "minimize"],
                              sampler=_optuna_sampler("nsga2", 0))
    w = time.perf_counter()
    os_.optimize(cav_obj, n_trials=n_hist)
    opt_all = (time.perf_counter() - w) / n_hist
    w, c = time.perf_counter(), time.process_time()
    os_.optimize(cav_obj, n_trials=n_timed)
    opt = ((time.perf_counter() - w) / n_timed, (time.process_time() - c) / n_timed)
    out.append(f"\nNSGA-II per-trial overhead: trials {n_hist}..{n_hist + n_timed} after "
               f"{n_hist} finished (ZDT1, 6 params define-by-run, in memory; load average "
               f"{_load()})")
    out.append(f"  caviar nsga2 {cav[0] * 1e3:.3f} ms (CPU {cav[1] * 1e3:.3f})   optuna nsga2 "
               f"{opt[0] * 1e3:.3f} ms (CPU {opt[1] * 1e3:.3f})   optuna/caviar = "
               f"{opt[0] / cav[0]:.1f}x (CPU {opt[1] / cav[1]:.1f}x)")
    out.append(f"  mean over the first {n_hist} trials: caviar nsga2 {cav_all * 1e3:.3f} ms,"
               f" optuna nsga2 {opt_all * 1e3:.3f} ms, optuna/caviar = "
               f"{opt_all / cav_all:.1f}x")


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main(argv: list[str] | None = None) -> str:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--seeds", type=int, default=None)
    ap.add_argument("--mlp-seeds", type=int, default=None)
    ap.add_argument("--no-mlp", action="store_true", help="skip the digits BN-MLP rows")
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--only", choices=["functions", "mlp", "overhead"], default=None,
                    help="run one section (implies --no-write)")
    ap.add_argument("--problems", default=None,
                    help="comma-separated test functions to run (default: zdt1,zdt2,dtlz2)")
    ap.add_argument("--jobs", type=int, default=1,
                    help="worker processes over the (strategy, seed) runs (default 1)")
    ap.add_argument("--log", type=Path, default=None,
                    help="append each finished test-function run to this JSON-lines file, "
                         "and skip the runs it holds (resume; --seeds 0 only reports)")
    ap.add_argument("--mlp-budgets", default=None,
                    help="comma-separated trial counts for the MLP (default 100,300)")
    a = ap.parse_args(argv)
    problems = None if a.problems is None else [p for p in a.problems.split(",") if p]
    known = [p.name for p in PROBLEMS]
    if problems is not None and not set(problems) <= set(known):
        ap.error(f"--problems: each must be one of {known}, got {a.problems!r}")
    if a.jobs < 1:
        ap.error(f"--jobs: must be >= 1, got {a.jobs}")
    seeds = (2 if a.quick else 20) if a.seeds is None else a.seeds
    budgets = [20, 40] if a.quick else [100, 300]
    mlp_budgets = [10, 20] if a.quick else [100, 300]
    if a.mlp_budgets:
        mlp_budgets = [int(b) for b in a.mlp_budgets.split(",")]
    out = [f"bench/multiobjective.py {' '.join(sys.argv[1:] if argv is None else argv)}: "
           f"{seeds} seeds, {a.jobs} worker process(es), load average at start {_load()} "
           f"({os.cpu_count()} CPUs)"]
    t0 = time.time()
    only = a.only
    if only in (None, "functions"):
        functions_table(seeds, budgets, out, jobs=a.jobs, problems=problems, log=a.log)
    if only in (None, "mlp") and not a.no_mlp:
        mlp_table(a.mlp_seeds or (1 if a.quick else 3), mlp_budgets,
                  1 if a.quick else 4, 10 if a.quick else 25, out, jobs=a.jobs)
    if only in (None, "overhead"):
        overhead(200 if a.quick else 1000, 20 if a.quick else 100, out)
    out.append(f"\n({time.time() - t0:.0f} s; load average at the end {_load()})")
    text = "\n".join(out)
    print(text)
    if not a.quick and not a.no_write and only is None and problems is None:
        (HERE / "results").mkdir(exist_ok=True)
        (HERE / "results" / "multiobjective.md").write_text(
            "# bench/multiobjective.py\n\n```\n" + text + "\n```\n")
    return text


if __name__ == "__main__":
    main()
