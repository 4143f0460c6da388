"""Control events of a babysat trial: parse, validate and record them (no torch here).

A person (``caviar nudge``, the dashboard) writes a control event; the babysitter of the
running trial (``caviar.panda.controller``) reads it at the next step boundary, applies it, and
writes an ``applied`` event naming the epoch from which it holds (or ``rejected`` with the
reason). Event kinds and payloads:

* ``nudge``   ``{param, value}`` or ``{param, factor}`` (+ ``source``): set or multiply a param
* ``pause`` / ``resume`` / ``stop``  ``{source}``
* ``mutable`` ``{names, values}``: written by the babysitter when the objective first reads a
  param through ``trial.hyper`` (only those params may be nudged)
* ``applied`` ``{event, kind, step, ...}``: ``step`` is the first epoch run with the change
  (for ``stop``: the last epoch run); a nudge adds ``param``, ``old``, ``new``
* ``rejected`` ``{event, kind, reason}``
* ``rewind`` (on the parent) ``{to_step, step, child, child_id, changes}``; ``resumed`` (on the
  crashed trial) ``{child, child_id, from_step}``; ``checkpoint`` ``{path, step}``

Trials are named by their **number within a study** (``caviar nudge 12 --study NAME``), the
number ``caviar trials`` shows.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from caviar.errors import CaviarError, SpaceError, StudyNotFoundError, UsageError
from caviar.space import Choice, Float, Int, Param, Space
from caviar.storage import Event, Storage
from caviar.trial_record import RUNNING, FrozenTrial, StudyRecord

CONTROL_KINDS = ("nudge", "pause", "resume", "stop")
BOOKKEEPING = ("mutable", "applied", "rejected", "checkpoint", "rewind", "resumed")


class ControlError(CaviarError, ValueError):
    """A control request (nudge, pause, rewind, ...) that cannot apply; nothing was written."""


@dataclass(frozen=True)
class Change:
    """One requested change of a param: ``value`` to set it, or ``factor`` to multiply it."""

    param: str
    value: Any = None
    factor: float | None = None

    def text(self) -> str:
        return f"{self.param}*={self.factor}" if self.factor is not None else \
            f"{self.param}={self.value!r}"

    def payload(self) -> dict[str, Any]:
        return {"param": self.param, **({"factor": self.factor} if self.factor is not None
                                        else {"value": self.value})}


# ---------------------------------------------------------------------- parsing
def parse_scalar(text: str) -> Any:
    """``3e-4`` -> float, ``64`` -> int, ``true``/``false`` -> bool, anything else a string."""
    low = text.strip().lower()
    if low in ("true", "false"):
        return low == "true"
    if low in ("none", "null"):
        return None
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


def parse_changes(items: Iterable[str]) -> list[Change]:
    """``["lr=3e-4", "momentum=0.95", "lr*=0.5"]`` as changes; a bad item raises."""
    out: list[Change] = []
    for item in items:
        name, sep, raw = item.partition("=")
        factor = name.endswith("*")
        name = name.rstrip("*").strip()
        if not sep or not name or not raw.strip():
            raise ControlError(f"change {item!r}: must be NAME=VALUE (or NAME*=FACTOR), e.g. "
                               "lr=3e-4 or lr*=0.5")
        if any(c.param == name for c in out):
            raise ControlError(f"change {item!r}: param {name!r} is given twice; give it once")
        value = parse_scalar(raw)
        if factor:
            if isinstance(value, bool) or not isinstance(value, int | float) or \
                    not math.isfinite(value) or not 0 < value <= 1e6:
                raise ControlError(f"change {item!r}: a factor must be a number in (0, 1e6], "
                                   f"got {raw!r}; e.g. lr*=0.5 halves the learning rate")
            out.append(Change(name, factor=float(value)))
        else:
            out.append(Change(name, value=value))
    return out


def parse_params(items: Iterable[str]) -> dict[str, Any]:
    """``--param lr=1e-3`` options as a params dict (factors are not allowed here)."""
    out: dict[str, Any] = {}
    for c in parse_changes(items):
        if c.factor is not None:
            raise ControlError(f"--param {c.text()}: give a value (NAME=VALUE), not a factor")
        out[c.param] = c.value
    return out


# ---------------------------------------------------------------------- finding trials
def find_study(storage: Storage, name: str | None) -> StudyRecord:
    """The named study; without a name, the storage's only study."""
    if name:
        return storage.get_study(name)
    names = [s.name for s in storage.list_studies()]
    if len(names) == 1:
        return storage.get_study(names[0])
    raise UsageError(f"--study: the storage {storage.url!r} holds {len(names)} studies "
                     f"{names[:10]}; name one with --study NAME")


