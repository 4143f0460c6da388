"""caviar.torch populations as Ray tasks: ``optimize(..., backend="ray")``.

The driver asks the study for a population of trials (so history-based samplers see every
result), keeps up to ``workers`` populations in flight, and heartbeats their trials until
their task ends. Each Ray task trains one whole population on the resources it was given
(``cpus_per_trial`` and ``gpus_per_trial`` of ``RayOptions`` are per population), reports
every member's curve, saves its checkpoints and tells every trial itself: the storage is the
one source of truth. A task whose Ray worker dies is retried by Ray on the same trials (they
resume from their last epoch checkpoints); when Ray's retries are spent, the driver fails
the trials uncounted, and the study retries them as new trials (resuming the same way).
The member function travels by value (cloudpickle) or, from the CLI, as a ``FILE.py:NAME``
reference loaded in the worker; the data travel once through Ray's object store.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from caviar.errors import UsageError
from caviar.executors.worker import WorkerSession, release_trials
from caviar.trial_record import RUNNING

if TYPE_CHECKING:
    from caviar.adapters.torch_population import PopulationSettings
    from caviar.study import Study


def _population_task(url: str, name: str, sampler: dict[str, Any], pruner: Any,
                     trial_ids: list[int], proposed: dict[int, Any], member_fn: Any,
                     data: Any, settings: PopulationSettings, liveness: tuple[float, float],
                     threads: int) -> dict[str, Any]:
    """One population inside a Ray task; returns what it ran."""
    import torch

    from caviar.adapters.torch_population import run_population
    from caviar.study import load_study

    torch.set_num_threads(threads)
    study = load_study(name, storage=url, sampler=sampler, pruner=pruner)
    session = WorkerSession(study, heartbeat=liveness[0], stale_after=liveness[1])
    trials = []
    try:
        for tid in trial_ids:
            record = study.storage.get_trial(tid)
            if record is None or record.state != RUNNING:  # reaped or finished meanwhile
                continue
            params, attrs = proposed[tid]
            t = session.adopt(record, params)
            t.system_attrs.update(attrs)  # a retry's retry_of_id: where it resumes from
            t.system_attrs["ray_worker"] = study.worker  # host:pid of the process that ran it
            trials.append(t)
        if trials:
            run_population(session, trials, member_fn, data, settings,
                           on_groups=lambda labels: print(
                               f"population: {len(labels)} program(s): " + "; ".join(labels),
                               file=sys.stderr, flush=True))
    finally:
        for t in trials:
            session.drop(t)
        session.close()
    return {"trials": len(trials), "worker": study.worker}


def run_populations_ray(study: Study, member_fn: Any, data: Any, settings: PopulationSettings,
                        *, population: int, n_trials: int, workers: int, options: Any,
                        heartbeat: float, stale_after: float,
                        on_population: Callable[[int, int], None] | None = None) -> None:
    from caviar.executors.ray_backend import RayOptions, ray_task

    opts = options if options is not None else RayOptions()
    if not isinstance(opts, RayOptions):
        raise UsageError(f"ray: must be a caviar.executors.ray_backend.RayOptions, got "
                         f"{type(opts).__name__}; e.g. ray=RayOptions(cpus_per_trial=2)")
    if opts.cpus_per_trial <= 0 or opts.gpus_per_trial < 0 or opts.max_retries < 0:
        raise UsageError(f"ray: needs cpus_per_trial > 0, gpus_per_trial >= 0 and "
                         f"max_retries >= 0, got {opts.cpus_per_trial}, "
                         f"{opts.gpus_per_trial}, {opts.max_retries}")
    ray, task = ray_task(study, _population_task, opts)
    fixed = (study.storage.url, study.name, study.sampler.to_json(), study.pruner,
             ray.put(member_fn), ray.put(data), settings, (heartbeat, stale_after),
             max(1, int(opts.cpus_per_trial)))
    session = WorkerSession(study, heartbeat=heartbeat, stale_after=stale_after, cap=n_trials)
    with session:
        _drive(session, task, fixed, population, workers, opts, ray, on_population)


def _drive(session: WorkerSession, task: Any, fixed: tuple[Any, ...], population: int,
           workers: int, opts: Any, ray: Any,
           on_population: Callable[[int, int], None] | None) -> None:
    url, name, sampler, pruner, member_ref, data_ref, settings, liveness, threads = fixed
    study = session.study
    in_flight: dict[Any, list[Any]] = {}
    round_ = 0
    session.maintain(force=True)
    try:
        while True:
            while len(in_flight) < workers:
                trials = session.ask(population)
                if not trials:
                    break
                round_ += 1
                if on_population is not None:
                    on_population(round_, len(trials))
                for t in trials:     # the task runs and tells them; this process keeps
                    study.hand_off(t)  # heartbeating them until the task ends
                ref = task.remote(url, name, sampler, pruner, [t.id for t in trials],
                                  {t.id: (t.proposal(), _retry_attrs(t)) for t in trials},
                                  member_ref,
                                  data_ref, settings, liveness, threads)
                in_flight[ref] = trials
            if not in_flight:
                return
            ready, _ = ray.wait(list(in_flight), num_returns=1, timeout=0.5)
            for ref in ready:
                trials = in_flight.pop(ref)
                for t in trials:
                    session.drop(t)
                try:
                    ray.get(ref)
                except ray.exceptions.RayTaskError as e:  # the task itself raised
                    cause = e.cause if getattr(e, "cause", None) is not None else e
                    _fail(study, trials, f"population task failed: {type(cause).__name__}")
                    if isinstance(cause, UsageError):
                        raise UsageError(str(cause)) from None
                    raise UsageError(
                        f"backend='ray': the population task failed in the Ray worker "
                        f"({type(cause).__name__}: {_first_line(cause)}); "
                        "make the member function importable there (a module on the "
                        "workers' path, or FILE.py:NAME from the CLI)") from None
                except Exception as e:  # the worker died and Ray's retries are spent
                    _fail(study, trials, f"Ray worker lost {opts.max_retries + 1} times "
                          f"({type(e).__name__}); slot re-issued")
            session.maintain()
    finally:
        for ref, trials in in_flight.items():  # an error or Ctrl-C: stop the rest
            ray.cancel(ref, force=True)
            _fail(study, trials, "population cancelled before it finished; its slots are "
                  "issued again on resume")
            for t in trials:
                session.drop(t)


def _fail(study: Study, trials: list[Any], why: str) -> None:
    """The trials of a population that did not finish: failed, uncounted (retried)."""
    release_trials(study.storage, [study.storage.get_trial(t.id) for t in trials], why)


def _first_line(e: BaseException) -> str:
    lines = [ln for ln in str(e).splitlines() if ln.strip()]
    return lines[0][:300] if lines else ""


def _retry_attrs(t: Any) -> dict[str, Any]:
    return {k: t.system_attrs[k] for k in ("retry_of", "retry_of_id", "attempt")
            if k in t.system_attrs}
