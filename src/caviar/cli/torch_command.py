"""``caviar tune-torch FILE.py:MEMBER``: tune the user's own torch.nn.Module, a whole
population of networks at a time (caviar.torch).

MEMBER(trial) returns a ``caviar.torch.Member``. ``--train`` and ``--val`` name objects in a
file (``FILE.py:NAME``, or just ``NAME`` in the member's file): a pair ``(x, y)``, a torch
Dataset, a DataLoader, or a function of no arguments that returns one."""

from __future__ import annotations

import importlib.util
import os
import sys
from typing import Any

import click

from caviar.cli.options import (
    liveness,
    nonblank_study,
    quiet_option,
    stale_after_option,
    storage_option,
)
from caviar.cli.sampler_note import note_sampler_change, stored_sampler
from caviar.cli.scheduler_options import make_cli_scheduler, scheduler_options
from caviar.cli.show import best_text, console, esc


def load_value(spec: str, default_path: str) -> Any:
    """``FILE.py:NAME`` (or ``NAME`` in ``default_path``): the object, called if a function."""
    from caviar.errors import ObjectiveLoadError

    path, _, name = spec.rpartition(":")
    path = os.path.abspath(path or default_path)
    if not name:
        raise ObjectiveLoadError(f"data {spec!r}: must be FILE.py:NAME or NAME, e.g. "
                                 "train.py:TRAIN")
    if not os.path.isfile(path):
        raise ObjectiveLoadError(f"data {spec!r}: file {path!r} does not exist; check the path")
    mod_name = "caviar_objective_" + os.path.splitext(os.path.basename(path))[0]
    module = sys.modules.get(mod_name)  # the member's file is imported once (ObjectiveRef)
    if module is None or getattr(module, "__file__", None) != path:
        loader = importlib.util.spec_from_file_location(mod_name, path)
        if loader is None or loader.loader is None:
            raise ObjectiveLoadError(f"data {spec!r}: cannot import {path!r}")
        module = importlib.util.module_from_spec(loader)
        sys.path.insert(0, os.path.dirname(path))
        sys.modules[mod_name] = module
        try:
            loader.loader.exec_module(module)
        except Exception as e:
            del sys.modules[mod_name]
            raise ObjectiveLoadError(f"data {spec!r}: importing {path!r} failed: "
                                     f"{type(e).__name__}: {e}") from e
    if not hasattr(module, name):
        found = sorted(k for k in vars(module) if k.isupper())[:10]
        raise ObjectiveLoadError(f"data {spec!r}: {path!r} has no {name!r}; upper-case names "
                                 f"there: {', '.join(found) or 'none'}")
    value = getattr(module, name)
    if callable(value) and not hasattr(value, "__getitem__") and not hasattr(value, "__iter__"):
        value = value()
    return value


@click.command("tune-torch")
@click.argument("target", metavar="FILE.py:MEMBER")
@click.option("--train", "train_spec", default="TRAIN", show_default=True,
              help="Training data: FILE.py:NAME, or NAME in the member's file.")
@click.option("--val", "val_spec", default="VAL", show_default=True,
              help="Validation data: FILE.py:NAME, or NAME in the member's file.")
@click.option("--trials", "-n", "n_trials", type=int, default=128, show_default=True,
              help="Target number of trials in the study (resumes up to it).")
@click.option("--population", "-p", type=int, default=32, show_default=True,
              help="Networks trained at once (in as few batched programs as shapes allow).")
@click.option("--epochs", type=int, default=10, show_default=True)
@click.option("--objectives", "objectives_text", default=None, metavar="NAME,NAME,...",
              help="Tune several objectives at once: metric (the --metric, its direction), "
              "n_params, flops (forward FLOPs per example), train_seconds (minimize), e.g. "
              "metric,n_params; prints the Pareto front.")
@click.option("--loss", type=click.Choice(["cross_entropy", "mse"]), default="cross_entropy",
              show_default=True)
@click.option("--metric", type=click.Choice(["accuracy", "loss"]), default="accuracy",
              show_default=True, help="Validation metric (accuracy maximizes, loss minimizes).")
@click.option("--study", "study_name", default="torch", show_default=True,
              callback=nonblank_study)
@click.option("--sampler", type=click.Choice(["random", "sobol", "tpe", "coarse-to-fine"]),
              default=None, help="Sampler for a new study [default: random].")
