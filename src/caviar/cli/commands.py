"""The commands of ``caviar``: tune, demo, studies, trials, best, export."""

from __future__ import annotations

import sys
from typing import Any

import click

from caviar.cli import db_commands, lineage_command, mlp_command, torch_command
from caviar.cli.front import front_text, parse_directions, sorted_trials, value_columns
from caviar.cli.options import (
    liveness,
    nonblank_study,
    run_options,
    stale_after_option,
    storage_option,
    timeout_option,
)
from caviar.cli.sampler_note import note_sampler_change, stored_sampler
from caviar.cli.show import best_text, console, esc, studies_table, trials_table
from caviar.cli.stores import check_output, open_existing, write_failed
from caviar.cli.viz_commands import ALL as VIZ_COMMANDS
from caviar.errors import UsageError


def _run(objective: Any, *, storage: str, study_name: str | None, n_trials: int | None,
         timeout: float | None, workers: int, sampler: str | None, direction: str | None,
         seed: int | None, quiet: bool, pruner: str = "none", min_budget: float = 1.0,
         max_budget: float | None = None, eta: float = 3.0, backend: str = "local",
         address: str | None = None,
         cpus_per_trial: float = 1.0, gpus_per_trial: float = 0.0, max_retries: int = 3,
         stale_after: float | None = None, space: Any = None,
         default_direction: str = "minimize", default_trials: int | None = None,
         objective_spec: str | None = None, directions: list[str] | None = None,
         report_direction: str | None = None) -> None:
    from caviar.storage import get_storage
    from caviar.study import create_study

    if n_trials is None and timeout is None:
        n_trials = default_trials
    if n_trials is None and timeout is None:
        raise UsageError("tune: give --trials N, --timeout SECONDS, or both")
    store = get_storage(storage)
    study_name = study_name or "default"
    existing = {s.name: s for s in store.list_studies()}
    if study_name in existing and direction is None and directions is None:
        held = existing[study_name].directions
        direction, directions = (held[0], None) if len(held) == 1 else (None, list(held))
    before = stored_sampler(store, study_name)
    study = create_study(study_name, storage=store,
                         direction=None if directions else direction or default_direction,
                         directions=directions, sampler=sampler, seed=seed, space=space,
                         pruner=_pruner(pruner, min_budget, max_budget, eta),
                         report_direction=report_direction)
    note_sampler_change(study.name, before, sampler)
    if objective_spec is not None:
        study.set_user_attr("objective", objective_spec)
    if n_trials is not None:
        study.set_user_attr("n_trials", n_trials)
    if study.pruner is not None:  # `caviar worker` on another machine prunes the same way
        study.set_user_attr("pruner", study.pruner.to_json())
    out = console(quiet)
    out.print(f"study [bold]{esc(study.name)}[/] in {esc(store.url)}: target "
              f"{n_trials or '-'} trials, {workers} worker(s), sampler {study.sampler.name}")
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
                   progress=not quiet, backend=backend, ray=ray, **liveness(stale_after))
    counts = study.counts()
    out.print("trials: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    try:
        text = front_text(study) if study.is_multi_objective else best_text(
            study.best_trial, study.direction)
    except UsageError as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(1)
    click.echo(text)


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
@click.option("--space", "space_file", type=click.Path(dir_okay=False), default=None,
              metavar="FILE.json", help="The study's space as JSON (caviar.space.Space."
              "to_json); instead of a SPACE dict in FILE.py. Needed by --sampler grid when "
              "the objective declares no SPACE.")
@click.option("--directions", "directions_text", default=None, metavar="D1,D2,...",
              help="Several objectives: one direction each, e.g. maximize,minimize (FUNC "
              "returns a tuple of that length); instead of --direction.")
@click.option("--report-direction", type=click.Choice(["minimize", "maximize"]), default=None,
              help="The direction of what FUNC reports with trial.report (the curve a pruner "
              "compares); needed for --pruner with --directions.")
@run_options
def tune(target: str, space_file: str | None, directions_text: str | None,
         report_direction: str | None, **kw: Any) -> None:
    """Tune the objective FUNC(trial) -> value defined in FILE.py.

    A module-level SPACE = {"lr": Float(1e-4, 1, scale="log"), ...} in FILE.py (or --space
    FILE.json) declares the params up front, as the grid sampler needs. With --directions,
    FUNC returns one value per direction and the Pareto front is printed."""
    from caviar.cli.space_file import load_space_file
    from caviar.objective_ref import ObjectiveRef

    ref = ObjectiveRef(target)
    space = ref.space()
    if space_file is not None:
        if space is not None:
            raise UsageError(f"tune: {ref.path!r} declares SPACE and --space {space_file!r} "
                             "gives another; keep one of them")
        space = load_space_file(space_file)
    directions = parse_directions(directions_text, kw.get("direction"))
    _run(ref, objective_spec=f"{ref.path}:{ref.func}", space=space, directions=directions,
         report_direction=report_direction, **kw)


@click.command()
@click.argument("target", metavar="[FILE.py:FUNC]", required=False)
@click.option("--study", "study_name", required=True, callback=nonblank_study,
              help="The study to join.")
@click.option("--trials", "-n", "n_trials", type=int, default=None,
              help="Target number of trials [default: the one `caviar tune` stored].")
@click.option("--workers", "-w", type=int, default=1, show_default=True,
              help="Worker processes on this machine.")
@timeout_option
@stale_after_option
@storage_option
@click.option("--quiet", "-q", is_flag=True)
def worker(target: str | None, study_name: str, n_trials: int | None, workers: int,
           timeout: float | None, stale_after: float | None, storage: str,
           quiet: bool) -> None:
    """Join a running study from this machine (its storage must be shared, e.g. PostgreSQL).

    The objective defaults to the FILE.py:FUNC that `caviar tune` stored with the study; give
    it explicitly when the file lives at another path on this machine."""
    from caviar.objective_ref import ObjectiveRef
    from caviar.study import load_study

    study = load_study(study_name, storage=open_existing(storage))
    if study.user_attrs.get("pruner"):
        from caviar.pruners import make_pruner

        study.pruner = make_pruner(study.user_attrs["pruner"])
    spec = target or study.user_attrs.get("objective")
    if not spec:
        raise UsageError(f"study {study_name!r}: has no stored objective; pass FILE.py:FUNC")
    n_trials = n_trials or study.user_attrs.get("n_trials")
    if n_trials is None and timeout is None:
        raise UsageError(f"study {study_name!r}: has no stored target; pass --trials N")
    ref = ObjectiveRef(spec)
    _check_same_space(study, ref)
    out = console(quiet)
    out.print(f"worker joins study [bold]{esc(study.name)}[/] in {esc(study.storage.url)}: "
              f"target {n_trials}, {workers} process(es), sampler {study.sampler.name}")
    study.optimize(ref, n_trials=n_trials, timeout=timeout, workers=workers,
                   progress=not quiet, **liveness(stale_after))
    out.print("trials: " + ", ".join(f"{k} {v}" for k, v in sorted(study.counts().items())))


def _check_same_space(study: Any, ref: Any) -> None:
    """A worker's objective file that declares SPACE must declare the study's space."""
    space = ref.space()
    if space is not None and space.to_json() != study.declared.to_json():
        raise UsageError(f"study {study.name!r}: declares {sorted(study.declared)} "
                         f"({study.declared.to_json()}), but SPACE in {ref.path!r} is "
                         f"{space.to_json()}; join with the file the study was tuned with")


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
    console().print(studies_table(open_existing(storage).list_studies()))


@click.command()
@click.argument("study_name", metavar="STUDY")
@storage_option
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True,
              help="Show N trials (N >= 1): the last N by number, else the first N in "
                   "--sort order (--sort value --limit 10: the ten best).")
