"""The worker session: the one object between a loop and its study.

Every loop that runs trials (the local worker loop, a Ray task and its driver, a population,
a babysat run) goes through a session. It asks and tells through the study's public API and
owns the worker's chores around them:

- heartbeats for the trials it holds (a background thread) and the params stored at start;
- the report buffer's flushes at its boundaries, and grouped tells: outcomes of very fast
  trials written together with the start of the next ones;
- reaping: trials whose heartbeat is ``stale_after`` seconds old, at once for trials of a
  dead process on this host, and the retry of lost trials with their params;
- signals: SIGTERM is turned into an interrupt like Ctrl-C (``Terminated``);
- release: on an interrupt every trial this worker holds is failed, uncounted, so a resume
  issues its slot again at once.
"""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from typing import TYPE_CHECKING, Any

from caviar.executors.heartbeat import Heartbeat
from caviar.trial_record import FAIL, RUNNING, FrozenTrial, TrialUpdate

if TYPE_CHECKING:
    from caviar.study import Study
    from caviar.trial import Trial

INTERRUPTED = "interrupted (Ctrl-C) before it finished; its slot is issued again on resume"
TERMINATED = "terminated (SIGTERM) before it finished; its slot is issued again on resume"
DIED = ("worker lost: its process {worker} is gone from this host; its slot is issued "
        "again")


class Terminated(KeyboardInterrupt):
    """SIGTERM arrived: stop like Ctrl-C (trials released), exit 143."""


def _raise_terminated(signum: int, frame: Any) -> None:
    raise Terminated()


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """In the main thread, SIGTERM raises ``Terminated`` (a KeyboardInterrupt) while inside:
    the same release runs as for Ctrl-C. Elsewhere, or when already caught, nothing."""
    if threading.current_thread() is not threading.main_thread() or \
            signal.getsignal(signal.SIGTERM) is _raise_terminated:
        yield
        return
    old = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


@contextmanager
def block_signals() -> Iterator[None]:
    """Ctrl-C and SIGTERM wait while inside (a release must not be cut short)."""
    can_block = threading.current_thread() is threading.main_thread()
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM}) \
        if can_block else None
    try:
        yield
    finally:
        if old is not None:
            signal.pthread_sigmask(signal.SIG_SETMASK, old)