def find_trial(storage: Storage, study: StudyRecord, number: Any) -> FrozenTrial:
    """A trial by its number within ``study`` (the number ``caviar trials`` shows)."""
    if isinstance(number, bool) or not isinstance(number, int) or number < 0:
        raise UsageError(f"trial: must be a trial number (an int >= 0) within study "
                         f"{study.name!r}, got {number!r}; `caviar trials {study.name}` lists them")
    trials, _ = storage.get_trials(study.id)
    for t in trials:
        if t.number == number:
            fresh = storage.get_trial(t.id) if _has_get_trial(storage) else None
            return fresh or t
    top = max((t.number for t in trials), default=None)
    held = f"its trials are numbered 0..{top}" if top is not None else "it has no trial yet"
    raise UsageError(f"trial {number}: is not in study {study.name!r} ({held}); trials are "
                     f"named by their number within the study, see `caviar trials {study.name}`")


def _has_get_trial(storage: Storage) -> bool:
    try:
        storage.get_trial(-1)
    except NotImplementedError:
        return False
    return True


def locate(storage: Storage, study_name: str | None, number: int) -> tuple[StudyRecord,
                                                                            FrozenTrial]:
    try:
        study = find_study(storage, study_name)
    except StudyNotFoundError as e:
        raise UsageError(str(e)) from None
    return study, find_trial(storage, study, number)


# ---------------------------------------------------------------------- what a trial allows
def is_babysat(trial: FrozenTrial) -> bool:
    return isinstance(trial.system_attrs.get("babysit"), dict)


def is_member(events: Sequence[Event]) -> bool:
    """A member of a running population whose adapter polls control events (it declared its
    mutable params with ``population: true``)."""
    return any(e.kind == "mutable" and e.payload.get("population") for e in events)


def mutable_state(events: Sequence[Event]) -> tuple[list[str] | None, dict[str, Any]]:
    """The mutable param names a babysitter declared (None: none yet) and the current values
    (the last ``mutable`` or ``applied`` event's ``values``)."""
    names: list[str] | None = None
    values: dict[str, Any] = {}
    for e in events:
        if e.kind == "mutable":
            names = list(e.payload.get("names", []))
        if e.kind in ("mutable", "applied") and isinstance(e.payload.get("values"), dict):
            values = dict(e.payload["values"])
    return names, values


def check_change(change: Change, *, trial: FrozenTrial, space: Mapping[str, Param],
                 mutable: Sequence[str] | None, current: Mapping[str, Any],
                 verb: str = "nudge") -> Any:
    """The new value of ``change`` for ``trial``, or ControlError naming the thing, the rule,
    the value and the fix."""
    name = change.param
    known = sorted(set(trial.params) | set(space))
    if name not in known:
        raise ControlError(
            f"{verb} {change.text()}: trial {trial.number} has no param {name!r}; its params: "
            f"{', '.join(known) or 'none'}; fix: use one of those names")
    if mutable is None:
        raise ControlError(
            f"{verb} {change.text()}: trial {trial.number} has declared no mutable param yet "
            "(its objective reads them with trial.hyper(name) each epoch); fix: wait for its "
            "first epoch and try again")
    if name not in mutable:
        raise ControlError(
            f"{verb} {change.text()}: param {name!r} is immutable in trial {trial.number} (the "
            f"run reads it once: shape, data order or optimizer kind); mutable here: "
            f"{', '.join(mutable) or 'none'}; fix: change one of those, or start a new run "
            f"with `caviar babysit ... --param {name}=...`")
    p = space.get(name)
    now = current.get(name, trial.params.get(name))
    if change.factor is not None:
        if isinstance(now, bool) or not isinstance(now, int | float):
            raise ControlError(f"{verb} {change.text()}: a factor needs a numeric param, "
                               f"{name!r} is {now!r}; fix: set it with {name}=VALUE")
        value: Any = now * change.factor
        if isinstance(p, Int):
            value = round(value)
    else:
        value = change.value
    if p is None:
        return value
    try:
        return p.validate(value)
    except SpaceError as e:
        raise ControlError(
            f"{verb} {change.text()}: {e} (the study's declared {_describe(p)}); fix: give a "
            f"value of that type inside that range (current {name}={now!r})") from None


def _describe(p: Param) -> str:
    if isinstance(p, Choice):
        return f"choices {list(p.choices)!r}"
    kind = "float" if isinstance(p, Float) else "int"
    return f"{kind} range [{p.low!r}, {p.high!r}] on a {p.scale} scale"


