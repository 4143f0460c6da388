"""A pool of local worker processes sharing one study through its storage.

Each process runs the worker loop. The parent shows progress, replaces a worker that died
(the survivors reap its trial at once: its process is gone), and on Ctrl-C or SIGTERM asks
the workers to stop, so every trial either finishes or is marked interrupted and re-issued
later. Workers that cannot use the storage, or keep dying, stop the run with exit 1.
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

from caviar.errors import SpaceError, StorageError, UsageError, WorkersFailedError
from caviar.executors.loop import LoopSettings, run_loop
from caviar.executors.worker import Terminated, block_signals, sigterm_as_interrupt
from caviar.trial_record import FAIL, RUNNING

if TYPE_CHECKING:
    from caviar.executors.progress import ProgressView
    from caviar.study import Study


BAD_SPACE_EXIT = 3  # a worker's exit status when a param definition is bad
STORAGE_EXIT = 4    # a worker's exit status when it cannot use the storage
TERMINATED_EXIT = 143


@dataclass
class WorkerJob:
    storage_url: str
    study_name: str
    sampler: dict[str, Any]
    objective: Any
    settings: LoopSettings
    pruner: Any = None
    constraints: Any = None  # the study's constraints callable (not stored with the study)


def worker_main(job: WorkerJob) -> None:
    from caviar.study import load_study

    study = None
    try:
        study = load_study(job.study_name, storage=job.storage_url, sampler=job.sampler,
                           pruner=job.pruner, constraints=job.constraints)
        run_loop(study, job.objective, job.settings)
    except Terminated:
        sys.exit(TERMINATED_EXIT)
    except KeyboardInterrupt:  # the session released this worker's trials
        sys.exit(130)
    except SpaceError as e:  # a bad param definition: the parent stops the pool and raises
        print(f"caviar worker: {e}", file=sys.stderr)
        sys.exit(BAD_SPACE_EXIT)
    except StorageError as e:  # the parent stops the pool and says why
        print(f"caviar worker: {e}", file=sys.stderr)
        sys.exit(STORAGE_EXIT)
    except Exception as e:
        if _storage_failure(e):
            print(f"caviar worker: storage {job.storage_url}: {type(e).__name__}: "
                  f"{str(e).splitlines()[0][:300]}", file=sys.stderr)
            sys.exit(STORAGE_EXIT)
        raise


def _storage_failure(e: BaseException) -> bool:
    """A database error that the storage did not translate (disk full, read-only file)."""
    mod = type(e).__module__ or ""
    return mod.startswith(("sqlite3", "sqlalchemy", "psycopg"))


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
                    study.pruner, study.constraints)
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
    codes: list[int] = []
    try:
        with sigterm_as_interrupt():
            while True:
                # wake when a worker exits; otherwise refresh the progress bar once a second
                wait([p.sentinel for p in procs], timeout=1.0 if view.enabled else 5.0)
                done = _progress(study, done, view)
                if view.enabled:  # say why the run idles: a silent trial not yet lost
                    view.waiting(_waiting_for(study, settings))
                alive = []
                for p in procs:
                    if p.is_alive():
                        alive.append(p)
                        continue
                    code = p.exitcode
                    if code == BAD_SPACE_EXIT:
                        raise SpaceError(_space_error(study))
                    if code == STORAGE_EXIT:
                        raise WorkersFailedError(
                            f"storage {study.storage.url}: a worker could not write to it "
                            "(its message is above); the pool stopped with "
                            f"{done} of {settings.n_trials} trials; fix the cause, then run "
                            "the same command again to resume")
                    if code not in (0, None) and done < settings.n_trials:
                        codes.append(int(code))
                        if settings.stop_on_error and code == 1:
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
    deadline_passed = settings.deadline is not None and time.time() >= settings.deadline
    if done < settings.n_trials and codes and not deadline_passed:
        raise WorkersFailedError(
            f"study {study.name!r}: the workers kept dying (exit codes {codes[-6:]}) and the "
            f"pool stopped with {done} of {settings.n_trials} trials; see the workers' "
            "messages above, fix the cause, then run the same command again to resume")


def _waiting_for(study: Study, settings: LoopSettings) -> str:
    """What the pool waits for when every slot is taken: silent trials not yet lost."""
    try:
        running, _ = study.storage.get_trials(study.id, states=[RUNNING])
    except StorageError:
        return ""
    now = time.time()
    quiet = [t for t in running if now - (t.heartbeat_at or t.created_at) > 2 * settings.heartbeat]
    if not quiet:
        return ""
    age = max(now - (t.heartbeat_at or t.created_at) for t in quiet)
    return (f"waiting: {len(quiet)} trial(s) silent for {age:.0f} s; lost at "
            f"{settings.stale_after:g} s (--stale-after)")


def _progress(study: Study, done: int, view: ProgressView) -> int:
    try:
        done, best = study.storage.progress(study.id, study.direction)
    except StorageError:
        return done  # the workers report the storage's trouble
    view.set(done, best)
    return done


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
    """Ask every worker to stop (each releases its trials), then wait for them."""
    with block_signals():
        for p in procs:
            if p.is_alive() and p.pid:
                os.kill(p.pid, signal.SIGINT)
        deadline = time.time() + 15
        for p in procs:
            p.join(timeout=max(0.1, deadline - time.time()))
            if p.is_alive():
                p.terminate()
                p.join(timeout=5)