class WorkerSession:
    """Asks, heartbeats, tells (grouped), reaps and releases for one loop over ``study``."""

    def __init__(self, study: Study, *, heartbeat: float = 5.0, stale_after: float = 30.0,
                 cap: int | None = None,
                 on_wait: Callable[[str], None] | None = None) -> None:
        self.study = study
        self.cap = cap
        self.heartbeat_every = heartbeat
        self.stale_after = stale_after
        study.stale_after = stale_after
        self.shared = study.storage.shared_between_processes
        self.beat = Heartbeat(study.storage, heartbeat) if self.shared else None
        self.told: list[tuple[Trial, TrialUpdate]] = []   # outcomes not yet written
        self._on_wait = on_wait
        self._last_reap = 0.0
        self._signals = ExitStack()
        self._host = socket.gethostname()

    # ------------------------------------------------------------------ life cycle
    def __enter__(self) -> WorkerSession:
        self.catch_sigterm()
        return self

    def __exit__(self, kind: Any, exc: Any, tb: Any) -> None:
        try:
            if kind is not None and issubclass(kind, KeyboardInterrupt):
                self.release(TERMINATED if issubclass(kind, Terminated) else INTERRUPTED)
        finally:
            self.close()

    def catch_sigterm(self) -> None:
        """In the main thread: SIGTERM raises ``Terminated`` (a KeyboardInterrupt), so the
        same release runs as for Ctrl-C."""
        self._signals.enter_context(sigterm_as_interrupt())

    def close(self) -> None:
        """Write what is still buffered, stop the heartbeats, restore SIGTERM."""
        try:
            if self.told:
                self.flush()
            self.study.flush()
        finally:
            if self.beat is not None:
                self.beat.close()
            self._signals.close()

    # ------------------------------------------------------------------ asking
    def ask(self, n: int = 1) -> list[Trial]:
        """Start up to ``n`` trials (never more than the session's cap counted)."""
        trials: list[Trial] = self.study.ask(n, cap=self.cap, on_wait=self._waiting)
        self._hold(trials)
        return trials

    def populations(self, size: int, on_population: Callable[[int, int], None] | None = None
                    ) -> Iterator[list[Trial]]:
        """Populations of up to ``size`` trials until the study is full (a population
        engine trains each as one program); the dead are reaped between them.
        ``on_population(round, n)`` is told each population's number and size."""
        self.maintain(force=True)
        round_ = 0
        while True:
            trials = self.ask(size)
            if not trials:
                return
            round_ += 1
            if on_population is not None:
                on_population(round_, len(trials))
            yield trials
            self.maintain()

    def ask_fixed(self, params: Mapping[str, Any], *,
                  system_attrs: Mapping[str, Any] | None = None) -> Trial:
        trial = self.study.ask_fixed(params, system_attrs=system_attrs)
        self._hold([trial])
        return trial

    def adopt(self, record: FrozenTrial, proposed: Mapping[str, Any]) -> Trial:
        """Run a trial another process started (a Ray task runs what its driver asked)."""
        trial = self.study.adopt(record, proposed)
        self._hold([trial])
        return trial

    def _hold(self, trials: Sequence[Trial]) -> None:
        if self.beat is not None:
            for t in trials:
                self.beat.add(t)

    def drop(self, trial: Trial) -> None:
        """Stop heartbeating ``trial`` (it finished, or another process runs it now)."""
        if self.beat is not None:
            self.beat.remove(trial)

    # ------------------------------------------------------------------ telling
    def tell(self, trial: Trial, value: Any = None, *, state: str | None = None,
             error: str | None = None, counted: bool = True, start: int = 0
             ) -> tuple[FrozenTrial | None, list[Trial]]:
        """Finish ``trial`` and start up to ``start`` new trials, in one write."""
        self.drop(trial)
        if start == 0 and not self.told:
            return self.study.tell(trial, value, state=state, error=error,
                                   counted=counted), []
        self.defer(trial, value, state=state, error=error, counted=counted)
        frozen, started = self.flush(start=start)
        return frozen[-1], started

    def defer(self, trial: Trial, value: Any = None, *, state: str | None = None,
              error: str | None = None, counted: bool = True) -> None:
        """Record ``trial``'s outcome now; ``flush`` writes it (grouped with others)."""
        self.drop(trial)
        self.told.append((trial, self.study.outcome(trial, value, state=state, error=error,
                                                    counted=counted)))

    def flush(self, *, start: int = 0) -> tuple[list[FrozenTrial | None], list[Trial]]:
        """Write every deferred outcome and start up to ``start`` trials, in one write."""
        told, self.told = self.told, []
        frozen, started = self.study.finish(told, start=start, cap=self.cap,
                                            on_wait=self._waiting)
        self._hold(started)
        return frozen, started

    # ------------------------------------------------------------------ the dead
    def maintain(self, force: bool = False) -> None:
        """Every ``heartbeat`` seconds: reap trials whose worker died (at once when it ran
        on this host and its process is gone; else once its heartbeat is ``stale_after``
        old) and queue their retries."""
        if not self.shared:
            return
        now = time.time()
        if not force and now - self._last_reap < self.heartbeat_every:
            return
        self._last_reap = now
        self.reap_dead_here()
        self.study.storage.reap_stale(self.study.id, self.stale_after)
        self.study.refresh_lost()

    def reap_dead_here(self) -> list[int]:
        """Fail (uncounted) the running trials of processes on this host that are gone:
        a crash on one machine costs no ``stale_after`` wait."""
        running, _ = self.study.storage.get_trials(self.study.id, states=[RUNNING])
        # a live worker beats every ``heartbeat`` seconds; a quieter one whose process is
        # gone from this host died (the quiet spell guards against another machine that
        # happens to share this host name)
        quiet = time.time() - 1.5 * self.heartbeat_every
        dead = [t for t in running if (t.heartbeat_at or t.created_at or 0.0) < quiet
                and _dead_here(t.worker, self._host)]
        if not dead:
            return []
        done = self.study.storage.finish_trials(
            [TrialUpdate(t.id, FAIL, error=DIED.format(worker=t.worker), counted=False)
             for t in dead])
        return [t.id for t, ok in zip(dead, done, strict=True) if ok]

    def others_running(self) -> list[FrozenTrial]:
        running, _ = self.study.storage.get_trials(self.study.id, states=[RUNNING])
        return running

    def waiting_for(self) -> str:
        """Why this worker waits: the trials running elsewhere and when they count as lost."""
        running = self.others_running()
        if not running:
            return ""
        now = time.time()
        ages = [now - (t.heartbeat_at or t.created_at or now) for t in running]
        left = max(0.0, self.stale_after - max(ages))
        return (f"waiting for {len(running)} trial(s) running elsewhere; one silent for "
                f"{self.stale_after:g} s (--stale-after) counts as lost, the next in "
                f"{left:.0f} s at most")

    def _waiting(self, records: Sequence[FrozenTrial], waited: float) -> None:
        """A proposal waits for trials running elsewhere: keep ours alive, reap the dead."""
        self.study.storage.heartbeat([r.id for r in records])
        self.maintain()
        if self._on_wait is not None:
            self._on_wait(self.waiting_for())

    # ------------------------------------------------------------------ release
    def release(self, why: str = INTERRUPTED) -> None:
        """Fail, uncounted, every trial this worker holds (deferred outcomes are written
        first: finished results are kept). Signals cannot cut it short."""
        with block_signals():
            self._release(why)

    def _release(self, why: str) -> None:
        try:
            if self.told:
                self.flush()
            study = self.study
            running, _ = study.storage.get_trials(study.id, states=[RUNNING])
            mine = [t for t in running if t.worker == study.worker]
            for t in study.running_here():
                study.hand_off(t)
            release_trials(study.storage, mine, why)
        except Exception:  # the storage is gone: a resume reaps them (at once on this host)
            pass


def release_trials(storage: Any, records: Sequence[FrozenTrial | None], why: str) -> None:
    """Fail, uncounted, those of ``records`` still running (``why`` is their error): a
    resume, or the study's retry of lost trials, issues their slots again."""
    running = [r for r in records if r is not None and r.state == RUNNING]
    if running:
        storage.finish_trials([TrialUpdate(r.id, FAIL, error=why, counted=False)
                               for r in running])


def _dead_here(worker: str | None, host: str) -> bool:
    """Is ``worker`` ('host:pid') a process of this host that no longer exists?"""
    if not worker:
        return False
    h, _, pid = worker.rpartition(":")
    if h != host or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:  # exists, owned by someone else
        return False
    return _zombie(int(pid))


def _zombie(pid: int) -> bool:
    """A child that exited but was not yet waited for still answers kill(pid, 0)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False
