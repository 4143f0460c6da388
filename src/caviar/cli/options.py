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
        click.option("--sampler", type=click.Choice(["random", "grid", "sobol"]),
                     default=None, help="Sampler for a new study [default: random]."),
        click.option("--direction", type=click.Choice(["minimize", "maximize"]),
                     default=None, help="Direction for a new study."),
        click.option("--seed", type=int, default=None, help="Seed: a seeded study "
                     "reproduces exactly."),
    ]
    for o in reversed(opts):
        f = o(f)
    return quiet_option(storage_option(f))