@click.option("--pruner", type=click.Choice(["none", "median", "asha", "hyperband"]),
              default="none", show_default=True, help="Stop members per epoch.")
@scheduler_options
@click.option("--seed", type=int, default=None, help="Study seed; also the batch order.")
@click.option("--device", default="cpu", show_default=True, help="cpu, cuda, cuda:1, auto")
@click.option("--dtype", type=click.Choice(["float32", "float64"]), default="float32",
              show_default=True)
@click.option("--threads", type=int, default=None, help="torch threads (default: all cores).")
@click.option("--unbatchable", type=click.Choice(["refuse", "one-at-a-time"]),
              default="refuse", show_default=True,
              help="A module torch.func cannot batch: refuse it, or train its group one "
              "member at a time.")
@click.option("--batch-order", type=click.Choice(["shared", "per-member"]), default="shared",
              show_default=True, help="One data order per population, or one per trial.")
@click.option("--precision", type=click.Choice(["fp32", "bf16"]), default="fp32",
              show_default=True, help="bf16: forward and loss under CUDA bf16 autocast.")
@click.option("--backend", type=click.Choice(["local", "ray"]), default="local",
              show_default=True, help="This process, or one Ray task per population.")
@click.option("--workers", "-w", type=int, default=1, show_default=True,
              help="Ray: populations trained at once.")
@click.option("--address", default=None, help="Ray cluster address: auto or ray://host:port "
              "[default: start a local Ray].")
@click.option("--cpus-per-trial", type=float, default=1.0, show_default=True,
              help="Ray: CPUs of one population (also its torch threads).")
@click.option("--gpus-per-trial", type=float, default=0.0, show_default=True,
              help="Ray: GPUs of one population (use with --device cuda or auto).")
@click.option("--max-retries", type=int, default=3, show_default=True,
              help="Ray: retries of a population whose worker died (it resumes from its "
              "members' last epoch checkpoints).")
