"""The worker loop: ask a trial, run the objective, tell the result, until the study is full.

Every local executor runs this loop: inline in this process, or in each of a pool of local
processes. The storage is the only coordinator; the worker session does the chores.
"""

from __future__ import annotations

import gc
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from caviar.errors import ObjectiveLoadError, SpaceError, TrialPruned, UsageError
from caviar.executors.worker import INTERRUPTED, TERMINATED, Terminated, WorkerSession
from caviar.trial_record import FAIL, PRUNED

if TYPE_CHECKING:
    from caviar.study import Study


@dataclass
class LoopSettings:
    n_trials: int
    deadline: float | None = None        # time.time() after which no new trial starts
    stop_on_error: bool = False
    heartbeat: float = 5.0
    stale_after: float = 30.0
    callbacks: Sequence[Callable[..., Any]] = field(default_factory=tuple)


#: trials faster than this (moving average) have their results written in groups
FAST_TRIAL = 0.002
#: a group is written when it holds this many results, or its oldest is this old (seconds)
GROUP_SIZE, GROUP_AGE = 8, 0.02


def run_loop(study: Study, objective: Callable[..., Any], s: LoopSettings,
             on_tell: Callable[[Any], None] | None = None,
             on_wait: Callable[[str], None] | None = None) -> int:
    """Run trials until ``s.n_trials`` count in the study. Returns how many this loop ran.

    With shared storage, finishing a trial and starting the next is one write. For very fast
    trials (under 2 ms) with a history-free sampler, results are written in groups of up to
    8 (or every 20 ms) together with the start of the next 8 trials: parallel workers then
    spend their time running trials, not waiting for the database's write lock. If the
    worker dies, a grouped result not yet written is run again (its trial is reaped and
    retried with the same params). Everything around a trial goes through one
    ``WorkerSession``: heartbeats, grouped tells, reaping, SIGTERM and release."""
    with WorkerSession(study, heartbeat=s.heartbeat, stale_after=s.stale_after,
                       cap=s.n_trials, on_wait=on_wait) as session:
        return _loop(session, objective, s, on_tell, on_wait)


def _loop(session: WorkerSession, objective: Callable[..., Any], s: LoopSettings,
          on_tell: Callable[[Any], None] | None,
          on_wait: Callable[[str], None] | None) -> int:
    study = session.study
    shared = session.shared
    may_group = shared and not study.sampler.uses_history and study.pruner is None
    ran = 0
    queue: list[Any] = []
    idle = 0.01
    ema: float | None = None
    first_deferred = 0.0
    waiting_said = 0.0

    def deadline_ok() -> bool:
        return s.deadline is None or time.time() < s.deadline

    def told(frozen: Any) -> None:
        for cb in s.callbacks:
            cb(study, frozen)
        if on_tell is not None:
            on_tell(frozen)

    def flush(n: int) -> None:
        frozen, nxt = session.flush(start=n)
        queue[:0] = nxt[::-1]
        for f in frozen:
            told(f)

    # Trial records accumulate by the thousand; the cyclic GC would traverse them all again and
    # again (a third of the per-trial cost at 10,000 trials). Freeze what exists every 128
    # trials so collections only look at young objects; unfreeze at the end.
    freeze = gc.get_freeze_count() == 0
    try:
        session.maintain(force=True)
        while True:
            if freeze and ran % 128 == 0:
                gc.freeze()
            if not deadline_ok():
                break
            session.maintain()
            if not queue:
                # one process owns an in-memory study: start trials in small batches
                batch = 16 if not (shared or s.deadline or study.sampler.uses_history) else 1
                queue = session.ask(batch)[::-1]
            if not queue:
                if not shared or not session.others_running():
                    break
                if on_wait is not None and time.time() - waiting_said > 1.0:
                    on_wait(session.waiting_for())  # say why the run idles
                    waiting_said = time.time()
                time.sleep(idle)  # others are running: wait, and reap them if they died
                idle = min(idle * 2, 0.5, s.heartbeat / 2)
                continue
            if waiting_said and on_wait is not None:
                on_wait("")
                waiting_said = 0.0
            idle = 0.01
            trial = queue.pop()
            group = may_group and ema is not None and ema < FAST_TRIAL

            def more() -> int:
                return 1 if shared and not queue and deadline_ok() else 0  # noqa: B023

            started = time.perf_counter()
            frozen, nxt = _run_one(session, objective, trial, s, more, defer=group)
            dt = time.perf_counter() - started
            ema = dt if ema is None else 0.8 * ema + 0.2 * dt
            ran += 1
            if group:
                if len(session.told) == 1:
                    first_deferred = time.perf_counter()
                if (not queue or len(session.told) >= GROUP_SIZE
                        or time.perf_counter() - first_deferred > GROUP_AGE):
                    flush(GROUP_SIZE if not queue and deadline_ok() else 0)
                continue
            queue.extend(nxt)
            told(frozen)
    finally:
        if freeze:
            gc.unfreeze()
        if session.told:
            flush(0)
        if queue:  # started but never run: forget them (memory) or free their slots
            for t in queue:
                session.drop(t)
            study.discard(queue)
    return ran


def _run_one(session: WorkerSession, objective: Callable[..., Any], trial: Any,
             s: LoopSettings, more: Callable[[], int], defer: bool = False
             ) -> tuple[Any, list[Any]]:
    def tell(**kw: Any) -> tuple[Any, list[Any]]:
        if defer:
            session.defer(trial, **kw)
            return None, []
        return session.tell(trial, start=more(), **kw)

    try:
        value = objective(trial)
    except TrialPruned as e:
        return tell(state=PRUNED, error=str(e) or None)
    except KeyboardInterrupt as e:
        why = TERMINATED if isinstance(e, Terminated) else INTERRUPTED
        session.tell(trial, state=FAIL, error=why, counted=False)
        raise
    except (SpaceError, ObjectiveLoadError) as e:  # every trial would fail the same way
        session.tell(trial, state=FAIL, error=f"{type(e).__name__}: {e}", counted=False)
        raise
    except Exception as e:
        tb = traceback.format_exc(limit=20)
        trial.system_attrs["traceback"] = tb[-4000:]
        if s.stop_on_error:
            session.tell(trial, state=FAIL, error=f"{type(e).__name__}: {e}")
            raise
        return tell(state=FAIL, error=f"{type(e).__name__}: {e}")
    try:
        return tell(value=value)
    except UsageError as e:  # a value of the wrong shape: every trial would fail the same way
        session.tell(trial, state=FAIL, error=f"{type(e).__name__}: {e}", counted=False)
        raise
