"""The commands of ``caviar``: tune, demo, studies, trials, best, export."""

from __future__ import annotations

import sys
from typing import Any

import click

from caviar.cli import db_commands, mlp_command
from caviar.cli.options import run_options, storage_option
from caviar.cli.show import best_text, console, studies_table, trials_table
from caviar.cli.viz_commands import ALL as VIZ_COMMANDS
from caviar.errors import UsageError


def _run(objective: Any, *, storage: str, study_name: str | None, n_trials: int | None,
         timeout: float | None, workers: int, sampler: str | None, direction: str | None,
         seed: int | None, quiet: bool, pruner: str = "none", min_budget: float = 1.0,
         max_budget: float | None = None, eta: float = 3.0, backend: str = "local",
         address: str | None = None,
         cpus_per_trial: float = 1.0, gpus_per_trial: float = 0.0, max_retries: int = 3,
         space: dict[str, Any] | None = None,
         default_direction: str = "minimize", default_trials: int | None = None,
         objective_spec: str | None = None) -> None:
    from caviar.storage import get_storage
    from caviar.study import create_study

    if n_trials is None and timeout is None:
        n_trials = default_trials
    if n_trials is None and timeout is None:
        raise UsageError("tune: give --trials N, --timeout SECONDS, or both")
    store = get_storage(storage)
    study_name = study_name or "default"
    existing = {s.name: s for s in store.list_studies()}
    if study_name in existing and direction is None:
        direction = existing[study_name].direction
    study = create_study(study_name, storage=store, direction=direction or default_direction,
                         sampler=sampler, seed=seed, space=space,
                         pruner=_pruner(pruner, min_budget, max_budget, eta))
    if objective_spec is not None:
        study.set_user_attr("objective", objective_spec)
    if n_trials is not None:
        study.set_user_attr("n_trials", n_trials)
    if study.pruner is not None:  # `caviar worker` on another machine prunes the same way
        study.set_user_attr("pruner", study.pruner.to_json())
    out = console(quiet)
    out.print(f"study [bold]{study.name}[/] in {store.url}: target {n_trials or '-'} trials, "
              f"{workers} worker(s), sampler {study.sampler.name}")
    ray = None
    if backend == "ray":
        from caviar.executors.ray_backend import RayOptions

        if cpus_per_trial <= 0 or gpus_per_trial < 0 or max_retries < 0:
            raise UsageError(f"ray: needs cpus-per-trial > 0, gpus-per-trial >= 0 and "
                             f"max-retries >= 0, got {cpus_per_trial}, {gpus_per_trial}, "
                             f"{max_retries}")
        ray = RayOptions(address=address, cpus_per_trial=cpus_per_trial,
                         gpus_per_trial=gpus_per_trial, max_retries=max_retries)
    study.optimize(objective, n_trials=n_trials, timeout=timeout, workers=workers,
                   progress=not quiet, backend=backend, ray=ray)
    counts = study.counts()
    out.print("trials: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    try:
        best = study.best_trial
    except UsageError as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(1)
    click.echo(best_text(best, study.direction))


def _pruner(name: str, min_budget: float, max_budget: float | None, eta: float) -> Any:
    from caviar.pruners import make_pruner

    def num(x: float) -> float:
        return int(x) if float(x).is_integer() else x

    if name in ("none", "median"):
        return make_pruner(name)
    if name in ("halving", "hyperband") and max_budget is None:
        raise UsageError(f"--pruner {name}: needs --max-budget (the budget a full trial "
                         "reaches, e.g. --max-budget 81)")
    opts: dict[str, Any] = {"min_budget": num(min_budget), "eta": num(eta)}
    if max_budget is not None:
        opts["max_budget"] = num(max_budget)
    return make_pruner(name, **opts)


@click.command()
@click.argument("target", metavar="FILE.py:FUNC")
@run_options
def tune(target: str, **kw: Any) -> None:
    """Tune the objective FUNC(trial) -> value defined in FILE.py."""
    from caviar.cli.objective_ref import ObjectiveRef

    ref = ObjectiveRef(target)
    _run(ref, objective_spec=f"{ref.path}:{ref.func}", **kw)


@click.command()
@click.argument("target", metavar="[FILE.py:FUNC]", required=False)
@click.option("--study", "study_name", required=True, help="The study to join.")
@click.option("--trials", "-n", "n_trials", type=int, default=None,
              help="Target number of trials [default: the one `caviar tune` stored].")
@click.option("--workers", "-w", type=int, default=1, show_default=True,
              help="Worker processes on this machine.")
@click.option("--timeout", type=float, default=None)
@storage_option
@click.option("--quiet", "-q", is_flag=True)
def worker(target: str | None, study_name: str, n_trials: int | None, workers: int,
           timeout: float | None, storage: str, quiet: bool) -> None:
    """Join a running study from this machine (its storage must be shared, e.g. PostgreSQL).

    The objective defaults to the FILE.py:FUNC that `caviar tune` stored with the study; give
    it explicitly when the file lives at another path on this machine."""
    from caviar.cli.objective_ref import ObjectiveRef
    from caviar.study import load_study

    study = load_study(study_name, storage=storage)
    if study.user_attrs.get("pruner"):
        from caviar.pruners import make_pruner

        study.pruner = make_pruner(study.user_attrs["pruner"])
    spec = target or study.user_attrs.get("objective")
    if not spec:
        raise UsageError(f"study {study_name!r}: has no stored objective; pass FILE.py:FUNC")
    n_trials = n_trials or study.user_attrs.get("n_trials")
    if n_trials is None and timeout is None:
        raise UsageError(f"study {study_name!r}: has no stored target; pass --trials N")
    out = console(quiet)
    out.print(f"worker joins study [bold]{study.name}[/] in {study.storage.url}: "
              f"target {n_trials}, {workers} process(es)")
    study.optimize(ObjectiveRef(spec), n_trials=n_trials, timeout=timeout, workers=workers,
                   progress=not quiet)
    out.print("trials: " + ", ".join(f"{k} {v}" for k, v in sorted(study.counts().items())))


@click.command()
@run_options
def demo(**kw: Any) -> None:
    """Tune a real classifier on the bundled digits data (needs scikit-learn)."""
    from caviar.cli.demo import SPACE, objective

    kw["study_name"] = kw["study_name"] or "digits-demo"
    _run(objective, space=SPACE, default_direction="maximize", default_trials=40, **kw)


@click.command()
@storage_option
def studies(storage: str) -> None:
    """List the studies in a storage."""
    from caviar.storage import get_storage

    console().print(studies_table(get_storage(storage).list_studies()))


@click.command()
@click.argument("study_name", metavar="STUDY")
@storage_option
@click.option("--limit", type=int, default=50, show_default=True, help="Show the last N.")
@click.option("--state", type=click.Choice(["running", "complete", "pruned", "fail"]),
              default=None)
def trials(study_name: str, storage: str, limit: int, state: str | None) -> None:
    """List a study's trials."""
    from caviar.study import load_study

    study = load_study(study_name, storage=storage)
    ts = study.get_trials([state] if state else None)
    names = list(study.space) or sorted({k for t in ts for k in t.params})
    shown = ts[-limit:] if limit > 0 else ts
    console().print(trials_table(shown, names, f"{study.name}: {len(shown)} of {len(ts)} trials"))


@click.command()
@click.argument("study_name", metavar="STUDY")
@storage_option
def best(study_name: str, storage: str) -> None:
    """Print the best trial of a study."""
    from caviar.study import load_study

    study = load_study(study_name, storage=storage)
    click.echo(best_text(study.best_trial, study.direction))


@click.command()
@click.argument("study_name", metavar="STUDY")
@storage_option
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv",
              show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False), default=None,
              help="File to write (default: standard output).")
