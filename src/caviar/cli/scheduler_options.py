"""``--scheduler pbt|asha|halving`` and its options, shared by tune-mlp and tune-torch."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click


def scheduler_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """Adds ``scheduler, pbt_interval, pbt_quantile, pbt_resample, eta, slots``."""
    for option in reversed((
        click.option("--scheduler", type=click.Choice(["none", "pbt", "asha", "halving"]),
                     default="none", show_default=True,
                     help="A population scheduler inside each population "
                     "(docs/schedulers.md)."),
        click.option("--pbt-interval", type=int, default=2, show_default=True,
                     help="pbt: epochs between exploits."),
        click.option("--pbt-quantile", type=float, default=0.25, show_default=True,
                     help="pbt: share of members replaced (bottom) and copied (top)."),
        click.option("--pbt-resample", type=float, default=0.25, show_default=True,
                     help="pbt: probability of resampling a param instead of perturbing it."),
        click.option("--eta", type=int, default=3, show_default=True,
                     help="asha/halving: reduction factor."),
        click.option("--slots", type=int, default=None,
                     help="asha: members training at once [default: a third of the "
                     "population]."),
    )):
        f = option(f)
    return f


def make_cli_scheduler(scheduler: str, pruner: str, epochs: int, seed: int | None, *,
                       pbt_interval: int, pbt_quantile: float, pbt_resample: float, eta: int,
                       slots: int | None) -> Any:
    """The scheduler the options name (None for 'none'); bad values raise UsageError."""
    from caviar.errors import UsageError
    from caviar.schedulers import make_scheduler

    if scheduler == "none":
        return None
    if pruner != "none":
        raise UsageError(f"--scheduler {scheduler} decides which members go on, so it "
                         f"cannot run with --pruner {pruner}; drop one of them")
    options: dict[str, Any] = (
        {"interval": pbt_interval, "quantile": pbt_quantile, "resample": pbt_resample,
         "seed": seed} if scheduler == "pbt" else
        {"eta": eta, "min_budget": 1, "max_budget": epochs,
         **({"slots": slots} if scheduler == "asha" else {})})
    return make_scheduler(scheduler, **options)
