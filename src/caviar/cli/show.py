"""Printing studies and trials as rich tables.

Every string a user chose (study, param and trial-attribute names, values, error messages,
URLs) goes through ``esc`` before rich sees it: rich reads ``[bold]`` or ``[/]`` as markup,
and a stray ``[/]`` in one study name would crash ``caviar studies`` for the whole storage."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # rich is imported when something prints: `caviar --help` stays light
    from rich.console import Console
    from rich.table import Table

    from caviar.trial_record import FrozenTrial


def fmt(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.6g}"
    return str(v)


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
        t.add_row(esc(s.name), s.direction, str(s.n_trials), str(c.get("complete", 0)),
                  str(c.get("pruned", 0)), str(c.get("fail", 0)), str(c.get("running", 0)),
                  fmt(s.best_value))
    return t


def trials_table(trials: Sequence[FrozenTrial], names: Sequence[str], title: str) -> Table:
    from rich.table import Table

    t = Table(title=esc(title))
    for c in ("#", "state", "value", *names, "seconds"):
        t.add_column(esc(c), no_wrap=True)
    t.add_column("error", overflow="fold")
    for tr in trials:
        err = (tr.error or "")[:80]
        t.add_row(str(tr.number), tr.state, fmt(tr.value),
                  *[esc(fmt(tr.params.get(n))) for n in names], fmt(tr.duration), esc(err))
    return t


def best_text(trial: FrozenTrial, direction: str) -> str:
    lines = [f"best trial #{trial.number} ({direction}): value = {fmt(trial.value)}"]
    for k, v in trial.params.items():
        lines.append(f"  {k} = {fmt(v)}")
    for k, v in trial.user_attrs.items():
        lines.append(f"  [{k}] {json.dumps(v) if isinstance(v, dict | list) else fmt(v)}")
    return "\n".join(lines)


def console(quiet: bool = False) -> Console:
    import shutil

    from rich.console import Console

    width = shutil.get_terminal_size((140, 40)).columns
    return Console(quiet=quiet, highlight=False, width=max(width, 120))
