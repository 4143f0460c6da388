"""From trials to the figure specs of one page: what ``caviar report``, ``caviar plot`` and the
dashboard draw. ``figure_set`` is the one entry point (the dashboard calls it on its incremental
cache, ``specs`` on a study): the same data functions, the same importance, the same WebGL
budget (``caviar.viz.webgl``) for every page."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from caviar.errors import UsageError
from caviar.space import Param
from caviar.trial_record import COMPLETE, FAIL, FrozenTrial
from caviar.viz import data, extra_data, extra_figures, figures, pareto_plot, webgl

SINGLE = ("history", "params", "parallel", "curves", "importance", "rounds", "lineage",
          "contour", "rank", "edf", "timeline")
MULTI = ("pareto", "hypervolume")
KINDS = SINGLE + MULTI
#: the kinds that draw one value per trial (a study with several directions has none)
ONE_VALUE = frozenset({"history", "params", "parallel", "importance", "rounds", "lineage",
                       "contour", "rank", "edf"})
#: the kinds a study has only when its trials carry them (rounds, a population schedule):
#: figure_set leaves them out otherwise; ``caviar plot`` draws an empty figure saying why
OPTIONAL = frozenset({"rounds", "lineage"})

#: the kinds that order their params by importance (left out while it is not known yet)
NEEDS_IMPORTANCE = ("importance", "rounds", "contour", "rank")

ReportsOf = Callable[[Sequence[FrozenTrial]], Mapping[int, Mapping[int, float]]]
EventsOf = Callable[[int], Sequence[Any]]


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


def kinds_for(directions: Sequence[str]) -> tuple[str, ...]:
    """The figure kinds a study with these directions has."""
    if len(directions) > 1:
        return tuple(k for k in KINDS if k not in ONE_VALUE)
    return SINGLE


def check_kind(study_name: str, kind: str, directions: Sequence[str]) -> None:
    """A clear error for a kind the study cannot have (one value vs several)."""
    if kind in kinds_for(directions):
        return
    if kind in MULTI:
        raise UsageError(f"plot {kind}: needs a study with several directions, study "
                         f"{study_name!r} has directions={list(directions)}; use history or "
                         "edf for one objective")
    raise UsageError(f"plot {kind}: draws one value per trial, study {study_name!r} has "
                     f"directions={list(directions)}; use pareto or hypervolume")


def check_params(study_name: str, names: Sequence[str], space: Mapping[str, Param]) -> None:
    """``--params``: known names, at least two, no repeats."""
    unknown = [n for n in names if n not in space]
    if unknown:
        raise UsageError(f"plot --params: {unknown[0]!r} is not a param of study "
                         f"{study_name!r}; its params are {', '.join(space)}")
    if len(names) < 2 or len(set(names)) != len(names):
        raise UsageError(f"plot --params: needs two or more distinct params, got "
                         f"{','.join(names)!r}; e.g. --params {','.join(list(space)[:2])}")


def importance_of(trials: Sequence[FrozenTrial], space: Mapping[str, Param]) -> Any:
    from caviar.analysis.importance import param_importance

    return param_importance(trials, space)


def metric_name(user_attrs: Mapping[str, Any], trials: Sequence[FrozenTrial]) -> str | None:
    """What the reported curves measure: the study's ``metric`` user attr, else the user attr
    of the completed trials that always equals their value (``val_accuracy`` ...), else None."""
    m = user_attrs.get("metric")
    if isinstance(m, str) and m:
        return m
    done = [t for t in trials if t.state == COMPLETE and t.value is not None][:50]
    if not done:
        return None
    keys = [k for k, v in done[0].user_attrs.items() if isinstance(v, int | float)
            and not isinstance(v, bool)]
    for k in keys:
        if all(t.user_attrs.get(k) == t.value for t in done):
            return k
    return None


def _ranked(imp: Any, space: Mapping[str, Param]) -> list[str]:
    order = [p.name for p in getattr(imp, "params", [])]
    return [n for n in order if n in space] + [n for n in space if n not in order]


def figure_set(trials: Sequence[FrozenTrial], space: Mapping[str, Param],
               directions: Sequence[str], *, kinds: Sequence[str] | None = None,
               reports: ReportsOf | None = None, events: EventsOf | None = None,
               importance: Any = None, user_attrs: Mapping[str, Any] | None = None,
               max_points: int = 2000, max_curves: int = 200, curve_points: int = 200,
               now: float | None = None, max_contexts: int = webgl.MAX_CONTEXTS,
               params: Sequence[str] | None = None, wait_importance: bool = True
               ) -> dict[str, Any]:
    """Figure specs by kind, in page order (``params`` is a list of specs, one per param),
    within one page's WebGL budget. ``reports(trials)`` reads learning curves, ``events(id)`` a
    trial's control events; ``importance`` is computed when not given (with
    ``wait_importance=False`` the ``NEEDS_IMPORTANCE`` kinds are left out instead, for a page
    that computes it in the background and asks again). ``params`` picks the
    params of the contour (the first two) and rank plots instead of the most important."""
    ts = list(trials)
    attrs = user_attrs or {}
    wanted = [k for k in (kinds or kinds_for(directions)) if k in kinds_for(directions)]
    direction = directions[0]
    out: dict[str, Any] = {}
    imp = importance
    if imp is None and set(NEEDS_IMPORTANCE) & set(wanted):
        if wait_importance:
            imp = importance_of(ts, space)
        else:
            wanted = [k for k in wanted if k not in NEEDS_IMPORTANCE]
    ranked = _ranked(imp, space)
    if params:
        ranked = [*params, *(n for n in ranked if n not in params)]
    for kind in wanted:
        if kind == "history":
            out[kind] = figures.history_figure(data.history(ts, direction,
                                                            max_points=max_points))
        elif kind == "params":
            out[kind] = figures.param_figures(data.param_slices(ts, space,
                                                                max_points=max_points))
        elif kind == "parallel":
            out[kind] = figures.parallel_figure(data.parallel(ts, space, direction,
                                                              max_lines=max_points // 5))
        elif kind == "curves":
            out[kind] = _curves(ts, direction, attrs, reports, events, max_curves,
                                curve_points)
        elif kind == "importance":
            out[kind] = figures.importance_figure(imp)
        elif kind == "rounds":
            rs = data.rounds(ts, space, direction)
            if rs:
                out[kind] = figures.rounds_figure(rs, space, figures.numeric_pair(space, ranked))
        elif kind == "lineage":
            sched = [t for t in ts if isinstance(t.system_attrs.get("schedule"), list)]
            if sched:
                from caviar.viz.lineage import lineage_data, lineage_figure

                reps = reports(sched) if reports is not None else {}
                out[kind] = lineage_figure(lineage_data(sched, reps))
        elif kind == "contour":
            out[kind] = (extra_figures.contour_figure(
                extra_data.contour(ts, space, ranked[:2]), direction) if len(ranked) >= 2
                else figures.empty("Contour", "needs two params"))
        elif kind == "rank":
            out[kind] = extra_figures.rank_figure(extra_data.rank(
                ts, space, list(params or ranked[:3]), direction, max_points=max_points))
        elif kind == "edf":
            out[kind] = extra_figures.edf_figure(extra_data.edf(ts), direction)
        elif kind == "timeline":
            out[kind] = extra_figures.timeline_figure(extra_data.timeline(
                ts, now=time.time() if now is None else now, max_trials=max_points))
        elif kind == "pareto":
            names = pareto_plot.objective_names(attrs, len(directions))
            out[kind] = pareto_plot.pareto_figure(pareto_plot.pareto(ts, directions,
                                                                     names=names))
        elif kind == "hypervolume":
            out[kind] = pareto_plot.hypervolume_figure(
                pareto_plot.hypervolume_history(ts, directions))
    return budgeted(out, max_contexts=max_contexts)


def budgeted(figs: dict[str, Any], *, max_contexts: int = webgl.MAX_CONTEXTS) -> dict[str, Any]:
    """The page's figures with ``webgl.apply_budget`` applied across all of them."""
    flat: list[tuple[str, int | None]] = []
    specs_: list[Any] = []
    for k, v in figs.items():
        for i, s in (enumerate(v) if isinstance(v, list) else [(None, v)]):
            flat.append((k, i))
            specs_.append(s)
    done = webgl.apply_budget(specs_, max_contexts=max_contexts)
    out: dict[str, Any] = {k: ([None] * len(v) if isinstance(v, list) else None)
                           for k, v in figs.items()}
    for (k, i), s in zip(flat, done, strict=True):
        if i is None:
            out[k] = s
        else:
            out[k][i] = s
    return out


