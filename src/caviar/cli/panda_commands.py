"""Panda mode on the command line: ``caviar babysit``, ``nudge``, ``pause``, ``resume``,
``stop``, ``rewind``, ``history``, ``replay``.

A trial is named by its number within a study (the ``#`` of ``caviar trials``); ``--study``
may be left out when the storage holds one study.
"""

from __future__ import annotations

import sys
from datetime import datetime
from typing import Any

import click

from caviar.cli.options import nonblank_study, quiet_option, storage_option
from caviar.cli.show import console, esc, fmt
from caviar.cli.stores import open_existing

DATA = ["digits", "mnist5k", "mnist1d"]


def study_option(f: Any) -> Any:
    return click.option("--study", "study_name", default=None, callback=nonblank_study,
                        help="The study holding the trial (default: the storage's only "
                             "study).")(f)


MLP_EPOCHS = 60          # `babysit --mlp`: long enough to watch and nudge ...
MLP_EPOCH_SECONDS = 0.5  # ... about 30 s on digits (an epoch alone takes ~0.15 s)


def run_options(f: Any) -> Any:
    f = click.option("--min-epoch-seconds", type=click.FloatRange(min=0.0), default=None,
                     help="Make each epoch last at least this long, to watch a fast run "
                          f"[default: {MLP_EPOCH_SECONDS} with --mlp, else 0; 0 runs at "
                          "full speed].")(f)
    return quiet_option(storage_option(f))


def _load(storage: str, study_name: str | None) -> Any:
    from caviar.panda.control import find_study
    from caviar.study import load_study

    store = open_existing(storage)
    rec = find_study(store, study_name)
    return load_study(rec.name, storage=store)


def _done(frozen: Any, quiet: bool) -> None:
    out = console(quiet)
    line = f"trial {frozen.number}: {frozen.state}, value {fmt(frozen.value)}"
    if frozen.error:
        line += f" ({frozen.error})"
    out.print(esc(line))
    if frozen.state == "fail":
        sys.exit(1)


@click.command()
@click.argument("target", metavar="[FILE.py:FUNC]", required=False)
@click.option("--mlp", is_flag=True, help="Babysit caviar.nn's batch-norm MLP (no user code).")
@click.option("--data", type=click.Choice(DATA), default="digits", show_default=True,
              help="--mlp: a data set that ships with a package.")
@click.option("--epochs", type=int, default=None,
              help=f"--mlp: epochs [default: {MLP_EPOCHS}].")
@click.option("--param", "-p", "params", multiple=True, metavar="NAME=VALUE",
              help="Start value of a param (repeatable), e.g. --param lr=1e-3.")
@click.option("--config", "-c", "config", multiple=True, metavar="NAME=VALUE",
              help="--mlp: a fixed setting, e.g. -c optimizer=momentum -c weight_decay=1e-4.")
@click.option("--resume", "resume_number", type=int, default=None, metavar="TRIAL",
              help="Continue a crashed babysat trial from its last checkpoint.")
@click.option("--force", is_flag=True, help="--resume: even if the trial still heartbeats.")
@click.option("--direction", type=click.Choice(["minimize", "maximize"]), default=None,
              help="Direction of a new study [default: maximize for --mlp, else minimize].")
