"""Search quality: caviar's samplers against Optuna's TPE and random search, side by side.

Median regret (best value found minus the known optimum) over ``--seeds`` seeds after 25, 50
and 100 trials on Branin (2-D), Hartmann-6, Styblinski-Tang 5-D and a function with 2 important
(a log-scaled learning rate, a reverse-log momentum) and 4 unimportant dims. Strategies: caviar
random, grid, sobol, coarse-to-fine and TPE; Optuna TPE and random. Then Hyperband against random
search at equal total budget on a multi-fidelity Hartmann-6, and the per-trial overhead of TPE,
caviar against Optuna's TPE (in memory), in two cases: after 2,000 random trials (a history
spread over the space) and the real case, after 1,900 trials made by TPE itself on a 5-float
function (a history clustered near the best). Last, the digits BN-MLP: the
lecture's network (caviar.adapters.MLP_SPACE) tuned on scikit-learn's digits, every strategy
training its trials ``--population`` at a time on caviar.nn (caviar through
``tune_population``; Optuna asks that many trials, with its constant liar, and trains them on
the same engine): median best validation error. Writes bench/results/search.txt.

    python bench/search.py            # the full benchmark (50 seeds; 10 for the MLP)
    python bench/search.py --quick    # small sizes, for the test suite
    python bench/search.py --only overhead   # one section (regret, hyperband, overhead, mlp);
                                             # overhead's replaces its part of search.txt
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
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent

# --------------------------------------------------------------------------- test functions
A6 = np.array([[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14],
               [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]])
P6 = 1e-4 * np.array([[1312, 1696, 5569, 124, 8283, 5886], [2329, 4135, 8307, 3736, 1004, 9991],
                      [2348, 1451, 3522, 2883, 3047, 6650], [4047, 8828, 8732, 5743, 1091, 381]])
C6 = np.array([1.0, 1.2, 3.0, 3.2])


def hartmann6(x: Any) -> float:
    x = np.asarray(x, dtype=float)
    return float(-np.sum(C6 * np.exp(-np.sum(A6 * (x - P6) ** 2, axis=1))))


def branin(x1: float, x2: float) -> float:
    b, c, t = 5.1 / (4 * math.pi ** 2), 5 / math.pi, 1 / (8 * math.pi)
    return (x2 - b * x1 ** 2 + c * x1 - 6) ** 2 + 10 * (1 - t) * math.cos(x1) + 10


def styblinski_tang(xs: list[float]) -> float:
    return 0.5 * sum(x ** 4 - 16 * x ** 2 + 5 * x for x in xs)


class Problem:
    """A function over named params, with its optimum and the same space for caviar and
    Optuna (Optuna has no reverse-log scale: it searches ``1 - beta`` on a log scale)."""

    def __init__(self, name: str, space: dict[str, tuple[float, float, str]],
                 f: Callable[[dict[str, float]], float], optimum: float, grid_res: int) -> None:
        self.name, self.space, self.f, self.optimum, self.grid_res = (
            name, space, f, optimum, grid_res)

    def caviar_space(self) -> dict[str, Any]:
        from caviar import Float

        return {k: Float(lo, hi, scale=sc) for k, (lo, hi, sc) in self.space.items()}

    def optuna_params(self, trial: Any) -> dict[str, float]:
        out = {}
        for k, (lo, hi, sc) in self.space.items():
            if sc == "reverse_log":
                out[k] = 1 - trial.suggest_float("1-" + k, 1 - hi, 1 - lo, log=True)
            else:
                out[k] = trial.suggest_float(k, lo, hi, log=sc == "log")
        return out


def _important(p: dict[str, float]) -> float:
    rest = sum((p[f"u{i}"] - 0.5) ** 2 for i in range(4))
    return (math.log10(p["lr"]) + 3) ** 2 + (math.log10(1 - p["beta"]) + 2) ** 2 + 0.01 * rest


PROBLEMS = [
    Problem("branin", {"x1": (-5, 10, "linear"), "x2": (0, 15, "linear")},
            lambda p: branin(p["x1"], p["x2"]), 0.397887, 10),
    Problem("hartmann6", {f"x{i}": (0, 1, "linear") for i in range(6)},
            lambda p: hartmann6([p[f"x{i}"] for i in range(6)]), -3.32237, 3),
    Problem("styblinski_tang5", {f"x{i}": (-5, 5, "linear") for i in range(5)},
            lambda p: styblinski_tang([p[f"x{i}"] for i in range(5)]), -39.16617 * 5, 3),
    Problem("2_important_4_not", {"lr": (1e-5, 1, "log"), "beta": (0.5, 0.999, "reverse_log"),
                                  **{f"u{i}": (0, 1, "linear") for i in range(4)}},
            _important, 0.0, 3),
]


# --------------------------------------------------------------------------- strategies
def caviar_curve(problem: Problem, sampler: str, seed: int, n: int) -> list[float]:
    import caviar
    from caviar.samplers import CoarseToFineSampler, GridSampler

    smp: Any = sampler
    if sampler == "grid":
        smp = GridSampler(resolution=problem.grid_res, seed=seed)
    elif sampler == "coarse-to-fine":
        smp = CoarseToFineSampler(per_round=20, top_k=5, seed=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        study = caviar.create_study(space=problem.caviar_space(), sampler=smp, seed=seed)
        study.optimize(lambda t: problem.f(t.params), n_trials=n)
    return [t.value for t in study.trials if t.value is not None]


def optuna_curve(problem: Problem, sampler: str, seed: int, n: int) -> list[float]:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    smp = (optuna.samplers.TPESampler(seed=seed) if sampler == "tpe"
           else optuna.samplers.RandomSampler(seed=seed))
    study = optuna.create_study(sampler=smp)
    study.optimize(lambda t: problem.f(problem.optuna_params(t)), n_trials=n)
    return [t.value for t in study.trials if t.value is not None]


STRATEGIES: list[tuple[str, Callable[..., list[float]], str]] = [
    ("caviar random", caviar_curve, "random"), ("caviar grid", caviar_curve, "grid"),
    ("caviar sobol", caviar_curve, "sobol"),
    ("caviar coarse-to-fine", caviar_curve, "coarse-to-fine"),
    ("caviar tpe", caviar_curve, "tpe"),
    ("optuna tpe", optuna_curve, "tpe"), ("optuna random", optuna_curve, "random"),
]


def regret_table(seeds: int, budgets: list[int], out: list[str]) -> dict[str, Any]:
    n = max(budgets)
    res: dict[tuple[str, str, int], float] = {}
    for prob in PROBLEMS:
        for label, fn, smp in STRATEGIES:
            regrets: dict[int, list[float]] = {b: [] for b in budgets}
            for seed in range(seeds):
                vals = fn(prob, smp, seed, n)
                for b in budgets:
                    regrets[b].append(min(vals[:b]) - prob.optimum)
            for b in budgets:
                res[(prob.name, label, b)] = statistics.median(regrets[b])
        print(f"  {prob.name} done", file=sys.stderr, flush=True)
    for prob in PROBLEMS:
        out.append(f"\n{prob.name}: median regret over {seeds} seeds")
        out.append(f"  {'strategy':24s}" + "".join(f"{'@' + str(b):>12s}" for b in budgets))
        for label, _, _ in STRATEGIES:
            out.append(f"  {label:24s}" + "".join(f"{res[(prob.name, label, b)]:12.4g}"
                                                  for b in budgets))
        best = {b: min((res[(prob.name, lb, b)], lb) for lb, _, _ in STRATEGIES
                       if lb.startswith("caviar")) for b in budgets}
        for b in budgets:
            o = res[(prob.name, "optuna tpe", b)]
            v, lb = best[b]
            c2f = res[(prob.name, "caviar coarse-to-fine", b)]
            rnd = res[(prob.name, "caviar random", b)]
            out.append(f"  @{b}: caviar best ({lb}) / optuna tpe = {_ratio(v, o)}"
                       f"   coarse-to-fine / caviar random = {_ratio(c2f, rnd)}")
    return {"res": res}


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.3g}" if b > 0 else "inf"


# --------------------------------------------------------------------------- hyperband
def mf_hartmann(x: np.ndarray, budget: float, R: float) -> float:
    """Hartmann-6 seen through a budget: a bias that fades as the budget grows."""
    return hartmann6(x) + 0.5 * (1 - budget / R) * float(np.mean(np.sin(6 * x)))


def hyperband_vs_random(seeds: int, R: int, eta: int, out: list[str]) -> None:
    from caviar.pruners import HyperbandPruner

    hb = HyperbandPruner(max_budget=R, eta=eta)
    hb_regret, rs_regret, spent = [], [], 0.0
    for seed in range(seeds):
        rng = np.random.default_rng(seed)
        spent = 0.0
        final: list[tuple[float, np.ndarray]] = []
        for br in hb.brackets:
            xs = rng.random((br.n, 6))
            curves: dict[int, dict[int, float]] = {i: {} for i in range(br.n)}
            alive = list(range(br.n))
            prev = 0.0
            for _n_i, r in br.rungs:
                for i in alive:
                    curves[i][int(r)] = mf_hartmann(xs[i], r, R)
                spent += (r - prev) * len(alive)  # members resume: pay only the extra budget
                prev = r
                if r >= R:
                    final += [(curves[i][int(r)], xs[i]) for i in alive]
                    break
                d = hb.decide_values({i: curves[i] for i in alive}, bracket=br.s)
                alive = [i for i in alive if not d[i].prune]
        hb_regret.append(hartmann6(min(final, key=lambda t: t[0])[1]) + 3.32237)
        n_rs = int(spent // R)
        xs = rng.random((n_rs, 6))
        best = min(range(n_rs), key=lambda i: mf_hartmann(xs[i], R, R))
        rs_regret.append(hartmann6(xs[best]) + 3.32237)
    h, r = statistics.median(hb_regret), statistics.median(rs_regret)
    out.append(f"\nHyperband (R={R}, eta={eta}, one iteration = {len(hb.brackets)} brackets, "
               f"budget {spent:.0f}) vs random search ({int(spent // R)} configs at R), "
               f"multi-fidelity Hartmann-6, median regret over {seeds} seeds")
    out.append(f"  hyperband {h:.4g}   random {r:.4g}   random/hyperband = {_ratio(r, h)}")


# --------------------------------------------------------------------------- digits BN-MLP
MLP_STRATEGIES = ["caviar random", "caviar sobol", "caviar coarse-to-fine", "caviar tpe",
                  "optuna tpe", "optuna random"]


def _mlp_optuna_params(trial: Any) -> dict[str, Any]:
    """MLP_SPACE in Optuna's terms (reverse-log betas as ``1 - beta`` on a log scale)."""
    return {"lr": trial.suggest_float("lr", 1e-4, 1e-1, log=True),
            "beta1": 1 - trial.suggest_float("1-beta1", 0.01, 0.2, log=True),
            "beta2": 1 - trial.suggest_float("1-beta2", 1e-4, 0.01, log=True),
            "hidden": trial.suggest_int("hidden", 16, 256, log=True),
            "depth": trial.suggest_int("depth", 1, 3),
            "batch_size": trial.suggest_categorical("batch_size", [32, 64, 128, 256]),
            "bn_beta": 1 - trial.suggest_float("1-bn_beta", 0.001, 0.2, log=True)}


