"""What the command line shows of a study with several directions: its Pareto front
(``caviar best``), one column per objective (``caviar trials``), and the ``--directions``
option's parsing."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from caviar.cli.show import ValueColumn, fmt, sort_trials
from caviar.errors import UsageError
from caviar.trial_record import COMPLETE, FrozenTrial


def parse_directions(text: str | None, direction: str | None) -> list[str] | None:
    """``--directions maximize,minimize`` as a list (None when not given)."""
    if text is None:
        return None
    if direction is not None:
        raise UsageError(f"tune: pass --direction or --directions, not both (got --direction "
                         f"{direction} and --directions {text}); --directions for several "
                         "objectives")
    words = [w.strip() for w in text.split(",")]
    bad = [w for w in words if w.lower() not in ("minimize", "maximize")]
    if not text.strip() or bad:
        raise UsageError(f"--directions: a comma-separated list of minimize/maximize, one per "
                         f"objective, got {text!r}; e.g. --directions maximize,minimize")
    return [w.lower() for w in words]


def value_columns(study: Any) -> list[ValueColumn]:
    """One column per objective, named by the study's objective names."""
    if not study.is_multi_objective:
        return [("value", lambda t: t.value)]
    def column(i: int) -> Any:
        return lambda t: t.values[i] if t.values else None

    return [(name, column(i)) for i, name in enumerate(study.objective_names)]


def sorted_trials(study: Any, trials: Sequence[FrozenTrial], sort: str) -> list[FrozenTrial]:
    """``--sort value`` of several directions: the Pareto front first, then the next front
    (non-dominated rank), ties by number; trials without values last."""
    if sort != "value" or not study.is_multi_objective:
        return sort_trials(trials, sort, study.direction)
    from caviar.pareto import nondominated_ranks, to_minimize

    told = [t for t in trials if t.state == COMPLETE and t.values]
    ranks: list[int] = nondominated_ranks(to_minimize(
        [t.values or () for t in told], study.directions)).tolist() if told else []
    rank = {t.number: r for t, r in zip(told, ranks, strict=True)}
    rest = sorted((t for t in trials if t.number not in rank), key=lambda t: t.number)
    return sorted(told, key=lambda t: (rank[t.number], t.number)) + rest


def front_text(study: Any) -> str:
    """The Pareto front, one block per trial: every value by objective name, then params."""
    from caviar.study_values import has_constraints  # numpy: not at `caviar --help`

    front = study.best_trials
    names = study.objective_names
    dirs = ", ".join(f"{n} ({d})" for n, d in zip(names, study.directions, strict=True))
    if not front:
        raise UsageError(f"study {study.name!r}: has no completed trial yet"
                         + (" that meets its constraints" if has_constraints(study.trials)
                            else "")
                         + "; run caviar tune first, or look at caviar trials for failures")
    lines = [f"Pareto front of {study.name!r}: {len(front)} trial(s) of "
             f"{sum(t.state == COMPLETE for t in study.trials)} complete; {dirs}"]
    for t in front:
        vals = ", ".join(f"{n} = {fmt(v)}" for n, v in zip(names, t.values or (), strict=True))
        lines.append(f"trial #{t.number}: {vals}")
        for k, v in t.params.items():
            lines.append(f"  {k} = {fmt(v)}")
        for k, v in t.user_attrs.items():
            lines.append(f"  [{k}] {json.dumps(v) if isinstance(v, dict | list) else fmt(v)}")
    return "\n".join(lines)
