"""Filters of the dashboard's trial table: a text needle and ranges, checked before any work.

``/api/trials?q=TEXT&filters=JSON``: ``TEXT`` matches (case-insensitively) a trial's number,
state, params (``name=value``), error and pruning reason; ``JSON`` is a list of ranges
``[{"key": "value" | "number" | "duration" | "param:NAME", "lo": x, "hi": y}]`` (either bound
may be left out) or, for a choice param, ``{"key": "param:NAME", "in": [choices...]}``. A range
keeps trials whose key lies in ``[lo, hi]``; ranges combine with AND. The page writes them from
its filter inputs and from a selection brushed on a figure.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from caviar.trial_record import FrozenTrial

KEYS = ("value", "number", "duration")
MAX_FILTERS = 32


class FilterError(ValueError):
    """A filter the table cannot apply; the message names the rule and the fix."""


def parse(raw: str | None, params: Sequence[str]) -> list[dict[str, Any]]:
    """The ranges of a ``filters=`` query value, validated."""
    if raw is None or raw.strip() == "":
        return []
    try:
        items = json.loads(raw)
    except ValueError:
        raise FilterError(f"filters: must be a JSON list of ranges such as "
                          f'[{{"key": "value", "lo": 0.9}}], got {raw[:80]!r}') from None
    if not isinstance(items, list) or len(items) > MAX_FILTERS:
        raise FilterError(f"filters: must be a JSON list of at most {MAX_FILTERS} ranges, got "
                          f"{type(items).__name__}")
    out = []
    for f in items:
        if not isinstance(f, dict) or not set(f) <= {"key", "lo", "hi", "in"}:
            raise FilterError(f"filters: each range is {{key, lo, hi}} or {{key, in}}, got {f!r}")
        key = f.get("key")
        ok = key in KEYS or (isinstance(key, str) and key.startswith("param:")
                             and key[6:] in params)
        if not ok:
            raise FilterError(f"filters: key must be one of {list(KEYS)} or param:NAME with a "
                              f"param of the study ({', '.join(params)}), got {key!r}")
        for bound in ("lo", "hi"):
            v = f.get(bound)
            if v is not None and (isinstance(v, bool) or not isinstance(v, int | float)
                                  or not math.isfinite(v)):
                raise FilterError(f"filters: {key} {bound} must be a finite number or left "
                                  f"out, got {v!r}")
        if "in" in f and not isinstance(f["in"], list):
            raise FilterError(f"filters: {key} in must be a list of choices, got {f['in']!r}")
        out.append(dict(f))
    return out


def _getter(key: str) -> Callable[[FrozenTrial], Any]:
    if key == "value":
        return lambda t: t.value
    if key == "number":
        return lambda t: t.number
    if key == "duration":
        return lambda t: t.duration
    name = key[6:]
    return lambda t: t.params.get(name)


def _keep(f: Mapping[str, Any]) -> Callable[[FrozenTrial], bool]:
    get = _getter(str(f["key"]))
    if "in" in f:
        allowed = {json.dumps(c) for c in f["in"]}
        return lambda t: json.dumps(get(t)) in allowed
    lo, hi = f.get("lo"), f.get("hi")

    def keep(t: FrozenTrial) -> bool:
        v = get(t)
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            return False
        return (lo is None or v >= lo) and (hi is None or v <= hi)
    return keep


def text_of(t: FrozenTrial) -> str:
    parts = [f"#{t.number}", str(t.number), t.state, t.error or "",
             str(t.system_attrs.get("pruned_because") or "")]
    parts += [f"{k}={v}" for k, v in t.params.items()]
    return " ".join(parts).lower()


def apply(trials: Sequence[FrozenTrial], ranges: Sequence[Mapping[str, Any]],
          text: str | None) -> list[FrozenTrial]:
    tests = [_keep(f) for f in ranges]
    needle = (text or "").strip().lower()
    return [t for t in trials if all(k(t) for k in tests)
            and (not needle or needle in text_of(t))]
