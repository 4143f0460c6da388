"""The worker loop: ask a trial, run the objective, tell the result, until the study is full.

Every executor runs this loop somewhere: inline in this process, in each of a pool of local
processes, or (later) in Ray tasks. The storage is the only coordinator.
"""

from __future__ import annotations

import gc
import signal
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from caviar.errors import ObjectiveLoadError, SpaceError, TrialPruned
from caviar.executors.heartbeat import Heartbeat
from caviar.trial_record import FAIL, PRUNED, RUNNING, TrialUpdate

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


INTERRUPTED = "interrupted (Ctrl-C) before it finished; its slot is issued again on resume"


#: trials faster than this (moving average) have their results written in groups
FAST_TRIAL = 0.002
#: a group is written when it holds this many results, or its oldest is this old (seconds)
GROUP_SIZE, GROUP_AGE = 8, 0.02


def run_loop(study: Study, objective: Callable[..., Any], s: LoopSettings,
             on_tell: Callable[[Any], None] | None = None) -> int:
    """Run trials until ``s.n_trials`` count in the study. Returns how many this loop ran.

    With shared storage, finishing a trial and starting the next is one write. For very fast
    trials (under 2 ms) with a history-free sampler, results are written in groups of up to
    8 (or every 20 ms) together with the start of the next 8 trials: parallel workers then
    spend their time running trials, not waiting for the database's write lock. If the
    worker dies, a grouped result not yet written is run again (its trial is reaped and
    retried with the same params)."""
    shared = study.storage.shared_between_processes
    beat = Heartbeat(study.storage, s.heartbeat) if shared else None
    may_group = shared and not study.sampler.uses_history and study.pruner is None
    ran = 0
    queue: list[Any] = []
    last_reap = 0.0
    idle = 0.01
    ema: float | None = None
    first_deferred = 0.0

    def deadline_ok() -> bool:
        return s.deadline is None or time.time() < s.deadline

    def flush(n: int) -> None:
        frozen, nxt = study.flush_told(n=n, cap=s.n_trials)
        if beat is not None:
            for t in nxt:
                beat.add(t)
        queue[:0] = nxt[::-1]
        for f in frozen:
            for cb in s.callbacks:
                cb(study, f)
            if on_tell is not None:
                on_tell(f)

    # Trial records accumulate by the thousand; the cyclic GC would traverse them all again and
    # again (a third of the per-trial cost at 10,000 trials). Freeze what exists every 128
    # trials so collections only look at young objects; unfreeze at the end.
    freeze = gc.get_freeze_count() == 0
    try:
        while True:
            if freeze and ran % 128 == 0:
                gc.freeze()
            if not deadline_ok():
                break
            now = time.time()
            if shared and now - last_reap >= s.heartbeat:
                study.storage.reap_stale(study.id, s.stale_after)
                study.refresh_lost()
                last_reap = now
            if not queue:
                # one process owns an in-memory study: start trials in small batches
                batch = 16 if not (shared or s.deadline or study.sampler.uses_history) else 1
                queue = study.ask(batch, cap=s.n_trials)[::-1]
                if beat is not None:
                    for t in queue:
                        beat.add(t)
            trials = [queue.pop()] if queue else []
            if not trials:
                if not shared or not _others_running(study):
                    break
                time.sleep(idle)  # others are running: wait, and reap them if they died
                idle = min(idle * 2, 0.5, s.heartbeat / 2)
                continue
            idle = 0.01
            trial = trials[0]
            if beat is not None:
                beat.add(trial)
            group = may_group and ema is not None and ema < FAST_TRIAL

            def more() -> int:
                return 1 if shared and not queue and deadline_ok() else 0  # noqa: B023

            started = time.perf_counter()
            try:
                frozen, nxt = _run_one(study, objective, trial, s, more, defer=group)
            finally:
                if beat is not None:
                    beat.remove(trial)
            dt = time.perf_counter() - started
            ema = dt if ema is None else 0.8 * ema + 0.2 * dt
            ran += 1
            if group:
                if len(study._deferred) == 1:
                    first_deferred = time.perf_counter()
                if (not queue or len(study._deferred) >= GROUP_SIZE
                        or time.perf_counter() - first_deferred > GROUP_AGE):
                    flush(GROUP_SIZE if not queue and deadline_ok() else 0)
                continue
            queue.extend(nxt)
            for cb in s.callbacks:
                cb(study, frozen)
            if on_tell is not None:
                on_tell(frozen)
    except KeyboardInterrupt:
        if study._deferred:  # finished results are kept
            study.flush_told()
        release_interrupted(study)
        raise
    finally:
        if freeze:
            gc.unfreeze()
        if study._deferred:
            flush(0)
        if queue:  # started but never run: forget them (memory) or free their slots
            study.discard(queue)
        if beat is not None:
            beat.close()
        study._flush_reports()
    return ran


def _run_one(study: Study, objective: Callable[..., Any], trial: Any, s: LoopSettings,
             more: Callable[[], int], defer: bool = False) -> tuple[Any, list[Any]]:
    def tell(**kw: Any) -> tuple[Any, list[Any]]:
        if defer:
            study.defer_tell(trial, **kw)
            return None, []
        return study.tell_and_ask(trial, n=more(), cap=s.n_trials, **kw)

    try:
        value = objective(trial)
    except TrialPruned as e:
        return tell(state=PRUNED, error=str(e) or None)
    except KeyboardInterrupt:
        study.tell(trial, state=FAIL, error=INTERRUPTED, counted=False)
        raise
    except (SpaceError, ObjectiveLoadError) as e:  # every trial would fail the same way
        study.tell(trial, state=FAIL, error=f"{type(e).__name__}: {e}", counted=False)
        raise
    except Exception as e:
        tb = traceback.format_exc(limit=20)
        trial.system_attrs["traceback"] = tb[-4000:]
        if s.stop_on_error:
            study.tell(trial, state=FAIL, error=f"{type(e).__name__}: {e}")
            raise
        return tell(state=FAIL, error=f"{type(e).__name__}: {e}")
    return tell(value=value)


def release_interrupted(study: Study) -> None:
    """Ctrl-C may land just after a write started a trial this worker never ran: fail every
    trial it still holds, uncounted, so a resume re-issues the slots at once instead of
    waiting for them to go stale. A second Ctrl-C must not cut this short."""
    can_block = threading.current_thread() is threading.main_thread()
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT}) if can_block else None
    try:
        running, _ = study.storage.get_trials(study.id, states=[RUNNING])
        mine = [t for t in running if t.worker == study.worker]
        for t in mine:
            study._live.pop(t.id, None)
        if mine:
            study.storage.finish_trials([TrialUpdate(t.id, FAIL, error=INTERRUPTED,
                                                     counted=False) for t in mine])
    except Exception:
        pass
    finally:
        if old is not None:
            signal.pthread_sigmask(signal.SIG_SETMASK, old)


def _others_running(study: Study) -> bool:
    running, _ = study.storage.get_trials(study.id, states=[RUNNING])
    return bool(running)
