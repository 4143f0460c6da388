"""Run one babysat trial: ``babysit``, and its follow-ups ``resume``, ``rewind``, ``replay``.

A babysat trial is an ordinary trial of its study (it shows in ``caviar trials``, ``best``,
exports, the dashboard). What it runs is its *target*, stored in ``system_attrs['babysit']``
when the trial is created, so a resume, a rewind or a replay can run it again:
``{"target": "mlp", "data": ..., "epochs": ..., "config": {...}}`` for caviar.nn's built-in
network, or ``{"target": "/abs/path/train.py:objective"}`` for a user objective.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from rich.markup import escape

from caviar.errors import SpaceError, TrialPruned, UsageError
from caviar.executors.worker import WorkerSession
from caviar.panda import control
from caviar.panda.control import Change, ControlError
from caviar.panda.controller import Controller, StopRequested
from caviar.panda.view import LiveView
from caviar.trial_record import COMPLETE, FAIL, PRUNED, RUNNING, FrozenTrial, TrialUpdate

if TYPE_CHECKING:
    from caviar.study import Study
    from caviar.trial import Trial

INTERRUPTED = "interrupted (Ctrl-C); continue it with `caviar babysit --resume {n}`"


def make_objective(spec: Mapping[str, Any]) -> Any:
    """The callable a stored target names."""
    target = spec.get("target")
    if target == "mlp":
        from caviar.adapters.babysit import MLPTarget

        return MLPTarget.from_spec(spec)
    if isinstance(target, str) and ":" in target:
        from caviar.objective_ref import ObjectiveRef

        return ObjectiveRef(target)
    raise UsageError(f"babysit target: must be 'mlp' or FILE.py:FUNC, got {target!r}")


def target_spec(objective: Any) -> dict[str, Any]:
    spec = getattr(objective, "spec", None)
    if callable(spec):
        return dict(spec())
    if isinstance(spec, str):
        return {"target": f"{objective.path}:{objective.func}"}
    name = getattr(objective, "__qualname__", type(objective).__name__)
    return {"target": f"python:{name}"}  # an in-process callable: not re-runnable by the CLI


def babysit(study: Study, objective: Any, *, params: Mapping[str, Any] | None = None,
            epochs: int | None = None, quiet: bool = False, console: Any = None,
            min_epoch_seconds: float = 0.0, heartbeat: float = 2.0, poll: float = 0.2,
            system_attrs: Mapping[str, Any] | None = None,
            start_hypers: Mapping[str, Any] | None = None,
            schedule: Mapping[int, Mapping[str, Any]] | None = None,
            stop_after: int | None = None,
            on_start: Callable[[Trial], None] | None = None) -> FrozenTrial:
    """Run ``objective(trial)`` as one babysat trial of ``study`` and return its record.

    ``params`` fixes param values (the rest come from the study's sampler or the objective's
    defaults). The objective reads mutable params each epoch with ``trial.hyper(name)`` and
    calls ``trial.report(value, epoch)`` at the end of each epoch: that is where nudges,
    pause and stop take effect. ``trial.checkpoint(state, epoch)`` / ``trial.restore()`` make
    it resumable. A stopped trial completes with its last reported value."""
    spec = {**target_spec(objective), **((system_attrs or {}).get("babysit") or {})}
    if epochs is not None:
        spec["epochs"] = int(epochs)
    fixed = dict(params or {})
    for name, value in fixed.items():  # params the study already defines: check them now
        p = study.param(name)
        if p is not None:
            try:
                fixed[name] = p.validate(value)
            except SpaceError as e:
                raise UsageError(f"--param {name}={value!r}: {e}; fix: pick a value inside "
                                 "the study's declared range") from None
    attrs = {**(system_attrs or {}), "babysit": spec}
    if start_hypers:
        spec["start_hypers"] = dict(start_hypers)
    session = WorkerSession(study, heartbeat=heartbeat, stale_after=max(30.0, 3 * heartbeat))
    session.catch_sigterm()  # SIGTERM stops the run like Ctrl-C
    trial = session.ask_fixed(fixed, system_attrs=attrs)
    # babysat trials are never retried by random-search workers of the same study
    study.storage.claim(study.id, f"retry:{trial.id}", 1)
    total = spec.get("epochs")
    view = LiveView(total=total, target=str(spec.get("target")), quiet=quiet, console=console)
    ctrl = Controller(study, trial, start_hypers=start_hypers, schedule=schedule,
                      stop_after=stop_after, min_epoch_seconds=min_epoch_seconds, poll=poll,
                      on_change=view.update)
    trial._panda = ctrl
    if on_start is not None:
        on_start(trial)
    view.console.print(escape(f"babysitting trial {trial.number} of study {study.name!r} "
                              f"(storage {study.storage.url}); control it from another "
                              f"terminal: caviar nudge {trial.number} lr=... --study "
                              f"{study.name}")) \
        if not quiet else None
    state, value, error = COMPLETE, None, None
    try:
        try:
            for name, v in fixed.items():  # params declared by the objective as it ran
                p = study.param(name)
                if p is not None:
                    p.validate(v)
            value = objective(trial)
        except StopRequested:
            value = trial.last_report
            if value is None:
                state, error = FAIL, "stopped before its first report"
        except TrialPruned as e:
            state, error = PRUNED, str(e) or None
        except KeyboardInterrupt:
            _finish(session, trial, ctrl, FAIL, None, INTERRUPTED.format(n=trial.number),
                    counted=False)
            raise
        except Exception as e:
            import traceback

            trial.system_attrs["traceback"] = traceback.format_exc(limit=20)[-4000:]
            state, error = FAIL, f"{type(e).__name__}: {e}"
        if ctrl.stopped_at is not None:
            trial.system_attrs["stopped_after_epoch"] = ctrl.stopped_at
        frozen = _finish(session, trial, ctrl, state, value, error)
        view.finish(ctrl, frozen.state, frozen.value)
        return frozen
    finally:
        session.close()
        view.close()


def _finish(session: WorkerSession, trial: Trial, ctrl: Controller, state: str, value: Any,
            error: str | None, counted: bool = True) -> FrozenTrial:
    study = session.study
    ran = [s["epoch"] for s in ctrl.schedule]
    trial.system_attrs["panda"] = {"mutable": list(ctrl.mutable),
                                   "first_epoch": ran[0] if ran else None,
                                   "last_epoch": ran[-1] if ran else None}
    trial._panda = None
    if state == COMPLETE:
        frozen, _ = session.tell(trial, value)
    else:
        frozen, _ = session.tell(trial, state=state, error=error, counted=counted)
    if frozen is None:  # reaped while it ran (its heartbeat was lost)
        got = study.storage.get_trial(trial.id)
        assert got is not None
        return got
    return frozen


# ---------------------------------------------------------------------- follow-ups
def resume(study: Study, number: int, *, force: bool = False, stale_after: float = 10.0,
           **kw: Any) -> FrozenTrial:
    """Continue a babysat trial whose process died, from its last checkpoint, as a new trial
    of the same study (lineage: ``retry_of``/``parent_id``). Its reports up to the checkpoint
    are copied, so its curve is whole; the mutable params resume at the values then in effect.
    A trial still heartbeating is refused unless ``force``."""
    store = study.storage
    old = control.find_trial(store, study.record, number)
    if not control.is_babysat(old):
        raise ControlError(f"resume: trial {number} was not babysat (no stored target); fix: "
                           f"`caviar babysit ...` a new run")
    if old.state in (COMPLETE, PRUNED):
        raise ControlError(f"resume: trial {number} is {old.state}; nothing to resume; fix: "
                           f"`caviar rewind {number} --epoch K` branches a new run from a "
                           "checkpoint")
    if old.state == RUNNING:
        age = time.time() - (old.heartbeat_at or old.created_at)
        if age < stale_after and not force:
            raise ControlError(
                f"resume: trial {number} is still running (heartbeat {age:.0f}s ago, worker "
                f"{old.worker}); fix: stop it with `caviar stop {number}`, or pass --force if "
                "its process is dead")
    if store.claim(study.id, f"resume:{old.id}", 1) != 0:
        raise ControlError(f"resume: trial {number} was resumed already; see `caviar history "
                           f"{number}`")
    if old.state == RUNNING:
        store.finish_trials([TrialUpdate(old.id, FAIL, error="its process died; resumed by "
                                         "caviar babysit --resume", counted=False)])
    source, step = _last_checkpoint(store, old)
    events = store.get_events(old.id)
    spec = dict(old.system_attrs["babysit"])
    start = 0 if step is None else step + 1
    hypers = control.hypers_at(old, events, start)
    attrs: dict[str, Any] = {"retry_of": old.number, "retry_of_id": old.id,
                             "attempt": int(old.system_attrs.get("attempt", 1)) + 1,
                             "babysit": spec}
    if source is not None:
        attrs["restore_from"] = {"trial_id": source, "step": step}
    for k in ("rewind_of", "rewind_epoch", "replay_of"):
        if k in old.system_attrs:
            attrs[k] = old.system_attrs[k]

    origin = kw.pop("source", "api")

    def started(t: Trial) -> None:
        _copy_reports(study, old.id, t, step)
        store.add_event(old.id, "resumed", {"child": t.number, "child_id": t.id,
                                            "from_step": step, "source": origin})
    # nudges the crashed run applied after its last checkpoint hold again at the same epochs
    later = {e: v for e, v in control.applied_nudges(events).items() if e > start}
    return babysit(study, make_objective(spec), params=old.params, system_attrs=attrs,
                   start_hypers=_mutable_only(hypers, events), schedule=later,
                   on_start=started, **kw)


def rewind(study: Study, number: int, epoch: int, changes: list[Change], **kw: Any
           ) -> FrozenTrial:
    """Branch a new trial from trial ``number``'s epoch-``epoch`` checkpoint with ``changes``
    to its mutable params; ``parent_id`` records the lineage, a ``rewind`` event on the parent
    records the branch."""
    store = study.storage
    parent = control.find_trial(store, study.record, number)
    if not control.is_babysat(parent):
        raise ControlError(f"rewind: trial {number} was not babysat (no stored target or "
                           "checkpoints); fix: babysit a run with `caviar babysit`")
    marks = control.checkpoints(store, parent.id)
    if isinstance(epoch, bool) or not isinstance(epoch, int) or epoch not in marks:
        have = sorted(marks)
        raise ControlError(f"rewind: trial {number} has no checkpoint at epoch {epoch!r}; its "
                           f"checkpoints: {_ranges(have) or 'none'}; fix: pick one of those")
    new = control.check_changes(store, study.record, parent, changes, verb="rewind",
                                running=False)
    events = store.get_events(parent.id)
    hypers = {**_mutable_only(control.hypers_at(parent, events, epoch + 1), events), **new}
    spec = dict(parent.system_attrs["babysit"])
    spec.pop("start_hypers", None)
    attrs = {"parent_id": parent.id, "rewind_of": parent.number, "rewind_epoch": epoch,
             "restore_from": {"trial_id": parent.id, "step": epoch}, "babysit": spec}
    source = kw.pop("source", "api")

    def started(t: Trial) -> None:
        _copy_reports(study, parent.id, t, epoch)
        store.add_event(parent.id, "rewind", {"to_step": epoch, "step": epoch,
                                              "child": t.number, "child_id": t.id,
                                              "changes": new, "source": source})
    params = {**parent.params, **new}
    return babysit(study, make_objective(spec), params=params, system_attrs=attrs,
                   start_hypers=hypers, on_start=started, **kw)


def replay(study: Study, number: int, **kw: Any) -> FrozenTrial:
    """Run trial ``number``'s babysat schedule again as a new trial: the same start params,
    every applied nudge at the same epoch, a stop after the same epoch."""
    store = study.storage
    src = control.find_trial(store, study.record, number)
    if not control.is_babysat(src):
        raise ControlError(f"replay: trial {number} was not babysat; nothing to replay")
    events = store.get_events(src.id)
    spec = dict(src.system_attrs["babysit"])
    start = spec.pop("start_hypers", None) or {}
    schedule = control.applied_nudges(events)
    stop = [int(e.payload["step"]) for e in events
            if e.kind == "applied" and e.payload.get("kind") == "stop"]
    attrs = {"replay_of": src.number, "parent_id": src.id, "babysit": spec}
    return babysit(study, make_objective(spec), params=src.params, system_attrs=attrs,
                   start_hypers=start or None, schedule=schedule,
                   stop_after=stop[-1] if stop else None, **kw)


def _mutable_only(values: Mapping[str, Any], events: Any) -> dict[str, Any]:
    names, _ = control.mutable_state(events)
    return {k: v for k, v in values.items() if names is None or k in names}


def _last_checkpoint(store: Any, trial: FrozenTrial) -> tuple[int | None, int | None]:
    """(trial id holding it, step) of the checkpoint a resume starts from: the trial's own
    latest, else the one it was itself started from."""
    marks = control.checkpoints(store, trial.id)
    if marks:
        return trial.id, max(marks)
    came = trial.system_attrs.get("restore_from")
    if isinstance(came, dict):
        return int(came["trial_id"]), int(came["step"])
    return None, None


def _copy_reports(study: Study, src: int, dst: Trial, upto: int | None) -> None:
    """The source's curve up to ``upto`` becomes the start of the new trial's curve."""
    if upto is None:
        return
    rows = [(dst.id, step, v) for _, step, v in study.storage.get_reports(study.id, [src])
            if step <= upto]
    if rows:
        study.storage.add_reports(rows)
        dst.reports.update({step: v for _, step, v in rows})


def _ranges(steps: list[int]) -> str:
    if not steps:
        return ""
    out, a, b = [], steps[0], steps[0]
    for s in steps[1:]:
        if s == b + 1:
            b = s
            continue
        out.append(f"{a}" if a == b else f"{a}..{b}")
        a = b = s
    out.append(f"{a}" if a == b else f"{a}..{b}")
    return ", ".join(out)