def mlp_curve(strategy: str, seed: int, n: int, data: Any, fixed: dict[str, Any],
              population: int) -> list[float]:
    """Validation errors of ``n`` trials in trial order (failed members: 1.0)."""
    from caviar.adapters.population import MLP_SPACE, tune_population

    if strategy.startswith("caviar"):
        import caviar
        from caviar.samplers import CoarseToFineSampler

        smp: Any = strategy.split(" ", 1)[1]
        if smp == "coarse-to-fine":
            smp = CoarseToFineSampler(per_round=20, top_k=5, seed=seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            study = caviar.create_study(space=MLP_SPACE, sampler=smp, seed=seed,
                                        direction="maximize")
            tune_population(study, data=data, n_trials=n, population=population, fixed=fixed)
        return [1.0 - t.value if t.value is not None else 1.0 for t in study.trials]
    import optuna

    from caviar import nn

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    smp = (optuna.samplers.TPESampler(seed=seed, constant_liar=True) if strategy == "optuna tpe"
           else optuna.samplers.RandomSampler(seed=seed))
    study = optuna.create_study(sampler=smp, direction="maximize")
    errors: list[float] = []
    while len(errors) < n:
        trials = [study.ask() for _ in range(min(population, n - len(errors)))]
        configs = [{**fixed, **_mlp_optuna_params(t), "seed": t.number} for t in trials]
        result = nn.train_population(configs, data)
        for t, m in zip(trials, result.members, strict=True):
            acc = m.val_accuracy if m.history and m.state != "failed" else float("nan")
            if acc == acc:
                study.tell(t, acc)
                errors.append(1.0 - acc)
            else:
                study.tell(t, state=optuna.trial.TrialState.FAIL)
                errors.append(1.0)
    return errors


def mlp_table(seeds: int, budgets: list[int], epochs: int, population: int,
              out: list[str]) -> None:
    from caviar import nn
    from caviar.adapters.population import MLP_FIXED

    data = nn.load_dataset("digits", seed=0)
    fixed = {**MLP_FIXED, "epochs": epochs}
    n = max(budgets)
    res: dict[tuple[str, int], float] = {}
    for label in MLP_STRATEGIES:
        best: dict[int, list[float]] = {b: [] for b in budgets}
        for seed in range(seeds):
            errs = mlp_curve(label, seed, n, data, fixed, population)
            for b in budgets:
                best[b].append(min(errs[:b]))
        for b in budgets:
            res[(label, b)] = statistics.median(best[b])
        print(f"  digits BN-MLP: {label} done", file=sys.stderr, flush=True)
    out.append(f"\ndigits BN-MLP ({epochs} epochs, {population} trials per population, "
               f"validation split of 360): median best validation error over {seeds} seeds")
    out.append(f"  {'strategy':24s}" + "".join(f"{'@' + str(b):>12s}" for b in budgets))
    for label in MLP_STRATEGIES:
        out.append(f"  {label:24s}" + "".join(f"{res[(label, b)]:12.4g}" for b in budgets))
    for b in budgets:
        v, lb = min((res[(lb, b)], lb) for lb in MLP_STRATEGIES if lb.startswith("caviar"))
        o, c2f, rnd = (res[("optuna tpe", b)], res[("caviar coarse-to-fine", b)],
                       res[("caviar random", b)])
        out.append(f"  @{b}: caviar best ({lb}) / optuna tpe = {_ratio(v, o)}"
                   f"   coarse-to-fine / caviar random = {_ratio(c2f, rnd)}")


# --------------------------------------------------------------------------- overhead
def _timed(run: Callable[[int], None], n: int) -> tuple[float, float]:
    """(wall, CPU) seconds per trial of ``run(n)``."""
    w, c = time.perf_counter(), time.process_time()
    run(n)
    return (time.perf_counter() - w) / n, (time.process_time() - c) / n


def _overhead_line(cav: tuple[float, float], opt: tuple[float, float]) -> str:
    return (f"  caviar {cav[0] * 1e3:.3f} ms (CPU {cav[1] * 1e3:.3f})   optuna tpe "
            f"{opt[0] * 1e3:.3f} ms (CPU {opt[1] * 1e3:.3f})   optuna/caviar = "
            f"{opt[0] / cav[0]:.1f}x (CPU {opt[1] / cav[1]:.1f}x)")


def tpe_overhead(n_hist: int, n_timed: int, out: list[str]) -> None:
    """The random-history case: ``n_hist`` random trials (spread over the space), then TPE."""
    import optuna

    import caviar
    from caviar.storage import MemoryStorage

    sys.path.insert(0, str(HERE))
    from overhead import caviar_objective

    gc.collect()  # start clean of the earlier sections' garbage, for both tools
    warm = 5  # the first proposals read the whole history once; time the steady state
    store = MemoryStorage()
    caviar.create_study("o", storage=store, seed=0).optimize(caviar_objective, n_trials=n_hist)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        st = caviar.create_study("o", storage=store, sampler="tpe", seed=0)
    st.optimize(caviar_objective, n_trials=n_hist + warm)
    cav = _timed(lambda n: st.optimize(caviar_objective, n_trials=n_hist + warm + n), n_timed)

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    os_ = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    os_.optimize(caviar_objective, n_trials=n_hist)
    os_.sampler = optuna.samplers.TPESampler(seed=0)
    os_.optimize(caviar_objective, n_trials=warm)
    opt = _timed(lambda n: os_.optimize(caviar_objective, n_trials=n), n_timed)
    out.append(f"\nTPE per-trial overhead, random history: after {n_hist} finished random "
               f"trials (5 params asked define-by-run, in memory, mean of {n_timed} trials "
               f"after {warm}; load average {_load()})")
    out.append(_overhead_line(cav, opt))


def five_floats(trial: Any) -> float:
    """Styblinski-Tang 5-D over [-5, 5]^5, asked define-by-run (the same calls in Optuna)."""
    return styblinski_tang([trial.suggest_float(f"x{i}", -5.0, 5.0) for i in range(5)])


def tpe_overhead_real(n_hist: int, n_timed: int, out: list[str]) -> None:
    """The real case: the history made by TPE itself, so it clusters near the best (most
    kernels of g lie near every candidate), ``n_hist`` trials, then ``n_timed`` more timed."""
    import optuna

    import caviar
    from caviar.storage import MemoryStorage

    gc.collect()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        st = caviar.create_study("r", storage=MemoryStorage(), sampler="tpe", seed=0)
    st.optimize(five_floats, n_trials=n_hist)
    cav = _timed(lambda n: st.optimize(five_floats, n_trials=n_hist + n), n_timed)

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    os_ = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=0))
    os_.optimize(five_floats, n_trials=n_hist)
    opt = _timed(lambda n: os_.optimize(five_floats, n_trials=n), n_timed)
    optimum = -39.16617 * 5
    out.append(f"\nTPE per-trial overhead, real case: {n_hist} TPE trials on Styblinski-Tang "
               f"5-D (5 floats asked define-by-run, in memory), then the mean of {n_timed} more "
               f"(load average {_load()})")
    out.append(_overhead_line(cav, opt))
    out.append(f"  regret after {n_hist + n_timed} trials: caviar {st.best_value - optimum:.4g}"
               f"   optuna tpe {os_.best_value - optimum:.4g}")


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main(argv: list[str] | None = None) -> str:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--seeds", type=int, default=None)
    ap.add_argument("--mlp-seeds", type=int, default=None)
    ap.add_argument("--no-mlp", action="store_true", help="skip the digits BN-MLP rows")
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--only", choices=["regret", "hyperband", "overhead", "mlp"], default=None,
                    help="run one section (overhead: its paragraphs replace those of "
                         "bench/results/search.txt unless --no-write; others write nothing)")
    a = ap.parse_args(argv)
    seeds = a.seeds or (3 if a.quick else 50)
    budgets = [25, 50] if a.quick else [25, 50, 100]
    out = [f"bench/search.py{' --quick' if a.quick else ''}: {seeds} seeds"]
    t0 = time.time()
    only = a.only
    if only in (None, "regret"):
        regret_table(seeds, budgets, out)
    if only in (None, "hyperband"):
        hyperband_vs_random(seeds, 27 if a.quick else 81, 3, out)
    if only in (None, "overhead"):
        tpe_overhead(300 if a.quick else 2000, 10 if a.quick else 100, out)
        tpe_overhead_real(100 if a.quick else 1900, 5 if a.quick else 100, out)
    if only in (None, "mlp") and not a.no_mlp:
        mlp_table(a.mlp_seeds or (1 if a.quick else 10), [10, 20] if a.quick else budgets,
                  2 if a.quick else 8, 10, out)
    out.append(f"\n({time.time() - t0:.0f} s)")
    text = "\n".join(out)
    print(text)
    if not a.quick and not a.no_write and only is None:
        (HERE / "results").mkdir(exist_ok=True)
        (HERE / "results" / "search.txt").write_text(text + "\n")
    elif not a.quick and not a.no_write and only == "overhead":
        _splice(HERE / "results" / "search.txt", out, OVERHEAD_TITLE)
    return text


OVERHEAD_TITLE = "TPE per-trial overhead"


def _splice(path: Path, out: list[str], title: str) -> None:
    """Replace the paragraphs of ``path`` that start with ``title`` by those of ``out`` (in
    the place of the first one; else before the closing timing line), keeping the rest."""
    new = [p.strip("\n") for p in "\n".join(out[1:-1]).split("\n\n")
           if p.strip("\n").startswith(title)]
    old = path.read_text().rstrip("\n").split("\n\n") if path.exists() else []
    at = next((i for i, p in enumerate(old) if p.startswith(title)), None)
    rest = [p for p in old if not p.startswith(title)]
    if at is None:
        at = len(rest) - 1 if rest and rest[-1].startswith("(") else len(rest)
    path.parent.mkdir(exist_ok=True)
    path.write_text("\n\n".join(rest[:at] + new + rest[at:]) + "\n")


if __name__ == "__main__":
    main()
