"""The Sampler seam: HOW the next params are proposed.

``propose(space, history, trials, rngs, claim) -> Proposal`` returns one params dict per new
trial (values for the params the sampler decides up front) plus per-trial attrs to record
(a grid index, a round). A sampler keeps no state of its own between calls: anything it needs
is derived from the history, so any worker process can rebuild it from the stored study.

Samplers work in the unit cube; each param's scale maps a unit value to a value. Params met
define-by-run that the proposal does not cover are drawn by ``sample_param`` from the trial's
own generator, seeded by ``(seed, trial number)``, so a seeded study reproduces exactly whatever
process runs which trial.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from caviar.samplers.stream import Stream
from caviar.space import Param, Space
from caviar.trial_record import FrozenTrial


class Claim(Protocol):
    """``claim(counter, k, params=None) -> start``: take ``k`` values of a named counter shared
    by every worker. ``params(start)``, when given, returns the params of the trials the values
    are for, in order: they are stored on those trials in the same write as the claim, so a
    worker killed right after claiming never leaves a claimed point without its trial."""

    def __call__(self, counter: str, k: int,
                 params: Callable[[int], Sequence[dict[str, Any]]] | None = None) -> int: ...

Status = Literal["ready", "wait", "done"]


class History(Protocol):
    def trials(self) -> list[FrozenTrial]: ...


@dataclass
class Proposal:
    params: list[dict[str, Any]]
    attrs: list[dict[str, Any]] = field(default_factory=list)
    status: Status = "ready"


class Sampler:
    name = "base"
    #: False when proposals never look at the history (then trials may be started in batches)
    uses_history = True

    def __init__(self, *, seed: int | None = None) -> None:
        self.seed = seed

    def seed_in_use(self) -> int:
        """The seed this sampler's proposals are keyed by: ``seed``, or, while it is None (a
        sampler used without a study, which always sets one), a seed drawn on first use and
        kept as ``seed``, so one instance never changes its order midway."""
        if self.seed is None:
            self.seed = secrets.randbits(63)
        return int(self.seed)

    def propose(self, space: Space, history: History, trials: Sequence[FrozenTrial],
                rngs: Sequence[Stream], claim: Claim) -> Proposal:
        return Proposal([{} for _ in trials], [{} for _ in trials])

    def capacity(self, space: Space) -> int | None:
        """How many distinct trials this sampler can propose (None: unbounded)."""
        return None

    def sample_param(self, param: Param, rng: Stream) -> Any:
        return param.value(rng.random())

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "seed": self.seed}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.to_json()})"
