"""Printing studies and trials as rich tables.

Every string a user chose (study, param and trial-attribute names, values, error messages,
URLs) goes through ``esc`` before rich sees it: rich reads ``[bold]`` or ``[/]`` as markup,
and a stray ``[/]`` in one study name would crash ``caviar studies`` for the whole storage.

``caviar trials`` fits the terminal (``shutil.get_terminal_size``, which honours ``COLUMNS``):
numbers get a few significant figures, long param names are cut to their values' width with
``…``, and params that still do not fit are left out with a note naming them."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # rich is imported when something prints: `caviar --help` stays light
    from rich.console import Console
    from rich.table import Table

    from caviar.trial_record import FrozenTrial

SORTS = ("number", "value", "duration")
GAP = 2            # characters between two columns of the trials table
MIN_HEAD = 4       # a param's name is never cut below this many characters
MIN_ERROR = 16     # the error column gets at least this much room when shown


def fmt(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.6g}"
    return str(v)


def short(v: Any, digits: int = 4) -> str:
    """A number with ``digits`` significant figures and a short exponent (``0.000316227``
    -> ``3.162e-4``, ``0.99``, ``128``); anything else as text."""
    if v is None:
        return "-"
    if isinstance(v, float):
        if not math.isfinite(v):
            return str(v)
        text = f"{v:.{digits}g}"
        mant, _, exp = f"{v:.{digits - 1}e}".partition("e")
        mant = mant.rstrip("0").rstrip(".") if "." in mant else mant
        sci = f"{mant}e{int(exp)}"
        return sci if len(sci) < len(text) else text
    return str(v)


def tight(v: Any) -> str:
    """``short(v, 2)`` unless two figures would blur it: 0.998 stays 0.998 (two figures read
    1, and 1 - 0.998 is what a reverse-log param is about), 0.134 becomes 0.13."""
    two = short(v, 2)
    if not isinstance(v, float) or not math.isfinite(v):
        return two
    err = abs(float(two) - v)
    return two if err <= 0.05 * min(abs(v), abs(1.0 - v)) else short(v, 3)


def seconds(s: float | None) -> str:
    """A duration a person reads at a glance: ``0.527ms``, ``0.0123s``, ``1.23s``,
    ``12.3s``, ``1m03s``, ``2h05m``."""
    if s is None:
        return "-"
    if s < 0.00995:
        return f"{s * 1000:.3g}ms"
    if s < 59.95:
        return f"{s:.3g}s"
    whole = round(s)
    if whole < 3600:
        return f"{whole // 60}m{whole % 60:02d}s"
    return f"{whole // 3600}h{whole % 3600 // 60:02d}m"


def esc(v: Any) -> str:
    """``v`` as text rich prints literally (markup escaped)."""
    from rich.markup import escape

    return escape(v if isinstance(v, str) else fmt(v))


def studies_table(summaries: Sequence[Any]) -> Table:
    from rich.table import Table

    t = Table(title="studies")
    for c in ("name", "direction", "trials", "complete", "pruned", "fail", "running", "best"):
        t.add_column(c, overflow="fold")
    for s in summaries:
        c = s.counts
        t.add_row(esc(s.name), ",".join(s.directions), str(s.n_trials), str(c.get("complete", 0)),
                  str(c.get("pruned", 0)), str(c.get("fail", 0)), str(c.get("running", 0)),
                  fmt(s.best_value))
    return t


# ---------------------------------------------------------------------- caviar trials
ValueColumn = tuple[str, "Callable[[FrozenTrial], Any]"]


def value_columns(trials: Sequence[FrozenTrial]) -> list[ValueColumn]:
    """The objective's columns: ``value``; a study with several objectives can pass one
    column per objective instead (``trials_table(..., values=[...])``)."""
    return [("value", lambda t: t.value)]


def sort_trials(trials: Sequence[FrozenTrial], sort: str, direction: str
                ) -> list[FrozenTrial]:
    """``number``: oldest first; ``value``: best first for the study's direction, trials
    without a value last; ``duration``: longest first, unfinished last."""
    if sort not in SORTS:
        from caviar.errors import UsageError

        raise UsageError(f"--sort: must be one of {', '.join(SORTS)}, got {sort!r}")
    if sort == "number":
        return sorted(trials, key=lambda t: t.number)
    if sort == "value":
        sign = -1.0 if direction == "maximize" else 1.0

        def by_value(t: FrozenTrial) -> tuple[int, float, int]:
            v = t.value
            ok = isinstance(v, int | float) and math.isfinite(v)
            return (0, sign * v, t.number) if ok else (1, 0.0, t.number)  # type: ignore[operator]
        return sorted(trials, key=by_value)
    return sorted(trials, key=lambda t: (t.duration is None, -(t.duration or 0.0), t.number))


def pick_trials(trials: Sequence[FrozenTrial], *, sort: str, direction: str,
                limit: int) -> list[FrozenTrial]:
    """The rows ``caviar trials`` shows: by number the last ``limit`` (oldest first), else the
    first ``limit`` in sort order (``--sort value --limit 10``: the ten best)."""
    ordered = sort_trials(trials, sort, direction)
    return ordered[-limit:] if sort == "number" else ordered[:limit]


def _need(head: str, cells: list[str]) -> int:
    return max([len(head), *map(len, cells)])


def _fit(params: list[tuple[str, list[str]]], room: int
         ) -> tuple[list[str], list[tuple[str, list[str]]], list[str]]:
    """(headers, kept params, names left out) in ``room`` characters: each column as wide as
    its values, names cut with ``…`` (never below MIN_HEAD), then given back their letters one
    at a time while room lasts."""
    heads: list[str] = []
    kept: list[tuple[str, list[str]]] = []
    left_out: list[str] = []
    for n, cells in params:
        cell_w = max(map(len, cells), default=1)
        w = max(cell_w, min(len(n), MIN_HEAD))
        if not left_out and GAP + w <= room:
            kept.append((n, cells))
            heads.append(_cut(n, w))
            room -= GAP + w
        else:
            left_out.append(n)
    while room > 0 and any(len(h) < len(n) for h, (n, _) in zip(heads, kept, strict=True)):
        for i, (n, cells) in enumerate(kept):
            if room > 0 and len(heads[i]) < len(n):
                grown = _cut(n, len(heads[i]) + 1)
                room -= max(0, len(grown) - max(len(heads[i]), *map(len, cells)))
                heads[i] = grown
    return heads, kept, left_out


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[:max(1, width - 1)] + "…"


def trials_table(trials: Sequence[FrozenTrial], names: Sequence[str], title: str, *,
                 width: int | None = None,
                 values: Sequence[ValueColumn] | None = None) -> Table:
    """The trials as a table at most ``width`` characters wide (default: the terminal's)."""
    import shutil

    from rich import box
    from rich.table import Table

    width = width or shutil.get_terminal_size((100, 40)).columns
    vcols = list(values) if values is not None else value_columns(trials)
    fixed: list[tuple[str, list[str], bool]] = [  # header, cells, right-aligned
        ("#", [str(t.number) for t in trials], True),
        ("state", [t.state for t in trials], False),
        *[(h, [short(get(t)) for t in trials], True) for h, get in vcols],
        ("time", [seconds(t.duration) for t in trials], True)]
    errors = [(t.error or "").replace("\n", " ") for t in trials]
    show_error = any(errors)
    used = sum(_need(h, c) for h, c, _ in fixed) + GAP * (len(fixed) - 1)
    if show_error:
        used += GAP + MIN_ERROR
    three: Callable[[Any], str] = partial(short, digits=3)
    for fmt_param in (three, tight):  # 3 figures; fewer to keep all params
        params = [(n, [fmt_param(t.params.get(n)) for t in trials]) for n in names]
        heads, kept, left_out = _fit(params, width - used)
        if not left_out:
            break
    t = Table(title=esc(title) + (f"\n(not shown: {esc(', '.join(left_out))}; widen the "
                                  "terminal or set COLUMNS)" if left_out else ""),
              box=box.SIMPLE_HEAD, padding=(0, GAP - 1, 0, 0), pad_edge=False,
              show_edge=False, title_justify="left", collapse_padding=True)
    for h, c, right in fixed[:-1]:
        t.add_column(esc(h), no_wrap=True, justify="right" if right else "left",
                     width=_need(h, c))
    for h, (_, c) in zip(heads, kept, strict=True):
        t.add_column(esc(h), no_wrap=True, justify="right", width=max(len(h), *map(len, c)))
    t.add_column("time", no_wrap=True, justify="right", width=_need(*fixed[-1][:2]))
    if show_error:
        t.add_column("error", overflow="fold", min_width=MIN_ERROR, ratio=1)
    for i in range(len(trials)):
        row = [c[i] for _, c, _ in fixed[:-1]] + [esc(c[i]) for _, c in kept]
        row.append(fixed[-1][1][i])
        if show_error:
            row.append(esc(errors[i][:200]))
        t.add_row(*row)
    return t


def best_text(trial: FrozenTrial, direction: str) -> str:
    lines = [f"best trial #{trial.number} ({direction}): value = {fmt(trial.value)}"]
    for k, v in trial.params.items():
        lines.append(f"  {k} = {fmt(v)}")
    for k, v in trial.user_attrs.items():
        lines.append(f"  [{k}] {json.dumps(v) if isinstance(v, dict | list) else fmt(v)}")
    return "\n".join(lines)


def console(quiet: bool = False, *, fit: bool = False) -> Console:
    """A console for tables; ``fit``: exactly the terminal's width (honours ``COLUMNS``),
    else at least 120 columns so wide tables stay whole when piped."""
    import shutil

    from rich.console import Console

    width = shutil.get_terminal_size((140, 40)).columns
    return Console(quiet=quiet, highlight=False, width=width if fit else max(width, 120))
