"""Param definitions: Float, Int and Choice.

A param knows its range and its scale and maps values to the unit interval and back, so that
samplers can work in the unit cube. Its JSON form (``to_json`` / ``param_from_json``) is what
storage keeps, and two params are the same definition exactly when their JSON forms are equal.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from caviar.errors import SpaceError
from caviar.space.scales import Scale, get_scale, scalar_map

JSONScalar = str | int | float | bool | None


def _is_number(x: object) -> bool:
    return isinstance(x, int | float | np.integer | np.floating) and not isinstance(x, bool)


@dataclass(frozen=True)
class Float:
    """A real-valued param on ``[low, high]``; ``scale`` is linear, log or reverse_log."""

    low: float
    high: float
    scale: str = "linear"
    step: float | None = None
    name: str = ""
    _scale: Scale = field(init=False, repr=False, compare=False)
    _map: Callable[[float], float] = field(init=False, repr=False, compare=False)

    kind = "float"

    def __post_init__(self) -> None:
        owner = self.label
        for attr in ("low", "high"):
            v = getattr(self, attr)
            if not _is_number(v) or not math.isfinite(v):
                raise SpaceError(f"{owner}: {attr} must be a finite number, got {attr}={v!r}")
            object.__setattr__(self, attr, float(v))
        if self.low >= self.high:
            raise SpaceError(
                f"{owner}: needs low < high, got low={self.low!r}, high={self.high!r}; "
                "swap them or widen the range"
            )
        scale = get_scale(self.scale, owner)
        scale.check(owner, self.low, self.high)
        object.__setattr__(self, "_scale", scale)
        object.__setattr__(self, "_map", scalar_map(self.scale, self.low, self.high))
        if self.step is not None:
            _check_step(owner, self.low, self.high, self.step, self.scale)
            object.__setattr__(self, "step", float(self.step))

    @property
    def label(self) -> str:
        if self.name:
            return f"Float({self.name!r})"
        return f"Float(low={self.low!r}, high={self.high!r})"

    def named(self, name: str) -> Float:
        return Float(self.low, self.high, scale=self.scale, step=self.step, name=name)

    def _n_steps(self) -> int:
        assert self.step is not None
        return round((self.high - self.low) / self.step)

    def from_unit(self, u: Any) -> Any:
        u = np.clip(u, 0.0, 1.0)
        if self.step is not None:
            n = self._n_steps()
            k = np.minimum(np.floor(u * (n + 1)), n)
            x = np.where(k >= n, self.high, np.minimum(self.low + k * self.step, self.high))
            return x[()]
        # the endpoints are exact: exp(log(low)) may miss low by an ulp
        x = np.clip(self._scale.from_unit(u, self.low, self.high), self.low, self.high)
        return np.where(u <= 0.0, self.low, np.where(u >= 1.0, self.high, x))[()]

    def to_unit(self, x: Any) -> Any:
        if self.step is not None:
            k = np.round((np.asarray(x, dtype=float) - self.low) / self.step)
            return (k + 0.5) / (self._n_steps() + 1)
        return self._scale.to_unit(x, self.low, self.high)

    def value(self, u: float) -> float:
        if self.step is not None:
            return float(self.from_unit(u))
        x = self._map(u)
        return self.low if x < self.low else self.high if x > self.high else x

    def validate(self, x: Any) -> float:
        if not _is_number(x) or not math.isfinite(float(x)):
            raise SpaceError(f"{self.label}: value must be a finite number, got {x!r}")
        if not self.low <= float(x) <= self.high:
            raise SpaceError(
                f"{self.label}: value must lie in [{self.low!r}, {self.high!r}], got {x!r}"
            )
        return float(x)

    def grid(self, resolution: int) -> list[Any]:
        if self.step is not None:  # the middle of each step's cell in the unit interval
            n = self._n_steps() + 1
            us = (np.arange(n) + 0.5) / n
        else:
            us = np.linspace(0.0, 1.0, resolution)
        return [float(v) for v in self.from_unit(us)]  # within [low, high], exact endpoints

    def to_json(self) -> dict[str, Any]:
        return {"type": "float", "low": self.low, "high": self.high, "scale": self.scale,
                "step": self.step}


@dataclass(frozen=True)
class Int:
    """An integer param on ``[low, high]`` (both included); every integer is equally likely
    on the linear scale, and each decade equally likely on the log scale."""

    low: int
    high: int
    scale: str = "linear"
    step: int = 1
    name: str = ""
    _scale: Scale = field(init=False, repr=False, compare=False)
    _map: Callable[[float], float] = field(init=False, repr=False, compare=False)

    kind = "int"

    def __post_init__(self) -> None:
        owner = self.label
        for attr in ("low", "high", "step"):
            v = getattr(self, attr)
            if isinstance(v, bool) or not (isinstance(v, int | np.integer) or
                                           (isinstance(v, float) and v.is_integer())):
                raise SpaceError(f"{owner}: {attr} must be an integer, got {attr}={v!r}")
            object.__setattr__(self, attr, int(v))
        if self.low >= self.high:
            raise SpaceError(
                f"{owner}: needs low < high, got low={self.low!r}, high={self.high!r}; "
                "swap them, or use a constant instead of a one-value range"
            )
        if self.scale == "reverse_log":
            raise SpaceError(
                f"{owner}: scale='reverse_log' is for floats in (0, 1), got an Int; "
                "use scale='linear' or 'log'"
            )
        scale = get_scale(self.scale, owner)
        scale.check(owner, self.low, self.high)
        if self.step < 1:
            raise SpaceError(f"{owner}: step must be >= 1, got step={self.step!r}; use step=1")
        if self.step != 1:
            if self.scale != "linear":
                raise SpaceError(
                    f"{owner}: a step needs scale='linear', got scale={self.scale!r}; "
                    "drop the step or use the linear scale"
                )
            _check_step(owner, self.low, self.high, self.step, self.scale)
        object.__setattr__(self, "_scale", scale)
        object.__setattr__(self, "_map", scalar_map(self.scale, *self._bounds()))

    @property
    def label(self) -> str:
        return f"Int({self.name!r})" if self.name else f"Int(low={self.low!r}, high={self.high!r})"

    def named(self, name: str) -> Int:
        return Int(self.low, self.high, scale=self.scale, step=self.step, name=name)

    def _bounds(self) -> tuple[float, float]:
        # Each integer owns a cell of width 1 (log: the cell in log space) so rounding is fair.
        if self.scale == "log":
            return max(self.low - 0.5, self.low / 2), self.high + 0.5
        return self.low - 0.5 * self.step, self.high + 0.5 * self.step

    def from_unit(self, u: Any) -> Any:
        u = np.clip(u, 0.0, 1.0)
        lo, hi = self._bounds()
        x = self._scale.from_unit(u, lo, hi)
        k = np.round((x - self.low) / self.step)
        return np.clip(self.low + k * self.step, self.low, self.high).astype(np.int64)

    def to_unit(self, x: Any) -> Any:
        lo, hi = self._bounds()
        return self._scale.to_unit(np.asarray(x, dtype=float), lo, hi)

    def value(self, u: float) -> int:
        k = round((self._map(u) - self.low) / self.step)
        x = self.low + k * self.step
        return self.low if x < self.low else self.high if x > self.high else x

    def validate(self, x: Any) -> int:
        if isinstance(x, bool) or not (isinstance(x, int | np.integer) or
                                       (isinstance(x, float) and x.is_integer())):
            raise SpaceError(f"{self.label}: value must be an integer, got {x!r}")
        xi = int(x)
        if not self.low <= xi <= self.high or (xi - self.low) % self.step:
            raise SpaceError(
                f"{self.label}: value must be in range({self.low}, {self.high + 1}, "
                f"{self.step}), got {x!r}"
            )
        return xi

    def grid(self, resolution: int) -> list[Any]:
        return list(range(self.low, self.high + 1, self.step))

    def to_json(self) -> dict[str, Any]:
        return {"type": "int", "low": self.low, "high": self.high, "scale": self.scale,
                "step": self.step}


@dataclass(frozen=True)
class Choice:
    """A categorical param: one of a list of JSON values (str, int, float, bool, None)."""

    choices: Sequence[JSONScalar]
    name: str = ""

    kind = "choice"
    scale = "categorical"

    def __post_init__(self) -> None:
        owner = self.label
        if isinstance(self.choices, str) or not hasattr(self.choices, "__iter__"):
            raise SpaceError(f"{owner}: choices must be a list, got {self.choices!r}")
        choices = tuple(self.choices)
        if not choices:
            raise SpaceError(
                f"{owner}: needs at least one choice, got an empty list; "
                "list the options, e.g. Choice(['relu', 'tanh'])"
            )
        for c in choices:
            if c is not None and not isinstance(c, str | int | float | bool):
                raise SpaceError(
                    f"{owner}: choices must be str, int, float, bool or None (stored as JSON), "
                    f"got {c!r} of type {type(c).__name__}; store a name and map it in the "
                    "objective"
                )
        if len(set(map(repr, choices))) != len(choices):
            raise SpaceError(f"{owner}: choices must be distinct, got {list(choices)!r}")
        object.__setattr__(self, "choices", choices)

    @property
    def label(self) -> str:
        return f"Choice({self.name!r})" if self.name else f"Choice({list(self.choices)!r})"

    def named(self, name: str) -> Choice:
        return Choice(self.choices, name=name)

    def index(self, x: Any) -> int:
        for i, c in enumerate(self.choices):
            if type(c) is type(x) and c == x:
                return i
        for i, c in enumerate(self.choices):
            if c == x:
                return i
        raise SpaceError(f"{self.label}: value must be one of {list(self.choices)!r}, got {x!r}")

    def from_unit(self, u: Any) -> Any:
        k = len(self.choices)
        return np.minimum(np.floor(np.clip(u, 0.0, 1.0) * k), k - 1).astype(np.int64)

    def to_unit(self, x: Any) -> float:
        return (self.index(x) + 0.5) / len(self.choices)

    def value(self, u: float) -> JSONScalar:
        k = len(self.choices)
        i = int(u * k)
        return self.choices[i if i < k else k - 1]

    def validate(self, x: Any) -> JSONScalar:
        return self.choices[self.index(x)]

    def grid(self, resolution: int) -> list[Any]:
        return list(self.choices)

    def to_json(self) -> dict[str, Any]:
        return {"type": "choice", "choices": list(self.choices)}


Param = Float | Int | Choice


def _check_step(owner: str, low: float, high: float, step: float, scale: str) -> None:
    if not _is_number(step) or step <= 0:
        raise SpaceError(f"{owner}: step must be a positive number, got step={step!r}")
    if scale != "linear":
        raise SpaceError(
            f"{owner}: a step needs scale='linear', got scale={scale!r}; "
            "drop the step or use the linear scale"
        )
    n = (high - low) / step
    if abs(n - round(n)) > 1e-9 * max(1.0, abs(n)) or round(n) < 1:
        raise SpaceError(
            f"{owner}: step must divide high - low = {high - low!r}, got step={step!r} "
            f"({n:.6g} steps); pick a step such as {(high - low) / max(1, round(n))!r}"
        )


def param_from_json(d: dict[str, Any], name: str = "") -> Param:
    t = d.get("type")
    if t == "float":
        return Float(d["low"], d["high"], scale=d.get("scale", "linear"), step=d.get("step"),
                     name=name)
    if t == "int":
        return Int(d["low"], d["high"], scale=d.get("scale", "linear"), step=d.get("step", 1),
                   name=name)
    if t == "choice":
        return Choice(tuple(d["choices"]), name=name)
    raise SpaceError(f"param {name!r}: unknown type {t!r} in stored definition {d!r}")
