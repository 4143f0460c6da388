"""PBT's explore step: move one params dict a little, each param on its own scale.

A float or int param is multiplied by a factor drawn from ``perturb`` in the space where its
scale is linear in what matters: ``log`` params (a learning rate) multiply the value,
``reverse_log`` params (a beta close to 1) multiply ``1 - beta``, ``linear`` params multiply
the value when the range is positive and shift it by ``(factor - 1) * (high - low)`` otherwise.
Ints are rounded (and moved by at least one step when the factor asks for a move). Choices are
resampled. Every result is clipped into the param's bounds. With probability ``resample`` a
param is drawn afresh from the space instead.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from caviar.space import Choice, Float, Int, Space


def perturb_value(p: Any, x: Any, factor: float) -> Any:
    """``x`` moved by ``factor`` on ``p``'s scale, inside ``[low, high]``."""
    if isinstance(p, Choice):
        raise TypeError("choices are resampled, not perturbed")
    scale = p.scale
    if scale == "log":
        y = float(x) * factor
    elif scale == "reverse_log":
        y = 1.0 - (1.0 - float(x)) * factor
    elif p.low > 0:
        y = float(x) * factor
    else:
        y = float(x) + (factor - 1.0) * (p.high - p.low)
    y = min(max(y, p.low), p.high)
    if isinstance(p, Int):
        k = round((y - p.low) / p.step)
        yi = p.low + k * p.step
        if yi == int(x) and factor != 1.0:  # a perturbation moves an int by one step at least
            yi += p.step if factor > 1.0 else -p.step
        return int(min(max(yi, p.low), p.high))
    if isinstance(p, Float) and p.step is not None:
        k = round((y - p.low) / p.step)
        y = min(max(p.low + k * p.step, p.low), p.high)
    return y


def resample_value(p: Any, rng: np.random.Generator) -> Any:
    if isinstance(p, Choice):
        return p.choices[int(rng.integers(len(p.choices)))]
    return p.value(float(rng.random()))


def explore(
    space: Space,
    params: Mapping[str, Any],
    rng: np.random.Generator,
    *,
    perturb: tuple[float, ...],
    resample: float,
) -> dict[str, Any]:
    """A new params dict near ``params`` (see the module doc); params outside ``space`` are
    kept as they are."""
    out = dict(params)
    for name, p in space.items():
        if name not in params:
            continue
        if isinstance(p, Choice) or rng.random() < resample:
            out[name] = resample_value(p, rng)
        else:
            factor = perturb[int(rng.integers(len(perturb)))]
            out[name] = perturb_value(p, params[name], factor)
        if isinstance(p, Float):
            out[name] = float(out[name])
            assert math.isfinite(out[name])
    return out
