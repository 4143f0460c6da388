"""``caviar lineage STUDY`` and ``caviar replay-schedule STUDY TRIAL``: what a population
scheduler did (the exploit tree and every member's schedule), and a member replayed alone."""

from __future__ import annotations

import click

from caviar.cli.options import storage_option
from caviar.cli.show import console, esc


def _study(study_name: str, storage: str):  # type: ignore[no-untyped-def]
    from caviar.cli.stores import open_existing
    from caviar.study import load_study

    return load_study(study_name, storage=open_existing(storage))


@click.command()
@click.argument("study_name", metavar="STUDY")
@storage_option
def lineage(study_name: str, storage: str) -> None:
    """Print the PBT lineage tree (each trial under the trial it last copied) and each
    member's hyperparameter schedule over epochs (ASHA/halving: its pauses and promotions)."""
    from caviar.adapters.schedule_lineage import lineage_text

    click.echo(lineage_text(_study(study_name, storage).trials))


@click.command("replay-schedule")
@click.argument("study_name", metavar="STUDY")
@click.argument("number", metavar="TRIAL", type=int)
@click.option("--dtype", type=click.Choice(["float32", "float64"]), default=None,
              help="Precision [default: the population's].")
@click.option("--threads", type=int, default=None, help="torch threads.")
@storage_option
def replay_schedule(study_name: str, number: int, dtype: str | None, threads: int | None,
                    storage: str) -> None:
    """Train trial TRIAL alone with the schedule PBT found (through its ancestors' epochs up to
    each exploit) and compare its final accuracy with the stored one."""
    from caviar.adapters.schedule_replay import replay_schedule as replay
    from caviar.errors import UsageError

    if threads is not None and threads < 1:
        raise UsageError(f"--threads: must be >= 1, got {threads}")
    study = _study(study_name, storage)
    torch_dtype = None
    if dtype is not None:
        import torch

        torch_dtype = getattr(torch, dtype)
    r = replay(study, number, dtype=torch_dtype, threads=threads)
    out = console(False)
    path = " -> ".join(f"#{s.number} epochs {s.start}-{s.stop - 1}" for s in r.segments)
    out.print(esc(f"trial {number}: replayed {path}"))
    stored = r.stored[max(r.stored)] if r.stored else None
    click.echo(f"replayed final validation accuracy = {r.val_accuracy:.6f}; stored = "
               f"{stored if stored is None else format(stored, '.6f')}")


COMMANDS = [lineage, replay_schedule]
