"""Grid search: every point of the grid exactly once, across any number of workers.

Points are numbered in mixed radix over the params' grids and visited in a seeded random
order (for grids up to a million points), so a grid stopped early still covers the space.
Each trial takes its index from an atomic counter in storage; a trial whose worker died is
retried with the same params (and grid index) by the study, once.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from caviar.errors import UsageError
from caviar.samplers.base import Claim, History, Proposal, Sampler
from caviar.samplers.stream import Stream
from caviar.space import Space
from caviar.trial_record import FrozenTrial

_PERMUTE_LIMIT = 1_000_000


class GridSampler(Sampler):
    name = "grid"

    def __init__(self, *, seed: int | None = None, resolution: int = 5) -> None:
        super().__init__(seed=seed)
        if not isinstance(resolution, int) or resolution < 2:
            raise UsageError(f"GridSampler: resolution must be an integer >= 2 (points per float "
                             f"param), got resolution={resolution!r}; use e.g. resolution=5")
        self.resolution = resolution

    def axes(self, space: Space) -> list[list[Any]]:
        if not space:
            raise UsageError("GridSampler: needs a declared space (params given up front), got "
                             "an empty one; pass space={...} to the study or use sampler='random'")
        return [p.grid(self.resolution) for p in space.values()]

    def capacity(self, space: Space) -> int | None:
        return math.prod(len(a) for a in self.axes(space))

    def point(self, space: Space, index: int) -> dict[str, Any]:
        axes = self.axes(space)
        size = math.prod(len(a) for a in axes)
        if size <= _PERMUTE_LIMIT:
            index = int(np.random.default_rng(self.seed).permutation(size)[index])
        out = {}
        for name, axis in zip(reversed(list(space)), reversed(axes), strict=True):
            index, r = divmod(index, len(axis))
            out[name] = axis[r]
        return {name: out[name] for name in space}

    def propose(self, space: Space, history: History, trials: Sequence[FrozenTrial],
                rngs: Sequence[Stream], claim: Claim) -> Proposal:
        size = self.capacity(space) or 0
        indices: list[int] = []
        need = len(trials) - len(indices)
        if need:
            start = claim("grid", need)
            indices += [i for i in range(start, start + need) if i < size]
        if len(indices) < len(trials):
            found = indices
            return Proposal([self.point(space, i) for i in found],
                            [{"grid_index": i} for i in found], status="done")
        return Proposal([self.point(space, i) for i in indices],
                        [{"grid_index": i} for i in indices])

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "seed": self.seed, "resolution": self.resolution}
