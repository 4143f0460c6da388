"""The babysitter of one running trial: reads control events at each step boundary.

``trial.report(value, step)`` is the boundary (the end of epoch ``step``): the controller
records the values used in that epoch, waits out a ``min_epoch_seconds`` throttle, then applies
every pending event. A nudge changes what ``trial.hyper(name)`` returns from epoch ``step + 1``
on; ``pause`` holds the trial at the boundary (new nudges still apply) until ``resume`` or
``stop``; ``stop`` ends the trial after this epoch. Each applied event gets an ``applied``
follow-up with that epoch; an event that is not valid any more gets ``rejected`` and the trial
is left untouched.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from caviar.errors import CaviarError
from caviar.panda.control import Change, ControlError, check_change

if TYPE_CHECKING:
    from caviar.study import Study
    from caviar.trial import Trial


class StopRequested(CaviarError):
    """Raised at a step boundary when someone stopped the babysat trial."""


class Controller:
    def __init__(self, study: Study, trial: Trial, *, start_hypers: Mapping[str, Any] | None
                 = None, schedule: Mapping[int, Mapping[str, Any]] | None = None,
                 stop_after: int | None = None, min_epoch_seconds: float = 0.0,
                 poll: float = 0.2, on_change: Callable[[Controller], None] | None = None
                 ) -> None:
        self.study = study
        self.trial = trial
        self.storage = study.storage
        self.values: dict[str, Any] = dict(start_hypers or {})
        self.mutable: list[str] = []
        self.replay = {int(k): dict(v) for k, v in (schedule or {}).items()}
        self.stop_after = stop_after
        self.min_epoch_seconds = float(min_epoch_seconds)
        self.poll = poll
        self.on_change = on_change
        self.paused = False
        self.stopped_at: int | None = None
        self.schedule: list[dict[str, Any]] = []   # values used, one dict per epoch
        self.epoch_times: list[float] = []
        self.started = self.mark = time.time()
        self.last_checkpoint: tuple[int, str] | None = None
        self.log: list[str] = []                    # the latest control messages, for the view
        self.seen = max((e.id for e in self.storage.get_events(trial.id)), default=0)

    # ------------------------------------------------------------------ objective side
    def hyper(self, trial: Trial, name: str) -> Any:
        self._stop_now()
        if name not in self.mutable:
            self.mutable.append(name)
            self.values.setdefault(name, trial.params[name])
            self._write("mutable", {"names": list(self.mutable), "values": self.current()})
        return self.values[name]

    def current(self) -> dict[str, Any]:
        return {n: self.values[n] for n in self.mutable}

    def checkpointed(self, step: int, path: str) -> None:
        self.last_checkpoint = (step, path)
        self._stop_now()

    def _stop_now(self) -> None:
        """A stop is asked at a boundary and lands at the objective's next call into the
        trial (its checkpoint of that epoch, or its next hyper), so the last state is saved."""
        if self.stopped_at is not None:
            raise StopRequested(f"trial {self.trial.number}: stopped after epoch "
                                f"{self.stopped_at}")

    def boundary(self, trial: Trial, step: int) -> None:
        self._stop_now()
        now = time.time()
        self.schedule.append({"epoch": step, **self.current()})
        trial.user_attrs["schedule"] = self.schedule
        if self.min_epoch_seconds > 0:
            time.sleep(max(0.0, self.min_epoch_seconds - (now - self.mark)))
            now = time.time()
        self.epoch_times.append(now - self.mark)
        self.mark = now
        nxt = step + 1
        for name, value in sorted(self.replay.pop(nxt, {}).items()):
            self._apply(0, Change(name, value=value), nxt, source="replay")
        self._drain(step)
        if self.stop_after is not None and step >= self.stop_after and self.stopped_at is None:
            self._stop(step, 0, "schedule")
        self._changed()
        while self.paused and self.stopped_at is None:
            time.sleep(self.poll)
            self._drain(step)
            self._changed()
        self.mark = time.time()  # a pause does not count as epoch time

    # ------------------------------------------------------------------ events
    def _drain(self, step: int) -> None:
        for e in self.storage.get_events(self.trial.id, after=self.seen):
            self.seen = max(self.seen, e.id)
            if e.kind == "checkpoint":
                self.last_checkpoint = (int(e.payload["step"]), str(e.payload["path"]))
            elif e.kind == "nudge":
                p = e.payload
                change = Change(str(p.get("param")), value=p.get("value"),
                                factor=p.get("factor"))
                self._apply(e.id, change, step + 1, source=str(p.get("source", "")))
            elif e.kind == "pause":
                self.paused = True
                self._write("applied", {"event": e.id, "kind": "pause", "step": step + 1})
                self.log.append(f"paused before epoch {step + 1}")
            elif e.kind == "resume":
                if self.paused:
                    self.paused = False
                    self._write("applied", {"event": e.id, "kind": "resume", "step": step + 1})
                    self.log.append(f"resumed at epoch {step + 1}")
                else:
                    self._reject(e.id, "resume", "the trial is not paused")
            elif e.kind == "stop" and self.stopped_at is None:
                self._stop(step, e.id, str(e.payload.get("source", "")))

    def _apply(self, event_id: int, change: Change, epoch: int, *, source: str) -> None:
        trial = self.trial
        try:
            new = check_change(change, trial=trial, space=self.study.space,  # type: ignore[arg-type]
                               mutable=self.mutable, current=self.values)
        except ControlError as e:
            self._reject(event_id, "nudge", str(e))
            return
        old = self.values.get(change.param)
        self.values[change.param] = new
        payload = {"event": event_id, "kind": "nudge", "step": epoch, "param": change.param,
                   "old": old, "new": new, "values": self.current()}
        if source == "replay":
            payload["source"] = "replay"
        self._write("applied", payload)
        self.log.append(f"{change.param}: {old!r} -> {new!r} from epoch {epoch}")

    def _stop(self, step: int, event_id: int, source: str) -> None:
        self.paused = False
        self.stopped_at = step
        self._write("applied", {"event": event_id, "kind": "stop", "step": step,
                                **({"source": source} if not event_id else {})})
        self.log.append(f"stopped after epoch {step}")

    def _reject(self, event_id: int, kind: str, reason: str) -> None:
        self._write("rejected", {"event": event_id, "kind": kind, "reason": reason})
        self.log.append(f"rejected {kind}: {reason}")

    def _write(self, kind: str, payload: dict[str, Any]) -> None:
        eid = self.storage.add_event(self.trial.id, kind, payload)
        if eid == self.seen + 1:
            self.seen = eid  # our own bookkeeping needs no second look

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change(self)

    # ------------------------------------------------------------------ the view's numbers
    @property
    def epochs_done(self) -> int:
        return len(self.schedule)

    def remaining(self, total: int | None) -> float | None:
        if not total or not self.epoch_times:
            return None
        done = (self.schedule[-1]["epoch"] + 1) if self.schedule else 0
        recent = self.epoch_times[-5:]
        return max(0, total - done) * sum(recent) / len(recent)
