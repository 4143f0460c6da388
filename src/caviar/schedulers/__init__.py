"""Population schedulers: pure policies over a population's per-epoch reports.

``decide(epoch, reports) -> list[Action]`` after every epoch; ``start(space, params, ...)``
once before the first. The engine applies the actions in place on its tensors (caviar.nn,
caviar.torch); the adapters record them in the study (lineage, schedules). See
docs/schedulers.md.
"""

from __future__ import annotations

from typing import Any

from caviar.errors import UsageError
from caviar.schedulers.actions import (
    Action,
    Exploit,
    Explore,
    Pause,
    Promote,
    Report,
    Start,
    Stop,
)
from caviar.schedulers.asha import ASHA
from caviar.schedulers.halving import Halving
from caviar.schedulers.pbt import PBT

Scheduler = PBT | ASHA | Halving
NAMES = ("pbt", "asha", "halving")


def make_scheduler(name: str, **options: Any) -> Scheduler:
    """A scheduler by name ('pbt', 'asha', 'halving') with its keyword options."""
    if name == "pbt":
        return PBT(**options)
    if name == "asha":
        return ASHA(**options)
    if name == "halving":
        return Halving(**options)
    raise UsageError(f"scheduler must be one of {list(NAMES)}, got scheduler={name!r}; "
                     "use 'pbt' to exploit and explore, 'asha' or 'halving' to promote")


__all__ = ["ASHA", "NAMES", "PBT", "Action", "Exploit", "Explore", "Halving", "Pause",
           "Promote", "Report", "Scheduler", "Start", "Stop", "make_scheduler"]