def export(study_name: str, storage: str, fmt: str, output: str | None) -> None:
    """Export a study's trials as CSV or JSON."""
    from caviar.study import load_study

    study = load_study(study_name, storage=storage)
    text = study.to_csv(output) if fmt == "csv" else study.to_json(output)
    if output is None:
        click.echo(text, nl=False)
    else:
        click.echo(f"wrote {len(study.trials)} trials to {output}", err=True)


@click.command()
@click.argument("study_name", metavar="STUDY")
@storage_option
@click.option("--top", type=int, default=10, show_default=True,
              help="How many of the best trials the boundary check looks at.")
def advise(study_name: str, storage: str, top: int) -> None:
    """Scale and boundary findings for a study: ranges on the wrong scale, best trials
    pressing against a boundary."""
    from caviar.analysis import advise_study
    from caviar.study import load_study

    study = load_study(study_name, storage=storage)
    found = advise_study(study, top=top)
    for p in study.space.values():
        click.echo(f"{p.name}: {p.to_json()}")
    if not found:
        click.echo("no findings: scales look right and the best trials sit inside the ranges")
    for f in found:
        click.echo(f"[{f.kind}] {f.message}")


ALL = [tune, worker, demo, studies, trials, best, export, advise]
ALL += VIZ_COMMANDS  # report, plot, dashboard (caviar.cli.viz_commands)
ALL += [db_commands.db]  # caviar db version|upgrade URL
from caviar.cli.retest_command import ALL as RETEST_COMMANDS  # noqa: E402

ALL += RETEST_COMMANDS  # caviar retest STUDY --top 5 --seeds 5
ALL += [mlp_command.tune_mlp]  # caviar tune-mlp (the population engine)
from caviar.cli import panda_commands  # noqa: E402

ALL += panda_commands.COMMANDS  # babysit, nudge, pause, resume, stop, rewind, replay, history
