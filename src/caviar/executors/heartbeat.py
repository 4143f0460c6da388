"""A background thread that keeps this process's running trials alive in storage."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from caviar.storage import Storage
    from caviar.trial import Trial


class Heartbeat:
    """Every ``interval`` seconds, writes a heartbeat (and the params known so far) for the
    trials registered with it. Survivors reap trials whose heartbeat is too old."""

    def __init__(self, storage: Storage, interval: float) -> None:
        self.storage = storage
        self.interval = interval
        self._trials: dict[int, Trial] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="caviar-heartbeat", daemon=True)
        self._thread.start()

    def add(self, trial: Trial) -> None:
        with self._lock:
            self._trials[trial.id] = trial

    def remove(self, trial: Trial) -> None:
        with self._lock:
            self._trials.pop(trial.id, None)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            with self._lock:
                live = dict(self._trials)
            if not live:
                continue
            try:
                # a trial with no params suggested here keeps the ones stored: a Ray
                # driver beats the trials its task suggests in, and must not blank them
                self.storage.heartbeat(list(live), {i: dict(t.params) for i, t in live.items()
                                                    if t.params})
            except Exception:
                continue

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=self.interval + 1)
