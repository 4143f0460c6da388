"""Grid search: every point of the grid exactly once, across any number of workers.

Points are numbered in mixed radix over the params' grids and visited in a seeded random
order (for grids up to a million points), so a grid stopped early still covers the space.
The order is one permutation per (seed, grid size), built once and kept by the sampler; the
seed is the study's (a study always sets one), so every worker visits the same order and the
claimed indices cover the grid exactly once.
Each trial takes its index from an atomic counter in storage, and its point is stored on it in
that same write; a trial whose worker died is retried with the same params (and grid index) by
the study, once. A trial lost before it claimed a point holds none: its slot is issued again.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np

from caviar.errors import UsageError
from caviar.samplers.base import Claim, History, Proposal, Sampler
from caviar.samplers.stream import Stream
from caviar.space import Space
from caviar.trial_record import FrozenTrial

_PERMUTE_LIMIT = 1_000_000


def visit_order(seed: int, size: int) -> np.ndarray[Any, Any] | None:
    """The seeded order a grid of ``size`` points is visited in (position -> point index), or
    None (lexicographic order) above ``_PERMUTE_LIMIT`` points. Built once per sampler for a
    given (seed, size); a stored study keeps its order across caviar versions."""
    if size > _PERMUTE_LIMIT:
        return None
    return np.random.default_rng(seed).permutation(size)


class GridSampler(Sampler):
    name = "grid"

    def __init__(self, *, seed: int | None = None, resolution: int = 5) -> None:
        super().__init__(seed=seed)
        if not isinstance(resolution, int) or resolution < 2:
            raise UsageError(f"GridSampler: resolution must be an integer >= 2 (points per float "
                             f"param), got resolution={resolution!r}; use e.g. resolution=5")
        self.resolution = resolution
        # caches: the axes of the last space seen, and the visit order of (seed, size)
        self._axes_for: tuple[tuple[str, Any], ...] | None = None
        self._axes: list[list[Any]] = []
        self._order_for: tuple[int, int] | None = None
        self._order: np.ndarray[Any, Any] | None = None

    def axes(self, space: Space) -> list[list[Any]]:
        if not space:
            raise UsageError("GridSampler: needs a declared space (params given up front), got "
                             "an empty one; pass space={...} to the study or use sampler='random'")
        key = tuple(space.items())
        if key != self._axes_for:
            self._axes = [p.grid(self.resolution) for p in space.values()]
            self._axes_for = key
        return self._axes

    def capacity(self, space: Space) -> int | None:
        return math.prod(len(a) for a in self.axes(space))

    def point(self, space: Space, index: int) -> dict[str, Any]:
        """The params at position ``index`` of this sampler's (seeded) visit order."""
        axes = self.axes(space)
        size = math.prod(len(a) for a in axes)
        key = (self.seed_in_use(), size)
        if key != self._order_for:
            self._order = visit_order(*key)
            self._order_for = key
        if self._order is not None:
            index = int(self._order[index])
        out = {}
        for name, axis in zip(reversed(list(space)), reversed(axes), strict=True):
            index, r = divmod(index, len(axis))
            out[name] = axis[r]
        return {name: out[name] for name in space}

    def propose(self, space: Space, history: History, trials: Sequence[FrozenTrial],
                rngs: Sequence[Stream], claim: Claim) -> Proposal:
        size = self.capacity(space) or 0
        k = len(trials)
        # the points go to storage with the claim itself: a worker killed before its trial's
        # params were stored never takes a grid point with it
        start = claim("grid", k, lambda s: [self.point(space, i)
                                            for i in range(s, min(s + k, size))]) if k else 0
        indices = [i for i in range(start, start + len(trials)) if i < size]
        status: Literal["ready", "done"] = "ready" if len(indices) == len(trials) else "done"
        return Proposal([self.point(space, i) for i in indices],
                        [{"grid_index": i} for i in indices], status=status)

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "seed": self.seed, "resolution": self.resolution}
