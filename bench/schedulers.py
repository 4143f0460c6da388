"""Population schedulers at equal compute, and PBT beside Ray Tune's PBT.

Workload: the BN-MLP (2 hidden layers x 64, Adam, batch 64, float32) on sklearn digits and on
mnist1d; space: caviar.adapters.population.PBT_SPACE (lr log, beta1/beta2/bn_beta reverse-log).
Compute is counted in member-epochs (one member trained one epoch); each method gets
P * E of them (P members, E epochs):

  random      P random configs, E epochs each
  pbt         caviar.schedulers.PBT(interval=2, quantile=0.25), P members, E epochs
  asha-promo  caviar.schedulers.ASHA(eta=3), promotion-based, slots P/2; as many configs as
              fit the member-epochs (the figure printed is the work it really did)
  asha-stop   the stop-based ASHA pruner over populations of P, as many trials as fit
Median (over --seeds) of the best final validation accuracy.

Then, in the same run and on the same data, model and population: Ray Tune's
PopulationBasedTraining (plain torch BN-MLP, one member per Ray trial, checkpoints through
ray.tune, 1 CPU per trial) against caviar's PBT: wall time of each, the ratio, best accuracy.
And the overhead of one exploit/explore step at P=256 against one epoch's time.

    python bench/schedulers.py            # full run (writes bench/results/schedulers.txt)
    python bench/schedulers.py --quick    # tiny sizes, for the test suite
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

import torch  # noqa: E402

import caviar  # noqa: E402
from caviar import nn  # noqa: E402
from caviar.adapters import tune_population  # noqa: E402
from caviar.adapters.population import PBT_SPACE  # noqa: E402
from caviar.pruners import ASHAPruner  # noqa: E402
from caviar.schedulers import ASHA, PBT  # noqa: E402

SHAPE = {"hidden": 64, "depth": 2, "batch_size": 64, "optimizer": "adam", "batch_norm": True}


def member_epochs(study: Any) -> int:
    return sum(int(t.user_attrs.get("epochs_trained") or 0) for t in study.trials)


def run(method: str, data: Any, p: int, e: int, seed: int) -> tuple[float, int]:
    """Best final validation accuracy and member-epochs of one method at budget p * e."""
    fixed = {**SHAPE, "epochs": e}
    pruner = ASHAPruner(min_budget=1, eta=3, max_budget=e) if method == "asha-stop" else None
    study = caviar.create_study(direction="maximize", space=PBT_SPACE, seed=seed, pruner=pruner)
    kw: dict[str, Any] = {"fixed": fixed, "threads": 1}
    if method == "random":
        tune_population(study, data=data, n_trials=p, population=p, **kw)
    elif method == "pbt":
        tune_population(study, data=data, n_trials=p, population=p,
                        scheduler=PBT(interval=2, quantile=0.25, seed=seed), **kw)
    elif method == "asha-promo":
        # rungs 1, 3, 9, e at eta=3: a config cost 2.6 epochs on average in a measured run
        # (digits, P=16, E=12); the member-epochs really used are printed beside the result
        n = max(p, int(p * e / 2.6))
        tune_population(study, data=data, n_trials=n, population=n,
                        scheduler=ASHA(eta=3, min_budget=1, max_budget=e, slots=max(1, p // 2)),
                        **kw)
    else:  # asha-stop: populations of p until the member-epochs are spent
        n = 0
        while member_epochs(study) + p * 2 <= p * e or n == 0:
            n += p
            tune_population(study, data=data, n_trials=n, population=p, **kw)
    best = max((t.value for t in study.trials if t.value is not None), default=float("nan"))
    return float(best), member_epochs(study)


# ---------------------------------------------------------------------- the Ray Tune peer
def _ray_trainable(config: dict[str, Any], data: Any = None, epochs: int = 0) -> None:
    import ray.tune as tune

    torch.set_num_threads(1)
    torch.manual_seed(int(config["seed"]))
    d, k = data.X_train.shape[1], data.n_classes
    model = torch.nn.Sequential(
        torch.nn.Linear(d, 64, bias=False), torch.nn.BatchNorm1d(64, momentum=0.1),
        torch.nn.ReLU(), torch.nn.Linear(64, 64, bias=False),
        torch.nn.BatchNorm1d(64, momentum=0.1), torch.nn.ReLU(), torch.nn.Linear(64, k))
    # Ray's PBT multiplies a continuous param by 0.8 / 1.2 without clipping it (a beta can
    # pass 1): clip into the search range, as a Ray user has to
    def betas(c: dict[str, Any]) -> tuple[float, float]:
        return min(max(c["beta1"], 0.8), 0.99), min(max(c["beta2"], 0.99), 0.9999)

    opt = torch.optim.Adam(model.parameters(), lr=config["lr"], betas=betas(config))
    x, y = torch.as_tensor(data.X_train, dtype=torch.float32), torch.as_tensor(data.y_train)
    xv, yv = torch.as_tensor(data.X_val, dtype=torch.float32), torch.as_tensor(data.y_val)
    start = 0
    ckpt = tune.get_checkpoint()
    if ckpt is not None:
        with ckpt.as_directory() as folder:
            state = torch.load(os.path.join(folder, "state.pt"), weights_only=False)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        start = state["epoch"]
        for g in opt.param_groups:  # the explored hyperparameters
            g["lr"], g["betas"] = config["lr"], betas(config)
    for epoch in range(start, epochs):
        model.train()
        perm = torch.randperm(len(x))
        for a in range(0, len(x) - 1, 64):
            idx = perm[a:a + 64]
            if len(idx) < 2:
                continue
            loss = torch.nn.functional.cross_entropy(model(x[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            acc = float((model(xv).argmax(1) == yv).float().mean())
        with tempfile.TemporaryDirectory() as folder:
            torch.save({"model": model.state_dict(), "opt": opt.state_dict(),
                        "epoch": epoch + 1}, os.path.join(folder, "state.pt"))
            tune.report({"acc": acc}, checkpoint=tune.Checkpoint.from_directory(folder))


def ray_pbt(data: Any, p: int, e: int, seed: int) -> tuple[float, float] | None:
    """Wall seconds and best accuracy of Ray Tune's PBT (None: ray[tune] is not installed)."""
    try:
        import ray
        from ray import tune
        from ray.tune.schedulers import PopulationBasedTraining
    except ImportError:
        return None
    os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")
    ray.init(num_cpus=os.cpu_count() or 2, include_dashboard=False, log_to_driver=False,
             logging_level="ERROR")
    try:
        mutations = {"lr": tune.loguniform(1e-4, 1e-1), "beta1": tune.uniform(0.8, 0.99),
                     "beta2": tune.uniform(0.99, 0.9999)}
        pbt = PopulationBasedTraining(time_attr="training_iteration", perturbation_interval=2,
                                      hyperparam_mutations=mutations, quantile_fraction=0.25,
                                      resample_probability=0.25)
        space = {**mutations, "seed": tune.randint(0, 10**6)}
        with tempfile.TemporaryDirectory() as store:
            tuner = tune.Tuner(
                tune.with_resources(tune.with_parameters(_ray_trainable, data=data, epochs=e),
                                    {"cpu": 1}),
                param_space=space,
                tune_config=tune.TuneConfig(metric="acc", mode="max", num_samples=p,
                                            scheduler=pbt),
                run_config=tune.RunConfig(storage_path=store, verbose=0))
            start = time.perf_counter()
            results = tuner.fit()
            wall = time.perf_counter() - start
        errors = [str(r.error)[:300] for r in results if r.error is not None]
        if errors:
            print(f"Ray Tune trials failed: {errors[0]}", file=sys.stderr)
        best = max(r.metrics.get("acc", float("nan")) for r in results)
        return wall, float(best)
    finally:
        ray.shutdown()


