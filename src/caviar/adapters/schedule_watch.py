"""Babysitting members of a running population: the panda's control events, per member.

Before the first epoch every member's trial gets a ``mutable`` event (``population: true``)
naming the params it can change while it trains; from then on ``caviar nudge``, ``pause``,
``resume`` and ``stop`` accept that trial (caviar.panda.control). After every epoch the
adapter reads each member's new events (at most every ``POLL_SECONDS``) and applies them in
place: a nudge changes the member's
hyperparameter tensor from the next epoch on, pause moves it to the host (its compute is
freed), resume brings it back, stop ends it. Each is answered with an ``applied`` (or
``rejected``) event, the same bookkeeping a babysat trial writes, so ``caviar history`` and the
curve plots show it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from caviar.space import Space

OnChange = Callable[[int, int, dict[str, Any]], None]  # (member, first epoch, new params)
#: a population reads its members' control events at the first epoch boundary this long after
#: the last read (one storage query per member per read)
POLL_SECONDS = 0.5


class MemberWatch:
    """Polls and applies the control events of a population's trials."""

    def __init__(self, storage: Any, trials: list[Any], space: Space,
                 on_change: OnChange | None = None) -> None:
        self.storage, self.trials, self.space = storage, trials, space
        self.on_change = on_change
        self.after = dict.fromkeys(range(len(trials)), 0)
        self.values: dict[int, dict[str, Any]] = {}
        self.paused: set[int] = set()
        self.last_poll = 0.0

    def declare(self, configs: list[dict[str, Any]]) -> None:
        from caviar.nn.exploit import INPLACE_KEYS

        for i, t in enumerate(self.trials):
            names = [n for n in self.space if n in INPLACE_KEYS and n != "epochs"]
            self.values[i] = {n: configs[i].get(n, t.params.get(n)) for n in names}
            eid = self.storage.add_event(t.id, "mutable", {
                "names": names, "values": dict(self.values[i]), "population": True})
            self.after[i] = eid

    def poll(self, epoch: int, pop: Any, run: Any = None) -> None:
        """Apply every member's new control events after ``epoch`` (0-based); reads the
        storage at most every ``POLL_SECONDS`` (one query per member)."""
        now = time.monotonic()
        if now - self.last_poll < POLL_SECONDS:
            return
        self.last_poll = now
        for i, t in enumerate(self.trials):
            events = self.storage.get_events(t.id, after=self.after[i])
            for e in events:
                self.after[i] = max(self.after[i], e.id)
                if e.kind in ("nudge", "pause", "resume", "stop"):
                    self._apply(i, e, epoch, pop, run)

    def _apply(self, i: int, e: Any, epoch: int, pop: Any, run: Any) -> None:
        t = self.trials[i]
        res_state = pop.results[i].state
        if res_state not in ("running",) and e.kind != "resume":
            return self._write(t, "rejected", {"event": e.id, "kind": e.kind,
                                               "reason": f"member is {res_state}"})
        if e.kind == "nudge":
            name = str(e.payload["param"])
            old = self.values[i].get(name)
            new = e.payload.get("value")
            if e.payload.get("factor") is not None and isinstance(old, int | float):
                new = old * float(e.payload["factor"])
            p = self.space.get(name)
            if p is not None:
                new = p.validate(new)
            pop.set_params(i, {name: new})
            self.values[i][name] = new
            if self.on_change is not None:
                self.on_change(i, epoch + 1, {name: new})
            return self._write(t, "applied", {"event": e.id, "kind": "nudge", "step": epoch + 1,
                                              "param": name, "old": old, "new": new,
                                              "values": dict(self.values[i])})
        if e.kind == "pause":
            if not pop.is_paused(i):
                pop.pause(i)
                self.paused.add(i)
            if run is not None:
                run.rungs[i].append([epoch + 1, "pause", epoch + 1])
            step = epoch + 1
        elif e.kind == "resume":
            if pop.is_paused(i):
                pop.resume(i)
            self.paused.discard(i)
            if run is not None:
                run.rungs[i].append([epoch + 1, "resume", epoch + 1])
            step = epoch + 1
        else:
            pop.stop(i)
            if run is not None:
                run.stopped[i] = f"stopped by a person after epoch {epoch}"
            step = epoch
        return self._write(t, "applied", {"event": e.id, "kind": e.kind, "step": step})

    def _write(self, t: Any, kind: str, payload: dict[str, Any]) -> None:
        eid = self.storage.add_event(t.id, kind, payload)
        i = self.trials.index(t)
        self.after[i] = max(self.after[i], eid)