def check_changes(storage: Storage, study: StudyRecord, trial: FrozenTrial,
                  changes: Sequence[Change], *, verb: str = "nudge",
                  running: bool = True) -> dict[str, Any]:
    """Validate every change before any is written: ``{param: new value}``."""
    events = storage.get_events(trial.id)
    if running:
        require_running(trial, verb, changes, events)
    mutable, current = mutable_state(events)
    space = Space.from_json(study.space)
    return {c.param: check_change(c, trial=trial, space=space, mutable=mutable,
                                  current=current, verb=verb) for c in changes}


def require_running(trial: FrozenTrial, verb: str, changes: Sequence[Change] = (),
                    events: Sequence[Event] | None = None) -> None:
    if trial.state != RUNNING:
        what = " ".join(c.text() for c in changes) or "lr=..."
        raise ControlError(
            f"{verb}: trial {trial.number} is {trial.state}, not running; nudge, pause, resume "
            f"and stop act on a running trial; fix: `caviar rewind {trial.number} --epoch K "
            f"{what}` branches a new run from one of its checkpoints")
    if not is_babysat(trial) and not (events is not None and is_member(events)):
        raise ControlError(
            f"{verb}: trial {trial.number} runs without a babysitter (it was not started by "
            "`caviar babysit`), so nothing would read the event; fix: babysit a run with "
            "`caviar babysit` and control that one")


# ---------------------------------------------------------------------- writing
def nudge(storage: Storage, study: StudyRecord, trial: FrozenTrial,
          changes: Sequence[Change], *, source: str = "api") -> list[int]:
    """Record one ``nudge`` event per change, after validating all of them."""
    if not changes:
        raise ControlError(f"nudge: give at least one change for trial {trial.number}, "
                           "e.g. lr=3e-4")
    check_changes(storage, study, trial, changes)
    return [storage.add_event(trial.id, "nudge", {**c.payload(), "source": source})
            for c in changes]


def command(storage: Storage, trial: FrozenTrial, kind: str, *, source: str = "api") -> int:
    """Record ``pause``, ``resume`` or ``stop`` for a running babysat trial."""
    if kind not in ("pause", "resume", "stop"):
        raise ControlError(f"control: kind must be pause, resume or stop, got {kind!r}")
    require_running(trial, kind, events=storage.get_events(trial.id))
    return storage.add_event(trial.id, kind, {"source": source})


# ---------------------------------------------------------------------- reading back
def checkpoints(storage: Storage, trial_id: int) -> dict[int, str]:
    """``{step: relative path}`` of a trial's checkpoints."""
    return {int(e.payload["step"]): str(e.payload["path"])
            for e in storage.get_events(trial_id) if e.kind == "checkpoint"}


def hypers_at(trial: FrozenTrial, events: Sequence[Event], epoch: int) -> dict[str, Any]:
    """The mutable params' values in effect during ``epoch`` of a babysat trial: its start
    values, then every applied nudge with ``step <= epoch``."""
    spec = trial.system_attrs.get("babysit") or {}
    values: dict[str, Any] = {**trial.params, **(spec.get("start_hypers") or {})}
    for e in events:
        p = e.payload
        if e.kind == "applied" and p.get("kind") == "nudge" and int(p.get("step", 0)) <= epoch:
            values[str(p["param"])] = p["new"]
    return values


def applied_nudges(events: Sequence[Event]) -> dict[int, dict[str, Any]]:
    """``{epoch: {param: new value}}`` of the nudges a babysitter applied."""
    out: dict[int, dict[str, Any]] = {}
    for e in events:
        p = e.payload
        if e.kind == "applied" and p.get("kind") == "nudge":
            out.setdefault(int(p["step"]), {})[str(p["param"])] = p["new"]
    return out


def history_rows(events: Sequence[Event]) -> list[dict[str, Any]]:
    """One row per control event (and rewinds, resumes, rejections) with the epoch where it
    took effect; checkpoints and bookkeeping are folded in."""
    applied = {int(e.payload["event"]): e for e in events
               if e.kind in ("applied", "rejected") and "event" in e.payload}
    rows = []
    for e in events:
        if e.kind in ("applied", "rejected", "mutable", "checkpoint"):
            continue
        follow = applied.get(e.id)
        detail = {k: v for k, v in e.payload.items() if k != "source"}
        row: dict[str, Any] = {"id": e.id, "at": e.at, "kind": e.kind, "detail": detail,
                               "source": e.payload.get("source"), "status": "pending",
                               "epoch": None}
        if e.kind in ("rewind", "resumed"):
            row["status"] = "done"
        if follow is not None:
            if follow.kind == "rejected":
                row["status"] = "rejected: " + str(follow.payload.get("reason", ""))
            else:
                row["status"] = "applied"
                row["epoch"] = follow.payload.get("step")
                if "old" in follow.payload:
                    detail = {**detail, "old": follow.payload["old"],
                              "new": follow.payload["new"]}
                    row["detail"] = detail
        rows.append(row)
    return rows
