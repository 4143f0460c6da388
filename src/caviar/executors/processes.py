"""A pool of local worker processes sharing one study through its storage.

Each process runs the worker loop. The parent shows progress, replaces a worker that died
(its trial is reaped by the survivors once its heartbeat is stale), and on Ctrl-C asks the
workers to stop, so every trial either finishes or is marked interrupted and re-issued later.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import pickle
import signal
import sys
import time
from dataclasses import dataclass
from multiprocessing.connection import wait
from typing import TYPE_CHECKING, Any

from caviar.errors import SpaceError, UsageError
from caviar.executors.loop import INTERRUPTED, LoopSettings, run_loop
from caviar.trial_record import FAIL, RUNNING, TrialUpdate

if TYPE_CHECKING:
    from caviar.executors.progress import ProgressView
    from caviar.study import Study


BAD_SPACE_EXIT = 3  # a worker's exit status when a param definition is bad


@dataclass
class WorkerJob:
    storage_url: str
    study_name: str
    sampler: dict[str, Any]
    objective: Any
    settings: LoopSettings
    pruner: Any = None


def worker_main(job: WorkerJob) -> None:
    from caviar.study import load_study

    study = None
    try:
        study = load_study(job.study_name, storage=job.storage_url, sampler=job.sampler,
                           pruner=job.pruner)
        run_loop(study, job.objective, job.settings)
    except KeyboardInterrupt:
        if study is not None:
            _release_interrupted(study)
        sys.exit(130)
    except SpaceError as e:  # a bad param definition: the parent stops the pool and raises
        print(f"caviar worker: {e}", file=sys.stderr)
        sys.exit(BAD_SPACE_EXIT)


def _release_interrupted(study: Study) -> None:
    """Ctrl-C may land just after a write started a trial this worker never ran: fail every
    trial it still holds, uncounted, so a resume re-issues the slots at once instead of
    waiting for them to go stale. A second Ctrl-C (the parent's) must not cut this short."""
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        running, _ = study.storage.get_trials(study.id, states=[RUNNING])
        mine = [t.id for t in running if t.worker == study.worker]
        if mine:
            study.storage.finish_trials([TrialUpdate(i, FAIL, error=INTERRUPTED, counted=False)
                                         for i in mine])
    except Exception:  # survivors or a resume reap it once its heartbeat is stale
        pass


def start_method() -> str:
    forced = os.environ.get("CAVIAR_START_METHOD")
    if forced:
        return forced
    # fork is fast and needs no pickling, but is unsafe once torch has started its threads
    if sys.platform.startswith("linux") and "torch" not in sys.modules:
        return "fork"
    return "spawn"


def run_processes(study: Study, objective: Any, settings: LoopSettings, workers: int,
                  view: ProgressView) -> None:
    method = start_method()
    ctx = mp.get_context(method)
    job = WorkerJob(study.storage.url, study.name, study.sampler.to_json(), objective, settings,
                    study.pruner)
    if method != "fork":
        try:
            pickle.dumps(job)
        except Exception as e:
            raise UsageError(
                f"workers={workers}: the objective must be importable to run in other processes "
                f"({type(e).__name__}: {e}); define it at module level in a file") from None
    procs = [_spawn(ctx, job) for _ in range(workers)]
    respawns = 0
    done = 0
    try:
        while True:
            # wake when a worker exits; otherwise refresh the progress bar once a second
            wait([p.sentinel for p in procs], timeout=1.0 if view.enabled else 5.0)
            done, best = study.storage.progress(study.id, study.direction)
            view.set(done, best)
            alive = []
            for p in procs:
                if p.is_alive():
                    alive.append(p)
                elif p.exitcode == BAD_SPACE_EXIT:
                    raise SpaceError(_space_error(study))
                elif p.exitcode not in (0, None) and done < settings.n_trials:
                    if settings.stop_on_error and p.exitcode == 1:
                        raise RuntimeError(f"a worker stopped on an objective error; see "
                                           f"`caviar trials {study.name}`")
                    if respawns < 3 * workers:  # a worker died (killed): replace it
                        respawns += 1
                        alive.append(_spawn(ctx, job))
            procs = alive
            if not procs:
                break
    except BaseException:
        _stop(procs)
        raise


def _space_error(study: Study) -> str:
    failed, _ = study.storage.get_trials(study.id, states=[FAIL])
    errors = [t.error for t in failed if not t.counted and t.error]
    if not errors:
        return "a worker stopped on a bad param definition"
    kind, _, msg = errors[-1].partition(": ")  # stored as "SpaceError: message"
    return msg if kind.endswith("Error") and msg else errors[-1]


def _spawn(ctx: Any, job: WorkerJob) -> Any:
    p = ctx.Process(target=worker_main, args=(job,), daemon=False)
    p.start()
    return p


def _stop(procs: list[Any]) -> None:
    for p in procs:
        if p.is_alive() and p.pid:
            os.kill(p.pid, signal.SIGINT)
    deadline = time.time() + 15
    for p in procs:
        p.join(timeout=max(0.1, deadline - time.time()))
        if p.is_alive():
            p.terminate()
            p.join(timeout=5)
