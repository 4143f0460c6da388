"""WHO runs: inline in this process, a pool of local processes, or Ray tasks; every loop goes
through one worker session (``executors/worker.py``)."""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from caviar.errors import UsageError
from caviar.executors.loop import LoopSettings, run_loop
from caviar.executors.progress import ProgressView
from caviar.executors.worker import WorkerSession

if TYPE_CHECKING:
    from caviar.study import Study


def _positive_int(name: str, v: Any, fix: str) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or v <= 0:
        raise UsageError(f"{name}: must be an integer >= 1, got {name}={v!r}; {fix}")
    return v


def run_study(study: Study, objective: Any, *, n_trials: int | None, timeout: float | None,
              workers: int, stop_on_error: bool, progress: bool, heartbeat: float,
              stale_after: float, callbacks: Sequence[Any], backend: str = "local",
              ray: Any = None) -> None:
    if not callable(objective):
        raise UsageError(f"objective: must be callable as objective(trial), got {objective!r}")
    if n_trials is None and timeout is None:
        raise UsageError("optimize: give n_trials, timeout, or both; e.g. n_trials=100")
    if n_trials is not None:
        _positive_int("n_trials", n_trials, "e.g. n_trials=100")
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, int | float)
                                or not math.isfinite(timeout) or timeout <= 0):
        raise UsageError(f"timeout: must be a positive, finite number of seconds, got "
                         f"timeout={timeout!r}; e.g. timeout=3600, or None for no limit")
    _positive_int("workers", workers, "use workers=1 for this process only")
    if backend not in ("local", "ray"):
        raise UsageError(f"backend: must be 'local' or 'ray', got backend={backend!r}")
    if not (isinstance(heartbeat, int | float) and isinstance(stale_after, int | float)
            and math.isfinite(heartbeat) and math.isfinite(stale_after)) \
            or heartbeat <= 0 or stale_after <= heartbeat:
        raise UsageError(f"heartbeat: needs 0 < heartbeat < stale_after, got heartbeat="
                         f"{heartbeat!r}, stale_after={stale_after!r}; e.g. 5 and 30")
    if backend == "ray" and not study.storage.shared_between_processes:
        raise UsageError(f"backend='ray': needs a storage every Ray worker can reach, got "
                         f"{study.storage.url!r}; use PostgreSQL (or SQLite on one machine)")
    if workers > 1 and not study.storage.shared_between_processes:
        raise UsageError(f"workers={workers}: needs a storage shared between processes, got "
                         f"{study.storage.url!r}; use storage='sqlite:///caviar.db'")
    cap = n_trials if n_trials is not None else 2**62
    capacity = study.sampler.capacity(study.space)
    if capacity is not None:
        cap = min(cap, capacity)
    settings = LoopSettings(
        n_trials=cap, deadline=None if timeout is None else time.time() + timeout,
        stop_on_error=stop_on_error, heartbeat=heartbeat, stale_after=stale_after,
        callbacks=tuple(callbacks))
    done, best = study.storage.progress(study.id, study.direction)
    view = ProgressView(study.name, study.direction, cap if n_trials else 0, done, best,
                        enabled=progress)
    try:
        if backend == "ray":
            from caviar.executors.ray_backend import RayOptions, run_ray

            run_ray(study, objective, settings, workers, view, ray or RayOptions())
        elif workers == 1:
            run_loop(study, objective, settings, on_tell=view.told, on_wait=view.waiting)
        else:
            from caviar.executors.processes import run_processes

            run_processes(study, objective, settings, workers, view)
    finally:
        view.close()


__all__ = ["LoopSettings", "WorkerSession", "run_loop", "run_study"]
