"""Options shared by several commands, and the checks their values get before any work."""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from typing import Any

import click

from caviar.storage import DEFAULT_URL

HEARTBEAT = 5.0  # seconds between a worker's heartbeats, in every command that runs trials


def nonblank_study(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A study name given on the command line must have a visible character."""
    if value is not None and not value.strip():
        raise click.BadParameter(f"a study name must not be empty or blank, got {value!r}; "
                                 "e.g. --study lr-search", ctx=ctx, param=param)
    return value


def seconds(what: str) -> Callable[[click.Context, click.Parameter, float | None],
                                   float | None]:
    """A duration in seconds: finite and > 0 (``None`` when not given)."""
    def check(ctx: click.Context, param: click.Parameter, value: float | None) -> float | None:
        if value is not None and not (math.isfinite(value) and value > 0):
            raise click.BadParameter(f"{what} must be a finite number of seconds > 0, got "
                                     f"{value!r}; e.g. {param.opts[0]} 3600", ctx=ctx,
                                     param=param)
        return value
    return check


def storage_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--storage", default=lambda: os.environ.get("CAVIAR_STORAGE", DEFAULT_URL),
        show_default="sqlite:///caviar.db or $CAVIAR_STORAGE",
        help="Storage URL: sqlite:///FILE.db, postgresql://..., or memory.")(f)


def quiet_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--quiet", "-q", is_flag=True, help="No progress bar; for scripts.")(f)


def timeout_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--timeout", type=float, default=None,
                        callback=seconds("the timeout"),
                        help="Stop starting trials after this many seconds.")(f)


def _stale_after(ctx: click.Context, param: click.Parameter,
                 value: float | None) -> float | None:
    if value is not None and not (math.isfinite(value) and value > HEARTBEAT):
        raise click.BadParameter(
            f"must be a finite number of seconds > the heartbeat ({HEARTBEAT:g} s), got "
            f"{value!r}; e.g. --stale-after 60 (a running trial silent that long is "
            "reaped and run again)", ctx=ctx, param=param)
    return value


def liveness(stale_after: float | None) -> dict[str, Any]:
    """The heartbeat settings a run gets: the CLI's heartbeat, and --stale-after if given."""
    return {"heartbeat": HEARTBEAT, **({} if stale_after is None else
                                       {"stale_after": stale_after})}


def stale_after_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--stale-after", type=float, default=None, callback=_stale_after,
                        metavar="SECONDS",
                        help=f"A running trial whose worker has not heartbeaten for this long "
                        f"is reaped and run again; must exceed the heartbeat ({HEARTBEAT:g} s)"
                        " [default: 30].")(f)


def run_options(f: Callable[..., Any]) -> Callable[..., Any]:
    opts: list[Callable[[Callable[..., Any]], Callable[..., Any]]] = [
        click.option("--trials", "-n", "n_trials", type=int, default=None,
                     help="Target number of trials in the study (resumes up to it)."),
        timeout_option,
        click.option("--workers", "-w", type=int, default=1, show_default=True,
                     help="Worker processes sharing the study."),
        click.option("--study", "study_name", default=None, callback=nonblank_study,
                     help="Study name (created or resumed)."),
        click.option("--sampler", type=click.Choice(["random", "grid", "sobol", "tpe",
                                                      "coarse-to-fine", "nsga2"]),
                     default=None, help="Sampler of the study [default: random for a new "
                     "one, the stored one for an existing one; a new --sampler is stored]."),
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
        stale_after_option,
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
