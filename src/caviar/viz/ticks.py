"""Tick marks at real values, on each param's own scale: one module for every figure.

The rules (see docs/viz.md):

* log floats: one tick per decade (``1e-4``, ``0.001`` ... ``1``); when fewer than three decades
  fit, the 2x and 5x marks too, then every digit; a range inside one digit gets linear ticks;
* reverse-log floats (``1 - beta`` log-uniform): decades of ``1 - beta`` labelled in beta
  (``0.9``, ``0.99``, ``0.999``), with the 2x/5x marks (``0.95``, ``0.98``) when narrow;
* ints: integers only, a 1/2/5 step (``1``, ``2``, ``3``); log ints: powers of two (``32``,
  ``64``, ``128``), every other power when more than nine fit;
* linear floats: a 1/2/5 step, labels with just the digits the step needs;
* choices: one tick per choice, by name, at the centre of its slot.

``param_ticks`` gives ``(values, labels)`` in the param's own values; ``plot_ticks`` the positions
on a plot axis (``1 - beta`` for reverse-log); ``unit_ticks`` the positions in the unit interval
(parallel coordinates). Positions are distinct and sorted by value.
"""

from __future__ import annotations

import math
from typing import Any

from caviar.space import Choice, Param

MAX_TICKS = 8


def label(x: float) -> str:
    """Short text of a tick value: ``0.001``, ``32``, ``2.5``, ``12340``, ``1e-5``, ``3e6``."""
    if x == 0:
        return "0"
    a = abs(x)
    if 1e-3 <= a < 1e5:
        return f"{float(f'{x:.4g}'):.10g}"
    e = math.floor(math.log10(a))
    mant = float(f"{x / 10.0 ** e:.3g}")
    if abs(mant) >= 10:  # rounding carried into the next decade
        mant, e = mant / 10, e + 1
    return f"{mant:g}e{e}"


def _inside(v: float, lo: float, hi: float) -> bool:
    tol = 1e-9 * max(abs(lo), abs(hi))
    return lo - tol <= v <= hi + tol


def nice_step(span: float, max_ticks: int = MAX_TICKS, *, integer: bool = False) -> float:
    """The smallest 1/2/5 x 10^k step giving at most ``max_ticks`` ticks over ``span``."""
    raw = span / max(1, max_ticks - 1)
    if integer and raw <= 1:
        return 1.0
    mag = 10.0 ** math.floor(math.log10(raw)) if raw > 0 else 1.0
    for m in (1.0, 2.0, 5.0, 10.0):
        if m * mag >= raw * (1 - 1e-12):
            step = m * mag
            break
    return max(1.0, round(step)) if integer else step


def linear_ticks(lo: float, hi: float, *, integer: bool = False,
                 max_ticks: int = MAX_TICKS) -> tuple[list[float], list[str]]:
    """Multiples of a 1/2/5 step inside ``[lo, hi]``."""
    step = nice_step(hi - lo, max_ticks, integer=integer)
    k0, k1 = math.ceil(lo / step - 1e-9), math.floor(hi / step + 1e-9)
    vals = [float(f"{k * step:.12g}") for k in range(k0, k1 + 1)]
    if integer:
        return [float(round(v)) for v in vals], [str(round(v)) for v in vals]
    return vals, [label(v) for v in vals]


def log_ticks(lo: float, hi: float) -> tuple[list[float], list[str]]:
    """Decades inside ``[lo, hi]`` (lo > 0); the 2x/5x marks, then every digit, when narrow."""
    k0, k1 = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
    for mults in ((1.0,), (1.0, 2.0, 5.0), tuple(float(m) for m in range(1, 10))):
        vals = [m * 10.0 ** k for k in range(k0, k1 + 1) for m in mults]
        vals = [float(f"{v:.12g}") for v in vals if _inside(v, lo, hi)]
        if 3 <= len(vals) <= 2 * MAX_TICKS:
            return vals, [label(v) for v in vals]
    return linear_ticks(lo, hi)