@study_option
@run_options
def babysit(target: str | None, mlp: bool, data: str, epochs: int | None, params: tuple[str],
            config: tuple[str], resume_number: int | None, force: bool,
            direction: str | None, study_name: str | None, storage: str, quiet: bool,
            min_epoch_seconds: float | None) -> None:
    """Train ONE model and watch it: a live view, nudges from another terminal, a checkpoint
    every epoch. The run is an ordinary trial of the study. `--mlp` trains caviar.nn's
    batch-norm MLP for 60 epochs of at least 0.5 s each (about 30 s: time to nudge it)."""
    from caviar.errors import UsageError
    from caviar.panda import parse_params
    from caviar.panda.runner import babysit as run
    from caviar.panda.runner import resume

    if min_epoch_seconds is None:
        min_epoch_seconds = MLP_EPOCH_SECONDS if mlp else 0.0
    kw: dict[str, Any] = {"quiet": quiet, "min_epoch_seconds": min_epoch_seconds,
                          "console": console(quiet)}
    if resume_number is not None:
        if target or mlp or params or config:
            raise UsageError("babysit --resume TRIAL: takes no target, --mlp, --param or "
                             "--config (the trial's stored ones are used)")
        study = _load(storage, study_name)
        _done(resume(study, resume_number, force=force, source="cli", **kw), quiet)
        return
    if bool(target) == mlp:
        raise UsageError("babysit: give FILE.py:FUNC or --mlp (one of them), e.g. "
                         "`caviar babysit --mlp --data digits`")
    given = parse_params(params)
    if mlp:
        from caviar.adapters.babysit import MLPTarget

        objective: Any = MLPTarget(data, epochs=epochs or MLP_EPOCHS,
                                   config=parse_params(config))
        direction = direction or "maximize"
        default_name = "babysit"
    else:
        from caviar.objective_ref import ObjectiveRef

        if config or epochs is not None:
            raise UsageError("babysit FILE.py:FUNC: --config and --epochs are for --mlp; "
                             "your objective sets its own")
        objective = ObjectiveRef(str(target))
        default_name = None
    study = _study(storage, study_name or default_name, direction)
    if mlp:
        if study.direction != "maximize":
            raise UsageError(f"study {study.name!r}: babysit --mlp maximizes validation "
                             f"accuracy, the study has direction={study.direction!r}; use "
                             "another --study")
        given = objective.default_params(study, given)
        if not quiet:
            wait = f", each at least {min_epoch_seconds:g} s (about " \
                f"{objective.epochs * min_epoch_seconds:.0f} s; --min-epoch-seconds 0 runs " \
                "at full speed)" if min_epoch_seconds else ""
            kw["console"].print(esc(f"runs {objective.epochs} epochs of caviar.nn's "
                                    f"batch-norm MLP on {data}{wait}"))
    _done(run(study, objective, params=given, **kw), quiet)


def _study(storage: str, name: str | None, direction: str | None) -> Any:
    from caviar.errors import UsageError
    from caviar.storage import get_storage
    from caviar.study import create_study

    if not name:
        raise UsageError("babysit FILE.py:FUNC: needs --study NAME (created or joined)")
    store = get_storage(storage)
    existing = {s.name: s.direction for s in store.list_studies()}
    return create_study(name, storage=store,
                        direction=direction or existing.get(name, "minimize"))


@click.command()
@click.argument("trial", type=int)
@click.argument("changes", nargs=-1, required=True, metavar="NAME=VALUE|NAME*=FACTOR...")
@study_option
@storage_option
def nudge(trial: int, changes: tuple[str], study_name: str | None, storage: str) -> None:
    """Change mutable params of a running babysat trial; it applies them at its next epoch
    boundary. E.g. `caviar nudge 3 lr=3e-4 beta1=0.95` or `caviar nudge 3 lr*=0.5`."""
    from caviar.panda import control

    store = open_existing(storage)
    rec, t = control.locate(store, study_name, trial)
    parsed = control.parse_changes(changes)
    ids = control.nudge(store, rec, t, parsed, source="cli")
    click.echo(f"trial {trial} of {rec.name}: recorded nudge "
               + ", ".join(f"{c.text()} (event {i})" for c, i in zip(parsed, ids, strict=True))
               + "; it applies at the next epoch boundary (`caviar history` shows when)")


def _command(kind: str, doc: str) -> Any:
    @click.command(kind, help=doc)
    @click.argument("trial", type=int)
    @study_option
    @storage_option
    def cmd(trial: int, study_name: str | None, storage: str) -> None:
        from caviar.panda import control

        store = open_existing(storage)
        rec, t = control.locate(store, study_name, trial)
        eid = control.command(store, t, kind, source="cli")
        click.echo(f"trial {trial} of {rec.name}: recorded {kind} (event {eid}); it applies "
                   "at the next epoch boundary")
    return cmd


