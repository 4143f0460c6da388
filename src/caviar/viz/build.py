"""From a study (read through the public API) to figure specs: what ``caviar report`` and
``caviar plot`` draw. The dashboard uses the same pure functions on its incremental cache."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from caviar.errors import UsageError
from caviar.trial_record import COMPLETE, FAIL, FrozenTrial
from caviar.viz import data, figures

KINDS = ("history", "params", "parallel", "curves", "importance", "rounds")


def check_plottable(study: Any, trials: Sequence[FrozenTrial]) -> None:
    """A clear error for a study with nothing to draw (empty, or only failed trials)."""
    if not trials:
        raise UsageError(f"study {study.name!r}: has no trials yet; run `caviar tune ... "
                         f"--study {study.name}` first")
    if all(t.state == FAIL for t in trials):
        first = next((t.error for t in trials if t.error), "no message")
        raise UsageError(f"study {study.name!r}: all {len(trials)} trials failed, so there is "
                         f"nothing to plot; the first error: {first}; fix the objective and "
                         "run it again")


def importance_of(study: Any, trials: Sequence[FrozenTrial]) -> Any:
    from caviar.analysis.importance import param_importance

    return param_importance(trials, study.space)


def specs(study: Any, kinds: Sequence[str] = KINDS, *, max_curves: int = 200,
          max_points: int = 5000, trials: Sequence[FrozenTrial] | None = None
          ) -> dict[str, Any]:
    """Figure specs by kind (``params`` is a list of specs, one per param)."""
    ts = list(study.trials if trials is None else trials)
    direction, space = study.direction, study.space
    out: dict[str, Any] = {}
    imp = None
    if "importance" in kinds or "rounds" in kinds:
        imp = importance_of(study, ts)
    if "history" in kinds:
        out["history"] = figures.history_figure(data.history(ts, direction,
                                                             max_points=max_points))
    if "params" in kinds:
        out["params"] = figures.param_figures(data.param_slices(ts, space,
                                                                max_points=max_points))
    if "parallel" in kinds:
        out["parallel"] = figures.parallel_figure(data.parallel(ts, space, direction,
                                                                max_lines=max_points // 5))
    if "curves" in kinds:
        picked = data.pick_curves(ts, direction, max_curves)
        reports = study.reports([t.id for t in picked]) if picked else {}
        out["curves"] = figures.curves_figure(data.curves(picked, reports, max_points=200),
                                              n_total=len(ts))
    if "importance" in kinds:
        out["importance"] = figures.importance_figure(imp)
    if "rounds" in kinds:
        rs = data.rounds(ts, space, direction)
        if rs:
            order = [p.name for p in imp.params] if imp is not None else []
            out["rounds"] = figures.rounds_figure(rs, space, figures.numeric_pair(space, order))
    return out


def summary(study: Any, trials: Sequence[FrozenTrial], top: int = 10) -> dict[str, Any]:
    """The report's summary: counts, best trial, the top trials."""
    counts: dict[str, int] = {}
    for t in trials:
        counts[t.state] = counts.get(t.state, 0) + 1
    done = [t for t in trials if t.state == COMPLETE and t.value is not None]
    sgn = 1.0 if study.direction == "minimize" else -1.0
    done.sort(key=lambda t: sgn * float(t.value or 0.0))
    return {"name": study.name, "direction": study.direction, "n_trials": len(trials),
            "counts": counts, "best": done[0] if done else None, "top": done[:top],
            "space": {n: p.to_json() for n, p in study.space.items()}}