def _curves(ts: Sequence[FrozenTrial], direction: str, attrs: Mapping[str, Any],
            reports: ReportsOf | None, events: EventsOf | None, max_curves: int,
            curve_points: int) -> Any:
    picked = data.pick_curves(ts, direction, max_curves)
    reps = reports(picked) if reports is not None and picked else {}
    best = data.best_trial(ts, direction)
    marks: list[dict[str, Any]] = []
    if events is not None:
        for t in picked:
            evs = events(t.id)
            if evs:
                marks += applied_marks(evs, reps.get(t.id) or {}, t.number)
    return figures.curves_figure(data.curves(picked, reps, max_points=curve_points),
                                 n_total=len(ts), metric=metric_name(attrs, ts),
                                 best=None if best is None else best.number, marks=marks)


MARKED = ("nudge", "pause", "stop", "rewind")


def applied_marks(events: Sequence[Any], curve: Mapping[int, float], number: int
                  ) -> list[dict[str, Any]]:
    """Marks for the control events of one trial that took effect (as ``caviar history``
    reads them: the step they were applied at); pending and rejected ones are not drawn, nor
    checkpoints and bookkeeping."""
    from caviar.panda.control import history_rows

    steps = sorted(curve)
    out = []
    for r in history_rows(events):
        if r["kind"] not in MARKED or r["epoch"] is None or not steps:
            continue
        at = int(r["epoch"])
        before = [s for s in steps if s <= at]
        y = curve[before[-1] if before else steps[0]]
        detail = ", ".join(f"{k}={v}" for k, v in r["detail"].items())
        out.append({"number": number, "kind": r["kind"], "step": at, "y": y,
                    "label": f"{r['kind']}({detail})" if detail else r["kind"]})
    return out


def directions_of(study: Any) -> tuple[str, ...]:
    return tuple(getattr(study, "directions", None) or (study.direction,))


def specs(study: Any, kinds: Sequence[str] | None = None, *, max_curves: int = 200,
          max_points: int = 2000, trials: Sequence[FrozenTrial] | None = None,
          importance: Any = None, params: Sequence[str] | None = None) -> dict[str, Any]:
    """Figure specs of a study by kind (see ``figure_set``)."""
    ts = list(study.trials if trials is None else trials)
    storage = getattr(study, "storage", None)
    events = storage.get_events if storage is not None else None
    return figure_set(ts, study.space, directions_of(study), kinds=kinds,
                      reports=lambda picked: study.reports([t.id for t in picked]),
                      events=events, importance=importance,
                      user_attrs=getattr(study, "user_attrs", {}) or {},
                      max_points=max_points, max_curves=max_curves, params=params)


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
