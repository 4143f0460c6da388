"""``caviar retest STUDY --top 5 --seeds 5``: re-run the best configurations over new seeds."""

from __future__ import annotations

import click

from caviar.cli.options import storage_option
from caviar.cli.stores import open_existing
from caviar.errors import UsageError


@click.command()
@click.argument("study_name", metavar="STUDY")
@click.argument("target", metavar="[FILE.py:FUNC]", required=False)
@click.option("--top", type=int, default=5, show_default=True,
              help="How many of the best completed trials to re-run.")
@click.option("--seeds", type=int, default=5, show_default=True,
              help="New seeds per configuration (read them with caviar.retest.trial_seed).")
@storage_option
def retest(study_name: str, target: str | None, top: int, seeds: int, storage: str) -> None:
    """Re-run the best configurations of STUDY over new seeds; print mean ± std and whether
    the ranking holds. The re-runs are stored in the study STUDY.retest, each linked to its
    original (system attr retest_of). The objective defaults to the FILE.py:FUNC that
    `caviar tune` stored with the study."""
    from caviar.objective_ref import ObjectiveRef
    from caviar.retest import retest as run_retest
    from caviar.study import load_study

    study = load_study(study_name, storage=open_existing(storage))
    spec = target or study.user_attrs.get("objective")
    if not spec:
        raise UsageError(f"study {study_name!r}: has no stored objective; pass FILE.py:FUNC")
    report = run_retest(study, ObjectiveRef(spec), top=top, seeds=seeds)
    click.echo(report.text())


ALL = [retest]
