"""The scale advisor: ranges on the wrong scale, and best trials pressing against a boundary.

Scale findings need only the space, so they are given before a study runs (``warn_scales``,
called by ``create_study`` and when a param is first met define-by-run):

* a positive Float range spanning ``min_decades`` (2) decades or more on a linear scale: most
  draws land in the top decade; suggest ``scale='log'``;
* a beta-like Float inside (0, 1), close to 1 (``high >= 0.9`` and ``1 - x`` spanning a decade or
  more) on a linear or log scale: few draws land near 1, where the behaviour changes fastest;
  suggest ``scale='reverse_log'``;
* a positive Int range spanning ``min_decades`` decades on a linear scale; suggest ``log``.

Boundary findings need a history: among the top trials, the share that lie within ``edge`` (a
share of the range, on the param's scale) of ``low`` or ``high``. ``caviar advise STUDY`` prints
both kinds for an existing study.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from caviar.errors import BoundaryWarning, ScaleWarning
from caviar.space import Choice, Float, Param
from caviar.trial_record import COMPLETE, MAXIMIZE, FrozenTrial


@dataclass(frozen=True)
class Finding:
    kind: str          # 'scale' or 'boundary'
    param: str
    message: str
    suggestion: str = ""

    def __str__(self) -> str:
        return self.message


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e7 else f"{x:.3g}"


def scale_findings(space: Mapping[str, Param], *, min_decades: float = 2.0) -> list[Finding]:
    """Ranges whose scale wastes draws (see the module notes)."""
    out: list[Finding] = []
    for name, p in space.items():
        if isinstance(p, Choice):
            continue
        low, high, scale = float(p.low), float(p.high), p.scale
        if isinstance(p, Float) and 0 < low < high < 1 and high >= 0.9 and \
                scale in ("linear", "log") and math.log10((1 - low) / (1 - high)) >= 1:
            share = _share_near_one(low, high, scale)
            out.append(Finding(
                "scale", name,
                f"{name}: Float({_fmt(low)}, {_fmt(high)}) on scale={scale!r} is beta-like: "
                f"1 - {name} spans {math.log10((1 - low) / (1 - high)):.1f} decades, but only "
                f"{share:.0%} of draws land above {_fmt(1 - math.sqrt((1 - low) * (1 - high)))}"
                f"; use scale='reverse_log'", "reverse_log"))
            continue
        if scale != "linear" or low <= 0:
            continue
        decades = math.log10(high / low)
        if decades < min_decades:
            continue
        top = (high - high / 10) / (high - low)
        kind = "Float" if isinstance(p, Float) else "Int"
        out.append(Finding(
            "scale", name,
            f"{name}: {kind}({_fmt(low)}, {_fmt(high)}) spans {decades:.1f} decades on a linear "
            f"scale: {top:.0%} of draws land in the top decade [{_fmt(high / 10)}, "
            f"{_fmt(high)}]; use scale='log'", "log"))
    return out


def _share_near_one(low: float, high: float, scale: str) -> float:
    """Share of draws above the geometric middle of 1 - x (reverse_log would give 50%)."""
    mid = 1 - math.sqrt((1 - low) * (1 - high))
    if scale == "log":
        return (math.log(high) - math.log(mid)) / (math.log(high) - math.log(low))
    return (high - mid) / (high - low)


def warn_scales(space: Mapping[str, Param]) -> list[Finding]:
    """Warn (``ScaleWarning``) on each scale finding; returns them."""
    found = scale_findings(space) if space else []
    for f in found:
        warnings.warn(ScaleWarning(f.message), stacklevel=3)
    return found


def boundary_findings(space: Mapping[str, Param], trials: Sequence[FrozenTrial], *,
                      direction: str = "minimize", top: int = 10, edge: float = 0.05,
                      share: float = 0.5) -> list[Finding]:
    """Params where at least ``share`` of the ``top`` best completed trials lie within ``edge``
    of a boundary (on the param's scale): the best region may lie outside the range."""
    done = [t for t in trials if t.state == COMPLETE and t.value is not None]
    sign = -1.0 if direction == MAXIMIZE else 1.0
    done.sort(key=lambda t: sign * (t.value or 0.0))
    best = done[:top]
    out: list[Finding] = []
    for name, p in space.items():
        if isinstance(p, Choice):
            continue
        us = []
        for t in best:
            if name in t.params:
                try:
                    us.append(float(p.to_unit(t.params[name])))
                except (ValueError, TypeError):
                    continue
        if len(us) < 2:
            continue
        for side, near in (("low", sum(u <= edge for u in us)),
                           ("high", sum(u >= 1 - edge for u in us))):
            if near >= share * len(us):
                out.append(Finding(
                    "boundary", name,
                    f"{name}: {near} of the top {len(us)} trials lie within {edge:.0%} of "
                    f"{side}={getattr(p, side)!r} — widen the range", f"widen {side}"))
    return out


def warn_boundaries(found: Sequence[Finding]) -> None:
    for f in found:
        warnings.warn(BoundaryWarning(f.message), stacklevel=3)


def advise_study(study: Any, *, top: int = 10, edge: float = 0.05,
                 share: float = 0.5) -> list[Finding]:
    """Scale and boundary findings for an existing study."""
    space = study.space
    return scale_findings(space) + boundary_findings(
        space, study.trials, direction=study.direction, top=top, edge=edge, share=share)


__all__ = ["Finding", "advise_study", "boundary_findings", "scale_findings", "warn_boundaries",
           "warn_scales"]

