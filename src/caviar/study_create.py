"""``create_study`` and ``load_study``: every check before a study row is written, then the
Study (study.py) over the stored record."""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from caviar.analysis.advisor import warn_scales
from caviar.errors import SpaceError, StudyNotFoundError, UsageError
from caviar.pruners import make_pruner
from caviar.samplers import make_sampler
from caviar.space import Space
from caviar.storage import Storage, get_storage
from caviar.study import Study, _check_pruner
from caviar.study_values import check_direction, check_directions
from caviar.trial_record import FrozenTrial, StudyRecord


def create_study(name: str | None = None, *, storage: str | Storage | None = None,
                 direction: str | None = None, sampler: Any = None,
                 space: Mapping[str, Any] | None = None, seed: int | None = None,
                 pruner: Any = None, load_if_exists: bool = True,
                 directions: Sequence[str] | None = None,
                 report_direction: str | None = None,
                 constraints: Callable[[FrozenTrial], Sequence[float]] | None = None) -> Study:
    """Create a study, or load it when the name exists (same direction required).

    ``direction`` ('minimize', the default, or 'maximize') for one objective, or
    ``directions=[...]`` (one per objective) for several: the objective then returns a tuple
    of that length and ``study.best_trials`` is the Pareto front. ``report_direction``: the
    direction of the curve ``trial.report`` records, which a pruner compares (needed with a
    pruner and several directions; stored with the study).
    ``constraints(trial) -> [floats]``: feasible when every number is <= 0 (see
    caviar.constraints); evaluated as each trial completes, its values stored with the trial.

    A new study owns one seed: ``seed``, or one drawn now, stored with it. Loading an existing
    study with another ``sampler`` stores that sampler (every worker uses it from then on;
    ``study.previous_sampler`` names the one it replaced); another ``seed`` is refused."""
    dirs = check_directions(direction, directions)
    direction = dirs[0]
    from caviar import constraints as c

    constraints_fn = c.check_callable(constraints)
    if report_direction is not None:
        report_direction = check_direction(report_direction, "report_direction")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
        raise UsageError(f"seed: must be an int >= 0, got seed={seed!r}")
    smp = make_sampler(sampler, seed=seed)
    if seed is not None and smp.seed is None:
        smp.seed = seed
    declared = Space(space or {})
    # every check before the study row is written: a refused call leaves nothing behind
    checked_pruner = make_pruner(pruner) if isinstance(pruner, str | dict) else pruner
    attrs: dict[str, Any] = {}
    if report_direction is not None:
        attrs["report_direction"] = report_direction
    if name is None:
        import uuid

        name = f"study-{uuid.uuid4().hex[:8]}"
    if not isinstance(name, str) or not name.strip():
        raise UsageError(f"study name: must be a non-empty string, got {name!r}; "
                         "name the study, e.g. 'lr-search'")
    warn_scales(declared)  # before any trial runs: a range on the wrong scale wastes them all
    if declared and smp.capacity(declared) == 0:
        raise SpaceError(f"sampler {smp.name!r}: the space has no point to try")
    store = get_storage(storage)
    _check_pruner_before(store, name, dirs, attrs, checked_pruner)
    drawn = smp.seed if smp.seed is not None else secrets.randbits(63)
    if smp.seed is None:
        smp.seed = drawn
    rec = store.create_study(name, direction=direction, sampler=smp.to_json(),
                             space=declared.to_json(), load_if_exists=load_if_exists,
                             user_attrs={"declared": list(declared), "seed": int(drawn),
                                         **attrs}, directions=dirs)
    if report_direction is not None and rec.user_attrs.get("report_direction") != \
            report_direction:  # a loaded study: the curve's direction is the caller's word
        store.set_study_attr(rec.id, "report_direction", report_direction)
        rec = dataclasses.replace(rec, user_attrs={**rec.user_attrs, **attrs})
    held_seed = rec.user_attrs.get("seed")
    if seed is not None and held_seed is not None and int(held_seed) != seed:
        if store.get_trials(rec.id)[0]:
            raise UsageError(f"study {name!r}: exists with seed={held_seed}, got seed={seed}; "
                             "omit the seed to resume it, or use a new study name")
        store.set_study_attr(rec.id, "seed", seed)  # no trial yet: the given seed holds
        stored = {**rec.sampler, "seed": seed} if rec.sampler else rec.sampler
        if stored:
            store.set_sampler(rec.id, stored)
        rec = dataclasses.replace(rec, sampler=stored, user_attrs={**rec.user_attrs,
                                                                   "seed": seed})
        held_seed = seed
    if declared:
        merged = store.register_params(rec.id, declared.to_json())  # a conflict raises
        held = list(rec.user_attrs.get("declared", []))
        if any(n not in held for n in declared):
            raise SpaceError(
                f"study {name!r}: exists with declared params {held}, got {list(declared)}; "
                "load it without space=, or use a new study name")
        rec = dataclasses.replace(rec, space=merged)
    previous = None
    if sampler is None and rec.sampler:
        smp = make_sampler(rec.sampler)  # a loaded study keeps its stored sampler and seed
    elif rec.sampler and held_seed is not None:
        smp.seed = int(held_seed)
        if smp.to_json() != rec.sampler:  # another sampler for a stored study: keep it
            previous = str(rec.sampler.get("name", "?"))
            store.set_sampler(rec.id, smp.to_json())
            rec = dataclasses.replace(rec, sampler=smp.to_json())
    study = Study(rec, store, smp, checked_pruner)
    study.previous_sampler = previous
    study.constraints = constraints_fn
    return study


def _check_pruner_before(store: Storage, name: str, dirs: tuple[str, ...],
                         attrs: dict[str, Any], pruner: Any) -> None:
    """Refuse a pruner that cannot work on these directions before the study is written (a
    stored study may already hold its report_direction)."""
    try:
        _check_pruner(StudyRecord(0, name, dirs[0], {}, {}, attrs, 0.0, dirs), pruner)
    except UsageError as refused:
        try:
            held = store.get_study(name).user_attrs
        except StudyNotFoundError:
            raise refused from None
        if "report_direction" not in held:
            raise


def load_study(name: str, *, storage: str | Storage, sampler: Any = None,
               pruner: Any = None,
               constraints: Callable[[FrozenTrial], Sequence[float]] | None = None) -> Study:
    """Load an existing study; raises StudyNotFoundError naming the known studies."""
    from caviar import constraints as c

    constraints_fn = c.check_callable(constraints)
    store = get_storage(storage)
    rec = store.get_study(name)
    smp = make_sampler(sampler) if sampler is not None else make_sampler(rec.sampler)
    study = Study(rec, store, smp, pruner)
    study.constraints = constraints_fn
    return study