pause = _command("pause", "Hold a running babysat trial at its next epoch boundary.")
resume_cmd = _command("resume", "Let a paused babysat trial go on.")
stop = _command("stop", "End a running babysat trial after its current epoch (it completes "
                "with its last reported value).")


@click.command()
@click.argument("trial", type=int)
@click.argument("changes", nargs=-1, metavar="[NAME=VALUE...]")
@click.option("--epoch", "-e", type=int, required=True, help="The checkpoint to branch from.")
@click.option("--stop-after", type=int, default=None, metavar="EPOCH",
              help="Stop the branch after this epoch (default: run to the end).")
@study_option
@run_options
def rewind(trial: int, changes: tuple[str], epoch: int, stop_after: int | None,
           study_name: str | None, storage: str, quiet: bool,
           min_epoch_seconds: float | None) -> None:
    """Branch a new trial from TRIAL's epoch-K checkpoint with changed mutable params, and
    babysit it (the parent is left as it is; lineage: parent_id)."""
    from caviar.panda import parse_changes
    from caviar.panda.runner import rewind as run

    study = _load(storage, study_name)
    frozen = run(study, trial, epoch, parse_changes(changes), source="cli", quiet=quiet,
                 min_epoch_seconds=min_epoch_seconds or 0.0, console=console(quiet),
                 stop_after=stop_after)
    _done(frozen, quiet)


@click.command()
@click.argument("trial", type=int)
@study_option
@run_options
def replay(trial: int, study_name: str | None, storage: str, quiet: bool,
           min_epoch_seconds: float | None) -> None:
    """Run TRIAL's babysat schedule (start params, every applied nudge at its epoch, the
    stop) again as a new trial."""
    from caviar.panda.runner import replay as run

    study = _load(storage, study_name)
    _done(run(study, trial, quiet=quiet, min_epoch_seconds=min_epoch_seconds or 0.0,
              console=console(quiet)), quiet)


@click.command()
@click.argument("trial", type=int)
@study_option
@storage_option
def history(trial: int, study_name: str | None, storage: str) -> None:
    """Every nudge, pause, resume, stop, rewind and resume of a trial: when it was asked, where
    it came from, and the epoch where it took effect."""
    from rich.table import Table

    from caviar.panda import control

    store = open_existing(storage)
    rec, t = control.locate(store, study_name, trial)
    rows = control.history_rows(store.get_events(t.id))
    marks = control.checkpoints(store, t.id)
    parent = t.system_attrs.get("rewind_of", t.system_attrs.get("retry_of",
                                                                t.system_attrs.get("replay_of")))
    head = f"trial {t.number} of {rec.name}: {t.state}, value {fmt(t.value)}"
    if parent is not None:
        how = "rewind of" if "rewind_of" in t.system_attrs else \
            "resume of" if "retry_of" in t.system_attrs else "replay of"
        head += f"; {how} trial {parent}"
        if "rewind_epoch" in t.system_attrs:
            head += f" from epoch {t.system_attrs['rewind_epoch']}"
    table = Table(title=esc(head))
    for c in ("event", "time", "kind", "what", "source", "status", "epoch"):
        table.add_column(c, overflow="fold")
    for r in rows:
        when = datetime.fromtimestamp(r["at"]).strftime("%Y-%m-%d %H:%M:%S")
        what = ", ".join(f"{k}={fmt(v)}" for k, v in r["detail"].items())
        table.add_row(str(r["id"]), when, esc(r["kind"]), esc(what), esc(r["source"] or "-"),
                      esc(r["status"]),
                      "-" if r["epoch"] is None else str(r["epoch"]))
    out = console()
    out.print(table)
    out.print(f"checkpoints: {len(marks)}" + (f" (epochs {min(marks)}..{max(marks)})"
                                              if marks else ""))


COMMANDS = [babysit, nudge, pause, resume_cmd, stop, rewind, replay, history]
