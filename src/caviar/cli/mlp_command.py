"""``caviar tune-mlp``: tune the built-in batch-norm MLP on a packaged data set, a whole
population of networks at a time (caviar.nn)."""

from __future__ import annotations

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


@click.command("tune-mlp")
@click.option("--data", default="digits", show_default=True,
              type=click.Choice(["digits", "mnist5k", "mnist1d"]),
              help="A data set that ships with a package (nothing downloads).")
@click.option("--trials", "-n", "n_trials", type=int, default=128, show_default=True,
              help="Target number of trials in the study (resumes up to it).")
@click.option("--population", "-p", type=int, default=64, show_default=True,
              help="Networks trained at once as one batched program.")
@click.option("--epochs", type=int, default=20, show_default=True)
@click.option("--study", "study_name", default="mlp", show_default=True,
              callback=nonblank_study)
@click.option("--sampler", type=click.Choice(["random", "sobol", "tpe", "coarse-to-fine"]),
              default=None, help="Sampler for a new study [default: random].")
@click.option("--pruner", type=click.Choice(["none", "median", "asha", "hyperband"]),
              default="none", show_default=True, help="Stop members per epoch.")
@scheduler_options
@click.option("--seed", type=int, default=None)
@click.option("--objectives", "objectives_text", default=None, metavar="NAME,NAME,...",
              help="Tune several objectives at once: val_accuracy (maximize), n_params, flops "
              "(forward FLOPs per example), train_seconds (minimize), e.g. "
              "val_accuracy,n_params; prints the Pareto front.")
@click.option("--device", default="cpu", show_default=True, help="cpu, cuda, cuda:1, ...")
@click.option("--threads", type=int, default=None,
              help="torch threads (default: 1 on CPU, the fastest for populations; docs/nn.md).")
@stale_after_option
@storage_option
@quiet_option
def tune_mlp(data: str, n_trials: int, population: int, epochs: int, study_name: str,
             sampler: str | None, pruner: str, scheduler: str, pbt_interval: int,
             pbt_quantile: float, pbt_resample: float, eta: int, slots: int | None,
             seed: int | None, objectives_text: str | None, device: str,
             threads: int | None, stale_after: float | None, storage: str,
             quiet: bool) -> None:
    """Random search (or another sampler) over the lecture's space: learning rate (log), Adam
    beta1 and beta2 (reverse-log), hidden width (log int), depth, mini-batch size and the
    batch-norm beta (reverse-log). With --scheduler pbt the space is the params a member can
    change while it trains (lr, Adam betas, batch-norm beta) on a fixed network shape."""
    from caviar.adapters import MLP_SPACE, tune_population
    from caviar.adapters.population import PBT_FIXED, PBT_SPACE
    from caviar.errors import UsageError
    from caviar.executors.progress import ProgressView
    from caviar.pruners import make_pruner
    from caviar.storage import get_storage
    from caviar.study import create_study

    if epochs < 1:
        raise UsageError(f"--epochs: must be >= 1, got {epochs}")
    pr: Any = None
    if pruner != "none":
        pr = make_pruner(pruner) if pruner == "median" else make_pruner(
            {"name": pruner, "min_budget": 1, "max_budget": epochs - 1 or 1})
    space, fixed = MLP_SPACE, {"epochs": epochs}
    sched = make_cli_scheduler(scheduler, pruner, epochs, seed, pbt_interval=pbt_interval,
                               pbt_quantile=pbt_quantile, pbt_resample=pbt_resample, eta=eta,
                               slots=slots)
    if scheduler == "pbt":
        space, fixed = PBT_SPACE, {**PBT_FIXED, "epochs": epochs}
    names, dirs = _objectives(objectives_text)
    store = get_storage(storage)
    before = stored_sampler(store, study_name)
    multi = len(dirs) > 1
    study = create_study(study_name, storage=store, direction=None if multi else "maximize",
                         directions=list(dirs) if multi else None, sampler=sampler,
                         seed=seed, space=space, pruner=pr,
                         report_direction="maximize" if multi and pr is not None else None)
    if multi:
        study.set_objective_names(list(names))
    note_sampler_change(study.name, before, sampler)
    out = console(quiet)
    out.print(f"study [bold]{esc(study.name)}[/] in {esc(study.storage.url)}: {n_trials} "
              "trials of the "
              f"batch-norm MLP on {data}, {population} at a time, {epochs} epochs, "
              f"device {device}" + (f", scheduler {scheduler}" if sched else ""))
    done = sum(1 for t in study.trials if t.counted and t.state != "running")
    view = ProgressView(study.name, "maximize", n_trials, done, _best(study), enabled=not quiet)

    def on_population(round_: int, size: int) -> None:
        view.set(sum(1 for t in study.trials if t.counted and t.state != "running"),
                 _best(study))

    try:
        tune_population(study, data=data, n_trials=n_trials, population=population,
                        fixed=fixed, device=device, threads=threads, scheduler=sched,
                        on_population=on_population,
                        objectives=list(names) if objectives_text else None,
                        **liveness(stale_after))
        on_population(0, 0)
    finally:
        view.close()
    out.print("trials: " + ", ".join(f"{k} {v}" for k, v in sorted(study.counts().items())))
    if multi:
        from caviar.cli.front import front_text

        click.echo(front_text(study))
        return
    best = study.best_trial
    click.echo(best_text(best, study.direction).replace(
        "value =", "validation accuracy ="))


def _objectives(text: str | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """``--objectives val_accuracy,n_params``: the names and their directions."""
    from caviar.adapters.objectives import MLP_OBJECTIVES, check_objectives

    if text is None:
        return ("val_accuracy",), ("maximize",)
    names = tuple(w.strip() for w in text.split(","))
    return names, check_objectives(names, MLP_OBJECTIVES)


def _best(study: Any) -> float | None:
    if study.is_multi_objective:
        return None
    vals = [t.value for t in study.trials if t.state == "complete" and t.value is not None]
    return max(vals) if vals else None


COMMANDS = [tune_mlp]