@stale_after_option
@storage_option
@quiet_option
def tune_torch(target: str, train_spec: str, val_spec: str, n_trials: int, population: int,
               epochs: int, loss: str, metric: str, study_name: str, sampler: str | None,
               pruner: str, seed: int | None, device: str, dtype: str, threads: int | None,
               unbatchable: str, batch_order: str, precision: str, backend: str, workers: int,
               address: str | None, cpus_per_trial: float, gpus_per_trial: float, max_retries: int,
               stale_after: float | None, storage: str, quiet: bool,
               objectives_text: str | None = None, scheduler: str = "none",
               pbt_interval: int = 2, pbt_quantile: float = 0.25, pbt_resample: float = 0.25,
               eta: int = 3, slots: int | None = None) -> None:
    """Tune MEMBER(trial) -> caviar.torch.Member defined in FILE.py: every population of
    trials trains as one batched program per group of same-shaped networks."""
    from caviar.errors import UsageError
    from caviar.executors.progress import ProgressView
    from caviar.objective_ref import ObjectiveRef
    from caviar.pruners import make_pruner
    from caviar.storage import get_storage
    from caviar.study import create_study

    for name, v in (("--epochs", epochs), ("--trials", n_trials),
                    ("--population", population)):
        if v < 1:
            raise UsageError(f"{name}: must be >= 1, got {v}")
    if threads is not None and threads < 1:
        raise UsageError(f"--threads: must be >= 1, got {threads}")
    ray_options = None
    if backend == "ray":
        from caviar.executors.ray_backend import RayOptions

        if workers < 1 or cpus_per_trial <= 0 or gpus_per_trial < 0 or max_retries < 0:
            raise UsageError(f"--backend ray: needs --workers >= 1, --cpus-per-trial > 0, "
                             f"--gpus-per-trial >= 0 and --max-retries >= 0, got {workers}, "
                             f"{cpus_per_trial}, {gpus_per_trial}, {max_retries}")
        ray_options = RayOptions(address=address, cpus_per_trial=cpus_per_trial,
                                 gpus_per_trial=gpus_per_trial, max_retries=max_retries)
    elif workers != 1:
        raise UsageError(f"--workers {workers}: needs --backend ray (or start several "
                         "tune-torch processes on one --storage)")
    sched = make_cli_scheduler(scheduler, pruner, epochs, seed, pbt_interval=pbt_interval,
                               pbt_quantile=pbt_quantile, pbt_resample=pbt_resample, eta=eta,
                               slots=slots)
    if sched is not None:
        from caviar.adapters.torch_schedule import check_torch_scheduler

        check_torch_scheduler(sched, backend=backend, pruner=None,
                              objectives=_objectives(objectives_text, "maximize")[0])
    ref = ObjectiveRef(target)
    train = load_value(train_spec, ref.path)
    val = load_value(val_spec, ref.path)
    import torch

    import caviar.torch as ct

    if threads is not None:
        torch.set_num_threads(threads)
    direction = "maximize" if metric == "accuracy" else "minimize"
    names, dirs = _objectives(objectives_text, direction)
    multi = len(dirs) > 1
    pr: Any = None
    if pruner != "none":
        pr = make_pruner(pruner) if pruner == "median" else make_pruner(
            {"name": pruner, "min_budget": 1, "max_budget": epochs - 1 or 1})
    store = get_storage(storage)
    before = stored_sampler(store, study_name)
    study = create_study(study_name, storage=store, direction=None if multi else direction,
                         directions=list(dirs) if multi else None, sampler=sampler,
                         seed=seed, pruner=pr,
                         report_direction=direction if multi and pr is not None else None)
    if multi:
        study.set_objective_names(list(names))
    note_sampler_change(study.name, before, sampler)
    study.set_user_attr("objective", f"{ref.path}:{ref.func}")
    study.set_user_attr("n_trials", n_trials)
    out = console(quiet)
    out.print(f"study [bold]{esc(study.name)}[/] in {esc(study.storage.url)}: {n_trials} "
              f"trials of {esc(ref.func)} from {esc(os.path.basename(ref.path))}, "
              f"{population} at a time, {epochs} epochs, device {device}, {dtype}"
              + (f", {workers} Ray task(s) at a time" if backend == "ray" else "")
              + (f", scheduler {scheduler}" if sched is not None else ""))
    done = sum(1 for t in study.trials if t.counted and t.state != "running")
    view = ProgressView(study.name, direction, n_trials, done, _best(study),
                        enabled=not quiet)

    def on_population(round_: int, size: int) -> None:
        view.set(sum(1 for t in study.trials if t.counted and t.state != "running"),
                 _best(study))

    def on_groups(labels: list[str]) -> None:
        if not quiet:
            click.echo(f"population: {len(labels)} program(s): " + "; ".join(labels),
                       err=True)

    try:
        # Ray workers load FILE.py:MEMBER themselves (the reference pickles, not the function)
        ct.optimize(study, ref if backend == "ray" else ref.load(), train=train, val=val,
                    loss=loss, metric=metric, epochs=epochs, population=population,
                    n_trials=n_trials, device=device, dtype=getattr(torch, dtype),
                    seed=seed or 0, unbatchable=unbatchable.replace("-", "_"),
                    batch_order=batch_order.replace("-", "_"), precision=precision,
                    backend=backend, workers=workers, ray=ray_options,
                    on_population=on_population, on_groups=on_groups,
                    objectives=list(names) if objectives_text else None, scheduler=sched,
                    **liveness(stale_after))
        on_population(0, 0)
    finally:
        view.close()
    out.print("trials: " + ", ".join(f"{k} {v}" for k, v in sorted(study.counts().items())))
    if multi:
        from caviar.cli.front import front_text

        click.echo(front_text(study))
        return
    try:
        best = study.best_trial
    except UsageError as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(1)
    click.echo(best_text(best, study.direction).replace("value =", f"validation {metric} ="))


def _objectives(text: str | None, direction: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """``--objectives metric,n_params``: the names and their directions (the metric's own)."""
    from caviar.adapters.objectives import MEASURES, check_objectives

    if text is None:
        return ("metric",), (direction,)
    names = tuple(w.strip() for w in text.split(","))
    return names, check_objectives(names, {"metric": direction, **MEASURES})


def _best(study: Any) -> float | None:
    if study.is_multi_objective:
        return None
    vals = [float(t.value) for t in study.trials
            if t.state == "complete" and t.value is not None]
    if not vals:
        return None
    return max(vals) if study.direction == "maximize" else min(vals)


COMMANDS = [tune_torch]
