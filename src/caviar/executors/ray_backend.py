"""Run trials as Ray tasks on a Ray cluster; the study's storage stays the source of truth.

The driver samples (so history-based samplers see every result) and keeps up to ``workers``
tasks in flight. Each task rebuilds the trial from storage and the trial's random stream
(seed, number), runs the objective, heartbeats while it runs, and tells the result itself.
A task whose Ray worker dies is retried by Ray (``max_retries``) on the same trial; when the
retries are spent the driver marks the trial failed (not counted) so its slot is re-issued.
The storage must be reachable from every Ray node (PostgreSQL for a real cluster; SQLite for
a cluster on one machine).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from caviar.errors import UsageError
from caviar.executors.loop import LoopSettings
from caviar.executors.worker import WorkerSession
from caviar.trial_record import FAIL, RUNNING

if TYPE_CHECKING:
    from caviar.executors.progress import ProgressView
    from caviar.study import Study


@dataclass(frozen=True)
class RayOptions:
    address: str | None = None          # None: start or reuse a local Ray; "auto"; ray://h:p
    cpus_per_trial: float = 1.0
    gpus_per_trial: float = 0.0
    max_retries: int = 3                # retries of a trial whose Ray worker died


_SESSIONS: dict[tuple[str, str], Any] = {}  # per Ray worker process: one session a study


def _run_trial(url: str, name: str, sampler: dict[str, Any], trial_id: int,
               proposed: dict[str, Any], objective: Any, settings: LoopSettings,
               constraints: Any = None) -> str:
    """One trial inside a Ray task. Returns the trial's end state."""
    from caviar.executors.loop import _run_one
    from caviar.executors.worker import WorkerSession
    from caviar.study import load_study

    key = (url, name)
    session = _SESSIONS.get(key)
    if session is None:  # the study's stored seed gives the trial its driver's stream
        study = load_study(name, storage=url, sampler=sampler, constraints=constraints)
        session = _SESSIONS[key] = WorkerSession(study, heartbeat=settings.heartbeat,
                                                 stale_after=settings.stale_after)
    record = session.study.storage.get_trial(trial_id)
    if record is None or record.state != RUNNING:  # reaped, or finished by an earlier attempt
        return "gone"
    trial = session.adopt(record, proposed)
    trial.system_attrs["ray_worker"] = session.study.worker  # host:pid of the process that ran it
    try:
        frozen, _ = _run_one(session, objective, trial, settings, lambda: 0)
    finally:
        session.drop(trial)
        session.study.flush()
    return frozen.state if frozen is not None else "lost"


def ray_task(study: Study, fn: Any, options: RayOptions) -> tuple[Any, Any]:
    """``(ray, fn as a Ray task)`` on ``options``' resources, retried ``max_retries`` times
    when its worker dies (never when it raises). Refuses a storage the Ray workers cannot
    reach; starts (or joins, ``address``) Ray when it is not running yet."""
    try:
        import ray
    except ImportError:
        raise UsageError("backend='ray' needs Ray: pip install 'caviar[ray]'") from None
    if not study.storage.shared_between_processes:
        raise UsageError(f"backend='ray': needs a storage every Ray worker can reach, got "
                         f"{study.storage.url!r}; use PostgreSQL (or SQLite on one machine)")
    if not ray.is_initialized():
        ray.init(address=options.address, include_dashboard=False, log_to_driver=True,
                 configure_logging=False)
    task = ray.remote(num_cpus=options.cpus_per_trial, num_gpus=options.gpus_per_trial,
                      max_retries=options.max_retries, retry_exceptions=False)(fn)
    return ray, task


def run_ray(study: Study, objective: Any, settings: LoopSettings, workers: int,
            view: ProgressView, options: RayOptions) -> None:
    ray, task = ray_task(study, _run_trial, options)
    objective_ref = ray.put(objective)
    sampler = study.sampler.to_json()
    in_flight: dict[Any, int] = {}
    session = WorkerSession(study, heartbeat=settings.heartbeat,
                            stale_after=settings.stale_after, cap=settings.n_trials)
    try:
        _drive(session, task, objective_ref, sampler, settings, workers, view, options,
               in_flight, ray)
    finally:
        session.close()


def _drive(session: WorkerSession, task: Any, objective_ref: Any, sampler: dict[str, Any],
           settings: LoopSettings, workers: int, view: ProgressView, options: RayOptions,
           in_flight: dict[Any, int], ray: Any) -> None:
    study = session.study
    while True:
        # twice the workers in flight: Ray queues the extra tasks, hiding its scheduling latency
        open_slots = 2 * workers - len(in_flight)
        expired = settings.deadline is not None and time.time() >= settings.deadline
        if open_slots > 0 and not expired:
            for t in session.ask(open_slots):
                session.drop(t)     # the task heartbeats and tells it, not this process
                study.hand_off(t)
                ref = task.remote(study.storage.url, study.name, sampler, t.id,
                                  t.proposal(), objective_ref, settings, study.constraints)
                in_flight[ref] = t.id
        if not in_flight:
            break
        ready, _ = ray.wait(list(in_flight), num_returns=1, timeout=0.5)
        for ref in ready:
            trial_id = in_flight.pop(ref)
            try:
                ray.get(ref)
            except ray.exceptions.RayTaskError as e:
                # the task itself raised (objective errors are caught inside it): the
                # objective cannot even be loaded there. Every trial would fail the same way.
                cause = e.cause if getattr(e, "cause", None) is not None else e
                study.storage.finish_trials([_lost(trial_id, 0, cause)])
                for other, tid in in_flight.items():
                    ray.cancel(other, force=True)
                    study.storage.finish_trials([_lost(tid, 0, cause)])
                raise UsageError(
                    f"backend='ray': the trial task failed in the Ray worker "
                    f"({type(cause).__name__}: {str(cause).splitlines()[-1][:300]}); make the "
                    "objective importable there (define it in a module on the workers' path, "
                    "or pass runtime_env to ray.init)") from None
            except Exception as e:
                study.storage.finish_trials([_lost(trial_id, options.max_retries, e)])
        session.maintain()
        view.set(*_progress(study))


def _lost(trial_id: int, retries: int, e: BaseException) -> Any:
    from caviar.trial_record import TrialUpdate

    return TrialUpdate(trial_id, FAIL, error=f"Ray worker lost {retries + 1} times "
                       f"({type(e).__name__}); slot re-issued", counted=False)


def _progress(study: Study) -> tuple[int, float | None]:
    return study.storage.progress(study.id, study.direction)
