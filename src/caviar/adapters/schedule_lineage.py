"""Reading back what a population scheduler stored: each member's lineage (who it copied, when)
and hyperparameter schedule, and the chain of ancestors a replay walks.

Pure functions of frozen trials (see adapters/schedule.py for the stored attributes).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from caviar.errors import UsageError
from caviar.trial_record import FrozenTrial


@dataclass(frozen=True)
class Segment:
    """Epochs ``[start, stop)`` of a replay trained as trial ``number``: its data order, its
    schedule."""

    number: int
    start: int
    stop: int


def scheduled(trials: Sequence[FrozenTrial]) -> list[FrozenTrial]:
    """The trials a population scheduler ran (they carry a ``schedule``)."""
    return [t for t in trials if isinstance(t.system_attrs.get("schedule"), list)]


def params_at(trial: FrozenTrial, epoch: int) -> dict[str, Any]:
    """The params in effect during ``epoch`` of ``trial``."""
    out: dict[str, Any] = dict(trial.params)
    for start, params in trial.system_attrs.get("schedule") or []:
        if int(start) <= epoch:
            out = dict(params)
    return out


def chain(trials: Sequence[FrozenTrial], number: int, stop: int | None = None) -> list[Segment]:
    """The ancestors a replay of trial ``number`` trains through, oldest first: the state of
    the source of its last exploit before ``stop`` (that source's own chain up to the exploit),
    then its own epochs."""
    by_number = {t.number: t for t in trials}
    t = by_number.get(number)
    if t is None:
        raise UsageError(f"trial {number}: is not in the study; pick a number from "
                         "`caviar lineage STUDY`")
    end = int(t.user_attrs.get("epochs_trained") or 0) if stop is None else stop
    exploits = [e for e in t.system_attrs.get("exploits") or [] if int(e["epoch"]) + 1 <= end]
    if not exploits:
        return [Segment(number, 0, end)]
    last = exploits[-1]
    at = int(last["epoch"]) + 1
    return [*chain(trials, int(last["from_trial"]), at), Segment(number, at, end)]


def lineage_rows(trials: Sequence[FrozenTrial]) -> list[dict[str, Any]]:
    """One row per scheduled trial: number, state, value, parent number, exploits, schedule,
    its ancestors' chain."""
    ts = scheduled(trials)
    by_id = {t.id: t for t in trials}
    rows = []
    for t in ts:
        parent = by_id.get(t.parent_id) if t.parent_id is not None else None
        rows.append({
            "number": t.number, "state": t.state, "value": t.value,
            "parent": parent.number if parent is not None else None,
            "exploits": list(t.system_attrs.get("exploits") or []),
            "schedule": list(t.system_attrs.get("schedule") or []),
            "rungs": list(t.system_attrs.get("rungs") or []),
            "chain": [(s.number, s.start, s.stop) for s in chain(trials, t.number)]
            if t.user_attrs.get("epochs_trained") else [],
        })
    return rows


def _fmt(params: dict[str, Any]) -> str:
    return " ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                    for k, v in sorted(params.items()))


def lineage_text(trials: Sequence[FrozenTrial]) -> str:
    """The lineage tree (each trial under the source of its last exploit) and every member's
    schedule, as plain text."""
    rows = lineage_rows(trials)
    if not rows:
        raise UsageError("lineage: no trial of this study ran under a population scheduler; "
                         "run one with `caviar tune-mlp --scheduler pbt`")
    children: dict[int | None, list[dict[str, Any]]] = {}
    for r in rows:
        children.setdefault(r["parent"], []).append(r)
    lines: list[str] = ["lineage (each trial under the source of its last exploit):"]

    def value(r: dict[str, Any]) -> str:
        return "-" if r["value"] is None else f"{r['value']:.4f}"

    seen: set[int] = set()

    def walk(r: dict[str, Any], depth: int) -> None:
        if r["number"] in seen:
            return
        seen.add(r["number"])
        ex = r["exploits"]
        note = f", copied #{ex[-1]['from_trial']} after epoch {ex[-1]['epoch']}" if ex else ""
        lines.append(f"{'  ' * depth}#{r['number']} {r['state']} {value(r)}{note}")
        for c in sorted(children.get(r["number"], []), key=lambda c: c["number"]):
            walk(c, depth + 1)

    numbers = {r["number"] for r in rows}
    for r in sorted(rows, key=lambda r: r["number"]):
        if r["parent"] is None or r["parent"] not in numbers:
            walk(r, 1)
    for r in sorted(rows, key=lambda r: r["number"]):  # cycles (A copied B, later B copied A)
        walk(r, 1)
    lines.append("")
    lines.append("schedules (params from each epoch on; <- a copy of another trial's state):")
    for r in sorted(rows, key=lambda r: r["number"]):
        lines.append(f"#{r['number']} ({value(r)})")
        copies = {int(e["epoch"]) + 1: e for e in r["exploits"]}
        for start, params in r["schedule"]:
            e = copies.get(int(start))
            src = f" <- #{e['from_trial']}" if e else ""
            lines.append(f"  epoch {start:>3}{src}: {_fmt(params)}")
        for epoch, action, budget in r["rungs"]:
            lines.append(f"  epoch {epoch:>3}: {action} (budget {budget})")
    return "\n".join(lines)
