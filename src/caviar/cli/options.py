"""Options shared by several commands."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import click

from caviar.storage import DEFAULT_URL


def storage_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--storage", default=lambda: os.environ.get("CAVIAR_STORAGE", DEFAULT_URL),
        show_default="sqlite:///caviar.db or $CAVIAR_STORAGE",
        help="Storage URL: sqlite:///FILE.db, postgresql://..., or memory.")(f)


def quiet_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--quiet", "-q", is_flag=True, help="No progress bar; for scripts.")(f)


def run_options(f: Callable[..., Any]) -> Callable[..., Any]:
    opts = [
        click.option("--trials", "-n", "n_trials", type=int, default=None,
                     help="Target number of trials in the study (resumes up to it)."),
        click.option("--timeout", type=float, default=None, help="Stop starting trials after "
                     "this many seconds."),
        click.option("--workers", "-w", type=int, default=1, show_default=True,
                     help="Worker processes sharing the study."),
        click.option("--study", "study_name", default=None, help="Study name (created or "
                     "resumed)."),
        click.option("--sampler", type=click.Choice(["random", "grid", "sobol", "tpe",
                                                      "coarse-to-fine"]),
                     default=None, help="Sampler for a new study [default: random]."),
        click.option("--pruner", type=click.Choice(["none", "median", "asha", "halving",
                                                    "hyperband"]), default="none",
                     show_default=True, help="Stop unpromising trials early (the objective "
                     "calls trial.report and trial.should_prune)."),
        click.option("--min-budget", type=float, default=1.0, show_default=True,
                     help="Pruner: the first rung (asha, halving, hyperband)."),
        click.option("--max-budget", type=float, default=None,
                     help="Pruner: the budget a full trial reaches (needed by halving and "
                     "hyperband)."),
        click.option("--eta", type=float, default=3.0, show_default=True,
                     help="Pruner: keep the best 1/eta at each rung."),
        click.option("--direction", type=click.Choice(["minimize", "maximize"]),
                     default=None, help="Direction for a new study."),
        click.option("--seed", type=int, default=None, help="Seed: a seeded study "
                     "reproduces exactly."),
        click.option("--backend", type=click.Choice(["local", "ray"]), default="local",
                     show_default=True, help="local processes, or Ray tasks on a Ray cluster."),
        click.option("--address", default=None, help="Ray cluster address: auto or "
                     "ray://host:port [default: start a local Ray]."),
        click.option("--cpus-per-trial", type=float, default=1.0, show_default=True),
        click.option("--gpus-per-trial", type=float, default=0.0, show_default=True),
        click.option("--max-retries", type=int, default=3, show_default=True,
                     help="Ray: retries of a trial whose worker died."),
    ]
    for o in reversed(opts):
        f = o(f)
    return quiet_option(storage_option(f))
