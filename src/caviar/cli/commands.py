"""The commands of ``caviar``: tune, demo, studies, trials, best, export."""

from __future__ import annotations

import sys
from typing import Any

import click

from caviar.cli.options import run_options, storage_option
from caviar.cli.show import best_text, console, studies_table, trials_table
from caviar.errors import UsageError


def _run(objective: Any, *, storage: str, study_name: str | None, n_trials: int | None,
         timeout: float | None, workers: int, sampler: str | None, direction: str | None,
         seed: int | None, quiet: bool, space: dict[str, Any] | None = None,
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
                         sampler=sampler, seed=seed, space=space)
    if objective_spec is not None:
        study.set_user_attr("objective", objective_spec)
    if n_trials is not None:
        study.set_user_attr("n_trials", n_trials)
    out = console(quiet)
    out.print(f"study [bold]{study.name}[/] in {store.url}: target {n_trials or '-'} trials, "
              f"{workers} worker(s), sampler {study.sampler.name}")
    study.optimize(objective, n_trials=n_trials, timeout=timeout, workers=workers,
                   progress=not quiet)
    counts = study.counts()
    out.print("trials: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    try:
        best = study.best_trial
    except UsageError as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(1)
    click.echo(best_text(best, study.direction))


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


ALL = [tune, worker, demo, studies, trials, best, export]