def caviar_pbt_wall(data: Any, p: int, e: int, seed: int) -> tuple[float, float]:
    start = time.perf_counter()
    best, _ = run("pbt", data, p, e, seed)
    return time.perf_counter() - start, best


# ---------------------------------------------------------------------- overhead at P=256
def exploit_overhead(data: Any, p: int) -> tuple[float, float]:
    """Seconds of one epoch and of one exploit/explore step (PBT's decide + the engine's
    copies and hyperparameter refresh) for a population of ``p``."""
    from caviar.schedulers import Report

    cfgs = [{**SHAPE, "epochs": 2, "seed": i, "lr": 1e-3 * (1 + i % 7)} for i in range(p)]
    pbt = PBT(interval=1, quantile=0.25, seed=0)
    pbt.start(caviar.Space(PBT_SPACE), {i: {"lr": c["lr"], "beta1": 0.9, "beta2": 0.999,
                                            "bn_beta": 0.9} for i, c in enumerate(cfgs)})
    times: dict[str, float] = {}
    mark = [time.perf_counter()]

    def control(epoch: int, reports: list[Any], pop: Any) -> None:
        if epoch == 1:  # the second epoch, from the end of the first step to here
            times["epoch"] = time.perf_counter() - mark[0]
        if epoch != 0:
            return
        t0 = time.perf_counter()
        acts = pbt.decide(0, [Report(r.member, r.epoch, r.val_accuracy, True) for r in reports])
        for a in acts:
            if hasattr(a, "src"):
                pop.exploit(a.dst, a.src)
            else:
                pop.set_params(a.member, {k: a.params[k] for k in ("lr", "beta1", "beta2",
                                                                    "bn_beta")})
        pop.flush()
        mark[0] = time.perf_counter()
        times["step"] = mark[0] - t0

    nn.train_population(cfgs, data, control=control, threads=1)
    return times["epoch"], times["step"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--peer-only", action="store_true",
                    help="only the Ray Tune comparison and the overhead (not the seeds)")
    ap.add_argument("--overhead-only", action="store_true",
                    help="only the exploit/explore overhead at P=256")
    ap.add_argument("--peer-size", default=None, metavar="P,E",
                    help="population and epochs of the Ray Tune comparison [default: P,E]")
    args = ap.parse_args()
    p, e, seeds, p_over = (16, 12, args.seeds, 256) if not args.quick else (4, 4, 1, 16)
    load = os.getloadavg()
    lines = [f"bench/schedulers.py{' --quick' if args.quick else ''}: P={p} members, "
             f"E={e} epochs, {p * e} member-epochs per method, {seeds} seeds, float32, "
             f"1 thread; load average {load[0]:.2f} {load[1]:.2f}"]
    methods = ("random", "pbt", "asha-promo", "asha-stop")
    datasets = {"digits": nn.load_dataset("digits", seed=0),
                "mnist1d": nn.load_dataset("mnist1d", seed=0)}
    skip = args.peer_only or args.overhead_only
    for name, data in datasets.items() if not skip else ():
        lines.append(f"{name}: median best validation accuracy over {seeds} seeds "
                     "(member-epochs used)")
        medians = {}
        for m in methods:
            got = [run(m, data, p, e, s) for s in range(seeds)]
            medians[m] = statistics.median(b for b, _ in got)
            used = statistics.median(w for _, w in got)
            lines.append(f"  {m:<11} {medians[m]:.4f}  ({used:.0f} member-epochs)")
            print(lines[-1], flush=True)
        lines.append(f"  pbt - random: {medians['pbt'] - medians['random']:+.4f}")
    digits = datasets["digits"]
    rp, re_ = (p, e) if not args.quick else (2, 2)  # --quick: Ray's start-up is the cost
    if args.peer_size:
        rp, re_ = (int(v) for v in args.peer_size.split(","))
    ray_got = ray_pbt(digits, rp, re_, 0) if not args.overhead_only else None
    wall, best = caviar_pbt_wall(digits, rp, re_, 0)
    if args.overhead_only:
        pass
    elif ray_got is None:
        lines.append("Ray Tune PBT: skipped (pip install 'caviar[ray]' brings ray[tune])")
    else:
        lines.append(f"digits PBT, P={rp}, E={re_}: caviar {wall:.1f} s (best {best:.4f}); "
                     f"Ray Tune PopulationBasedTraining {ray_got[0]:.1f} s (best "
                     f"{ray_got[1]:.4f}); caviar is {ray_got[0] / wall:.1f}x faster than "
                     "Ray Tune PBT")
    epoch_s, step_s = exploit_overhead(digits, p_over)
    lines.append(f"P={p_over}: one epoch {epoch_s * 1e3:.0f} ms, one exploit/explore step "
                 f"({p_over // 4} exploits) {step_s * 1e3:.1f} ms = "
                 f"{100 * step_s / epoch_s:.2f}% of the epoch")
    text = "\n".join(lines)
    print(text)
    if not args.quick:
        name = ("schedulers-peer.txt" if args.peer_only else "schedulers-overhead.txt"
                if args.overhead_only else "schedulers.txt")
        (HERE / "results" / name).write_text(text + "\n")


if __name__ == "__main__":
    main()