def enclosing_ticks(lo: float, hi: float, *, log: bool
                    ) -> tuple[list[float], list[str], tuple[float, float]]:
    """Ticks for an axis of measured values (not a param's declared range): the axis is widened
    to the nearest tick at or beyond ``lo`` and ``hi``, so the lowest and highest values sit
    on or inside labelled marks. Log axes (``lo > 0``): decades, else 1/2/5 x 10^k, else every
    digit, the first that gives 3 to ``MAX_TICKS`` ticks without widening the axis to more than
    twice its span (in decades); linear axes: a 1/2/5 step. Returns ``(values, labels,
    (low, high))``, the axis range in values."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or lo > hi or (log and lo <= 0):
        raise ValueError(f"enclosing_ticks: needs finite lo <= hi (lo > 0 on a log axis), "
                         f"got lo={lo!r}, hi={hi!r}, log={log}; give the smallest and largest "
                         "finite value drawn (positive ones only on a log axis)")
    if not log:
        if hi == lo:
            lo, hi = lo - (abs(lo) or 1.0) / 2, hi + (abs(hi) or 1.0) / 2
        step = nice_step(hi - lo, MAX_TICKS - 1)
        a = float(f"{math.floor(lo / step + 1e-9) * step:.12g}")
        b = float(f"{math.ceil(hi / step - 1e-9) * step:.12g}")
        vals, text = linear_ticks(a, b, max_ticks=MAX_TICKS)
        return vals, text, (a, b)
    if hi == lo:
        lo, hi = lo / 1.5, hi * 1.5
    span = math.log10(hi / lo)
    best: tuple[float, list[float], tuple[float, float]] | None = None
    for mults in ((1.0,), (1.0, 2.0, 5.0), tuple(float(m) for m in range(1, 10))):
        k0, k1 = math.floor(math.log10(lo)) - 1, math.ceil(math.log10(hi)) + 1
        grid = sorted(float(f"{m * 10.0 ** k:.12g}") for k in range(k0, k1 + 1) for m in mults)
        a = max(v for v in grid if v <= lo * (1 + 1e-9))
        b = min(v for v in grid if v >= hi * (1 - 1e-9))
        vals = [v for v in grid if a <= v <= b]
        widened = math.log10(b / a) / span if span > 0 else 1.0
        if 3 <= len(vals) <= MAX_TICKS and widened <= 2.0:
            return vals, [label(v) for v in vals], (a, b)
        if 2 <= len(vals) <= 2 * MAX_TICKS and (best is None or widened < best[0]):
            best = (widened, vals, (a, b))
    if best is None:  # pragma: no cover - some digit grid always gives 2..16 marks
        vals, text = log_ticks(lo, hi)
        return vals, text, (lo, hi)
    return best[1], [label(v) for v in best[1]], best[2]


def reverse_log_ticks(low: float, high: float) -> tuple[list[float], list[str]]:
    """Betas for a reverse-log axis over ``[low, high]``: decades of ``1 - beta`` (0.9, 0.99,
    0.999), the 2x/5x marks when fewer than three decades fit. Returns ``(betas, labels)``
    with betas ascending."""
    gaps, _ = log_ticks(1.0 - high, 1.0 - low)
    betas, text = [], []
    for g in sorted(gaps, reverse=True):
        dec = max(1, -math.floor(math.log10(g) + 1e-12))
        b = round(1.0 - g, dec + 3)
        betas.append(b)
        text.append(f"{b:.{dec}f}")
    return betas, text


def int_log_ticks(lo: int, hi: int) -> tuple[list[float], list[str]]:
    """Powers of two inside ``[lo, hi]`` (every other one when more than nine fit)."""
    k0, k1 = math.ceil(math.log2(max(lo, 1))), math.floor(math.log2(hi))
    ks = list(range(k0, k1 + 1))
    if len(ks) > 9:
        ks = ks[::2] if len(ks) <= 18 else []
    if len(ks) < 2:
        vals, _ = log_ticks(max(lo, 1), hi)
        ints = sorted({round(v) for v in vals if float(v).is_integer()})
        if len(ints) >= 2:
            return [float(v) for v in ints], [str(v) for v in ints]
        return linear_ticks(lo, hi, integer=True)
    return [float(2 ** k) for k in ks], [str(2 ** k) for k in ks]


def param_ticks(param: Param) -> tuple[list[Any], list[str]]:
    """Tick values (the param's own values) and their labels."""
    if isinstance(param, Choice):
        return list(param.choices), [str(c) for c in param.choices]
    lo, hi = param.low, param.high
    if param.scale == "reverse_log":
        return reverse_log_ticks(float(lo), float(hi))
    if getattr(param, "kind", "") == "int":
        if param.scale == "log":
            return int_log_ticks(int(lo), int(hi))
        return linear_ticks(float(lo), float(hi), integer=True)
    if param.scale == "log":
        return log_ticks(float(lo), float(hi))
    return linear_ticks(float(lo), float(hi))


def plot_ticks(param: Param) -> tuple[list[Any], list[str]]:
    """Tick positions on a plot axis of the param (``1 - beta`` on reverse-log axes)."""
    vals, text = param_ticks(param)
    if not isinstance(param, Choice) and param.scale == "reverse_log":
        return [float(f"{1.0 - v:.12g}") for v in vals], text
    return vals, text


def unit_ticks(param: Param) -> tuple[list[float], list[str]]:
    """Tick positions in the param's unit interval (each axis on its own scale)."""
    vals, text = param_ticks(param)
    if isinstance(param, Choice):
        return [float(param.to_unit(v)) for v in vals], text
    return [float(param.to_unit(v)) for v in vals], text
