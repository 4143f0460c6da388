"""Quasi-random search: a scrambled Sobol sequence (scipy.stats.qmc), spread more evenly than
random draws. Indices come from an atomic counter in storage, so parallel workers never take
the same point; point ``i`` is the same in every process for a given seed (the study's: a study
always sets one). The scrambled engine is built once per (seed, dimension) and kept: indices a
worker claims only grow, so each proposal moves it forward from where it stopped instead of
replaying the sequence from the start. scipy is imported on first use, not with caviar."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from caviar.samplers.base import Claim, History, Proposal, Sampler
from caviar.samplers.stream import Stream
from caviar.space import Space
from caviar.trial_record import FrozenTrial


class SobolSampler(Sampler):
    name = "sobol"

    def __init__(self, *, seed: int | None = None) -> None:
        super().__init__(seed=seed)
        self._engine: Any = None  # a scipy.stats.qmc.Sobol, for _engine_for
        self._engine_for: tuple[int, int] | None = None

    def points(self, space: Space, start: int, n: int) -> np.ndarray[Any, Any]:
        """Points ``start .. start + n - 1`` of the sequence, in the unit cube."""
        key = (self.seed_in_use(), len(space))
        eng = self._engine
        if key != self._engine_for:
            from scipy.stats import qmc

            eng = self._engine = qmc.Sobol(d=key[1], scramble=True, seed=key[0])
            self._engine_for = key
        elif eng.num_generated > start:  # an index behind this one (a retry, another study)
            eng.reset()
        if start > eng.num_generated:
            eng.fast_forward(start - eng.num_generated)
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
