"""Per-trial random streams: fast, reproducible draws keyed by (seed, trial number).

A trial's draws depend only on the study's seed and the trial's number, so a seeded study
gives trial ``k`` the same params whichever process runs it. Draws come from SplitMix64 over
a counter (a few integer operations each, far cheaper than seeding a NumPy generator per
trial); samplers that want a full ``numpy.random.Generator`` get one, seeded the same way.
"""

from __future__ import annotations

import numpy as np

_M = 0xFFFFFFFFFFFFFFFF
_GOLDEN = 0x9E3779B97F4A7C15
_TWO53 = 2.0 ** -53


def _mix(z: int) -> int:
    z = (z + _GOLDEN) & _M
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _M
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _M
    return z ^ (z >> 31)


class Stream:
    __slots__ = ("_base", "_k", "_np", "number", "seed")

    def __init__(self, seed: int, number: int) -> None:
        self.seed = seed
        self.number = number
        self._base = _mix(_mix(seed & _M) ^ (number & _M))
        self._k = 0
        self._np: np.random.Generator | None = None

    def random(self) -> float:
        """A float uniform in [0, 1)."""
        self._k += 1
        # _mix inlined: this is the hot path of every define-by-run draw
        z = (self._base + (self._k + 1) * _GOLDEN) & _M
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _M
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _M
        return ((z ^ (z >> 31)) >> 11) * _TWO53

    @property
    def generator(self) -> np.random.Generator:
        if self._np is None:
            self._np = np.random.default_rng([self.seed & _M, self.number])
        return self._np