@click.option("--sort", type=click.Choice(["number", "value", "duration"]), default="number",
              show_default=True,
              help="number: oldest first; value: best first for the study's direction; "
                   "duration: longest first.")
@click.option("--state", type=click.Choice(["running", "complete", "pruned", "fail"]),
              default=None)
def trials(study_name: str, storage: str, limit: int, sort: str, state: str | None) -> None:
    """List a study's trials (fits the terminal's width; COLUMNS overrides it)."""
    from caviar.cli.show import pick_trials
    from caviar.study import load_study

    study = load_study(study_name, storage=open_existing(storage))
    ts = study.get_trials([state] if state else None)
    names = list(study.space) or sorted({k for t in ts for k in t.params})
    if study.is_multi_objective:
        ordered = sorted_trials(study, ts, sort)
        shown = ordered[-limit:] if sort == "number" else ordered[:limit]
    else:
        shown = pick_trials(ts, sort=sort, direction=study.direction, limit=limit)
    by = "" if sort == "number" else f", by {sort}" + (
        (" (Pareto front first)" if study.is_multi_objective else " (best first)")
        if sort == "value"
                                                        else "")
    console(fit=True).print(trials_table(shown, names, f"{study.name}: {len(shown)} of "
                                                       f"{len(ts)} trials{by}",
                                         values=value_columns(study)))


@click.command()
@click.argument("study_name", metavar="STUDY")
@storage_option
def best(study_name: str, storage: str) -> None:
    """Print the best trial of a study (with several directions: its Pareto front, one block
    per trial with every value and the params)."""
    from caviar.study import load_study

    study = load_study(study_name, storage=open_existing(storage))
    if study.is_multi_objective:
        click.echo(front_text(study))
    else:
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

    if output is not None:
        check_output(output)
    study = load_study(study_name, storage=open_existing(storage))
    try:
        text = study.to_csv(output) if fmt == "csv" else study.to_json(output)
    except OSError as e:
        raise write_failed(str(output), "--output", e) from None
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

    study = load_study(study_name, storage=open_existing(storage))
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
ALL += lineage_command.COMMANDS  # caviar lineage, replay-schedule (population schedulers)
from caviar.cli.retest_command import ALL as RETEST_COMMANDS  # noqa: E402

ALL += RETEST_COMMANDS  # caviar retest STUDY --top 5 --seeds 5
ALL += [mlp_command.tune_mlp]  # caviar tune-mlp (the population engine)
ALL += [torch_command.tune_torch]  # caviar tune-torch FILE.py:MEMBER (caviar.torch)
from caviar.cli import panda_commands  # noqa: E402

ALL += panda_commands.COMMANDS  # babysit, nudge, pause, resume, stop, rewind, replay, history
