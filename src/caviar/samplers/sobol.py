"""Quasi-random search: a scrambled Sobol sequence (scipy.stats.qmc), spread more evenly than
random draws. Indices come from an atomic counter in storage, so parallel workers never take
the same point; point ``i`` is the same in every process for a given seed."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy.stats import qmc

from caviar.samplers.base import Claim, History, Proposal, Sampler
from caviar.samplers.stream import Stream
from caviar.space import Space
from caviar.trial_record import FrozenTrial


class SobolSampler(Sampler):
    name = "sobol"

    def points(self, space: Space, start: int, n: int) -> np.ndarray:
        eng = qmc.Sobol(d=len(space), scramble=True, seed=self.seed)
        if start:
            eng.fast_forward(start)
        with warnings.catch_warnings():  # workers take any n points; the sequence stays whole
            warnings.filterwarnings("ignore", "The balance properties", UserWarning)
            return np.asarray(eng.random(n))

    def propose(self, space: Space, history: History, trials: Sequence[FrozenTrial],
                rngs: Sequence[Stream], claim: Claim) -> Proposal:
        if not space:
            return super().propose(space, history, trials, rngs, claim)
        start = claim("sobol", len(trials))
        units = self.points(space, start, len(trials))
        return Proposal(space.from_unit(units),
                        [{"sobol_index": start + i} for i in range(len(trials))])

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "seed": self.seed}
