"""Pruning the members of a population after an epoch: one decision per live member, each
judged among the study's finished trials and the other members (running)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from caviar.pruners.base import Other
from caviar.trial_record import RUNNING


def members_to_stop(pruner: Any, trials: Sequence[Any], live: Iterable[int],
                    finished: Sequence[Other], stopped: dict[int, str], epoch: int,
                    *, minimize: bool = False) -> set[int]:
    """The members (indices into ``trials``) the pruner stops now; each gets its reason in
    ``stopped``. ``live``: the members still training, ``finished``: the study's finished
    trials' curves (``study.curves.others(running=False)``)."""
    curves = {i: dict(t.reports) for i, t in enumerate(trials)}
    stop: set[int] = set()
    for m in live:
        if m in stopped:
            continue
        others = list(finished) + [Other(trials[j].number, RUNNING, c)
                                   for j, c in curves.items() if j != m]
        d = pruner.decide_trial(trials[m].number, curves[m], others, minimize)
        if d.prune:
            stopped[m] = d.reason or f"pruned at epoch {epoch}"
            stop.add(m)
    return stop
