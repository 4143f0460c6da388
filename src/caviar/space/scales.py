"""Scales map a param's range to the unit interval and back.

Samplers work in the unit cube; a scale says how a point of [0, 1] becomes a value.

* ``linear``: uniform in [low, high].
* ``log``: ``log(x)`` uniform; each decade gets the same share of draws.
* ``reverse_log``: ``1 - x`` is log-uniform, the lecture's rule for momentum-like params: on
  [0.9, 0.999] half of the draws land above 0.99 and the median is 0.99.

Every scale works elementwise on floats and on NumPy arrays alike.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np

from caviar.errors import SpaceError

ArrayOrFloat = Any  # float | np.ndarray; numpy ufuncs keep both


class Scale(Protocol):
    name: str

    def check(self, owner: str, low: float, high: float) -> None: ...

    def to_unit(self, x: ArrayOrFloat, low: float, high: float) -> ArrayOrFloat: ...

    def from_unit(self, u: ArrayOrFloat, low: float, high: float) -> ArrayOrFloat: ...


class Linear:
    name = "linear"

    def check(self, owner: str, low: float, high: float) -> None:
        return None

    def to_unit(self, x: ArrayOrFloat, low: float, high: float) -> ArrayOrFloat:
        return (x - low) / (high - low)

    def from_unit(self, u: ArrayOrFloat, low: float, high: float) -> ArrayOrFloat:
        return low + u * (high - low)


class Log:
    name = "log"

    def check(self, owner: str, low: float, high: float) -> None:
        if low <= 0:
            raise SpaceError(
                f"{owner}: scale='log' needs low > 0, got low={low!r}; "
                "use a small positive low such as 1e-6"
            )

    def to_unit(self, x: ArrayOrFloat, low: float, high: float) -> ArrayOrFloat:
        a, b = math.log(low), math.log(high)
        return (np.log(x) - a) / (b - a)

    def from_unit(self, u: ArrayOrFloat, low: float, high: float) -> ArrayOrFloat:
        a, b = math.log(low), math.log(high)
        return np.exp(a + u * (b - a))


class ReverseLog:
    """``1 - x`` is log-uniform on ``[1 - high, 1 - low]``; u=0 maps to low, u=1 to high."""

    name = "reverse_log"

    def check(self, owner: str, low: float, high: float) -> None:
        if low <= 0:
            raise SpaceError(
                f"{owner}: scale='reverse_log' needs low > 0, got low={low!r}; "
                "reverse_log is for momentum-like params in (0, 1), e.g. low=0.9"
            )
        if high >= 1:
            raise SpaceError(
                f"{owner}: scale='reverse_log' needs high < 1 (1 - x must stay positive), "
                f"got high={high!r}; use a high such as 0.999"
            )

    def to_unit(self, x: ArrayOrFloat, low: float, high: float) -> ArrayOrFloat:
        a, b = math.log1p(-low), math.log1p(-high)  # a > b
        return (np.log1p(-np.asarray(x, dtype=float)) - a) / (b - a)

    def from_unit(self, u: ArrayOrFloat, low: float, high: float) -> ArrayOrFloat:
        a, b = math.log1p(-low), math.log1p(-high)
        return -np.expm1(a + u * (b - a))


def scalar_map(name: str, low: float, high: float) -> Callable[[float], float]:
    """A fast ``u -> value`` for one Python float (the hot path of define-by-run sampling)."""
    if name == "log":
        a, w = math.log(low), math.log(high) - math.log(low)
        return lambda u: math.exp(a + u * w)
    if name == "reverse_log":
        a, w = math.log1p(-low), math.log1p(-high) - math.log1p(-low)
        return lambda u: -math.expm1(a + u * w)
    return lambda u: low + u * (high - low)


SCALES: dict[str, Scale] = {s.name: s for s in (Linear(), Log(), ReverseLog())}


def get_scale(name: str, owner: str) -> Scale:
    try:
        return SCALES[name]
    except KeyError:
        raise SpaceError(
            f"{owner}: scale must be one of {sorted(SCALES)}, got scale={name!r}; "
            "use 'log' for learning rates and 'reverse_log' for betas close to 1"
        ) from None
