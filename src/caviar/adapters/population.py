"""Tune caviar.nn networks a whole population at a time.

``tune_population(study, data=..., n_trials=..., population=64)`` asks the study for up to
``population`` trials, trains them as ONE batched PyTorch program (``caviar.nn``), reports
every member's validation accuracy per epoch as the trial's learning curve, lets the study's
pruner stop members per epoch (their compute is saved), and tells each trial its final
validation accuracy. A member that diverges fails on its own; the others carry on. Each
member's init seed is its trial number, so a seeded study reproduces.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from caviar.adapters.member_pruning import members_to_stop
from caviar.adapters.objectives import (
    MLP_OBJECTIVES,
    check_objectives,
    check_study,
    member_measures,
    values_of,
)
from caviar.errors import UsageError
from caviar.executors.worker import WorkerSession
from caviar.space import Choice, Float, Int
from caviar.trial_record import FAIL, MAXIMIZE, PRUNED

if TYPE_CHECKING:
    from caviar.study import Study

#: the lecture's tuning space for the built-in network (Adam; batch norm before activations)
MLP_SPACE: dict[str, Any] = {
    "lr": Float(1e-4, 1e-1, scale="log"),
    "beta1": Float(0.8, 0.99, scale="reverse_log"),
    "beta2": Float(0.99, 0.9999, scale="reverse_log"),
    "hidden": Int(16, 256, scale="log"),
    "depth": Int(1, 3),
    "batch_size": Choice([32, 64, 128, 256]),
    "bn_beta": Float(0.8, 0.999, scale="reverse_log"),
}
MLP_FIXED: dict[str, Any] = {"optimizer": "adam", "batch_norm": True, "epochs": 20}
#: PBT explores hyperparameters a member can change while it trains; the shape stays fixed
PBT_SPACE: dict[str, Any] = {
    "lr": Float(1e-4, 1e-1, scale="log"),
    "beta1": Float(0.8, 0.99, scale="reverse_log"),
    "beta2": Float(0.99, 0.9999, scale="reverse_log"),
    "bn_beta": Float(0.8, 0.999, scale="reverse_log"),
}
PBT_FIXED: dict[str, Any] = {"hidden": 64, "depth": 2, "batch_size": 64}


def tune_population(study: Study, *, data: Any = "digits", n_trials: int,
                    population: int = 64, fixed: Mapping[str, Any] | None = None,
                    device: str = "cpu", dtype: Any = None, threads: int | None = None,
                    heartbeat: float = 5.0, stale_after: float = 30.0, data_seed: int = 0,
                    on_population: Callable[[int, int], None] | None = None,
                    scheduler: Any = None, objectives: Sequence[str] | None = None) -> Study:
    """Run populations until the study holds ``n_trials`` trials that count.

    ``data``: a caviar.nn data set name ('digits', 'mnist5k', 'mnist1d') or a
    ``caviar.nn.Dataset``. ``fixed``: hyperparameters every member shares (default: Adam,
    batch norm, 20 epochs). The study's declared space (or ``MLP_SPACE``) supplies the rest.
    ``scheduler``: a caviar.schedulers PBT, ASHA or Halving run inside each population
    (adapters/schedule.py; docs/schedulers.md); the study's pruner is then not used.
    ``objectives``: what each trial is told, e.g. ``["val_accuracy", "n_params"]`` for a study
    with ``directions=["maximize", "minimize"]`` (adapters/objectives.py; every member records
    n_params, flops and train_seconds in its user attrs either way).
    """
    try:
        import torch

        from caviar import nn
    except ImportError:
        raise UsageError("tune_population needs PyTorch: pip install torch==2.13.0 "
                         "'caviar[torch]'") from None
    names = tuple(objectives) if objectives is not None else ("val_accuracy",)
    if objectives is not None:
        check_study(study, names, check_objectives(names, MLP_OBJECTIVES))
        if scheduler is not None and names != ("val_accuracy",):
            raise UsageError(f"objectives {list(names)}: a population scheduler ranks members "
                             "by validation accuracy alone; drop the scheduler or tune "
                             "objectives=['val_accuracy']")
    elif study.direction != MAXIMIZE or study.is_multi_objective:
        raise UsageError(f"study {study.name!r}: population tuning maximizes validation "
                         f"accuracy, got direction={study.direction!r}; create it with "
                         "direction='maximize'")
    for name, v in (("n_trials", n_trials), ("population", population)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise UsageError(f"{name}: must be an integer >= 1, got {name}={v!r}")
    fixed = {**MLP_FIXED, **(fixed or {})}
    unknown = set(fixed) - set(nn.ALLOWED_KEYS)
    if unknown:
        raise UsageError(f"fixed: unknown hyperparameters {sorted(unknown)}; allowed: "
                         f"{', '.join(nn.ALLOWED_KEYS)}")
    bad = [n for n in study.space if n not in nn.ALLOWED_KEYS]
    if bad:
        raise UsageError(f"study {study.name!r}: params {bad} are not caviar.nn "
                         f"hyperparameters; allowed: {', '.join(nn.ALLOWED_KEYS)}")
    # check the fixed part once, before any trial starts (bad input never costs a trial)
    nn.parse_config({**fixed, **{n: p.value(0.5) for n, p in study.declared.items()}})
    if scheduler is not None:
        from caviar.adapters.schedule import check_scheduler, train_scheduled

        check_scheduler(scheduler, study.declared, fixed)
    dataset = data if isinstance(data, nn.Dataset) else nn.load_dataset(str(data),
                                                                        seed=data_seed)
    session = WorkerSession(study, heartbeat=heartbeat, stale_after=stale_after,
                            cap=n_trials)
    with session:
        for trials in session.populations(population, on_population):
            if scheduler is not None:
                train_scheduled(session, trials, dataset, fixed, device,
                                dtype or torch.float32, threads, scheduler, study.declared,
                                data_seed=data_seed)
                continue
            _train_one_population(session, trials, dataset, fixed, device,
                                  dtype or torch.float32, threads, names)
    return study


def _train_one_population(session: WorkerSession, trials: list[Any], data: Any,
                          fixed: dict[str, Any], device: str, dtype: Any,
                          threads: int | None,
                          objectives: tuple[str, ...] = ("val_accuracy",)) -> None:
    from caviar import nn

    study = session.study
    configs = [{**fixed, **t.params, "seed": t.number} for t in trials]
    pruner = study.pruner
    finished = study.curves.others(running=False) if pruner is not None else []
    stopped: dict[int, str] = {}

    def on_epoch(epoch: int, reports: list[Any]) -> set[int] | None:
        for r in reports:
            v = r.val_accuracy
            if v == v:  # NaN: the member failed; its trial fails at the end
                trials[r.member].report(float(v), epoch)
        if pruner is None:
            return None
        return members_to_stop(pruner, trials, [r.member for r in reports if r.alive],
                               finished, stopped, epoch)

    from caviar.adapters.schedule_watch import MemberWatch

    watch = MemberWatch(study.storage, trials, study.declared)  # caviar nudge/pause/stop
    watch.declare(configs)

    def control(epoch: int, reports: list[Any], pop: Any) -> None:
        if epoch >= 0:
            watch.poll(epoch, pop)

    started = time.perf_counter()
    result = nn.train_population(configs, data, device=device, dtype=dtype,
                                 on_epoch=on_epoch, threads=threads, control=control)
    wall = time.perf_counter() - started
    per_trial = wall / max(1, len(trials))
    measured = member_measures(result.members, wall)
    for i, (t, m) in enumerate(zip(trials, result.members, strict=True)):
        for k, v in measured[i].items():
            t.set_user_attr(k, v)
        t.set_user_attr("val_accuracy", m.val_accuracy if m.history else None)
        t.set_user_attr("train_loss", m.train_loss if m.history else None)
        t.set_user_attr("epochs_trained", m.epochs_trained)
        t.system_attrs["population_size"] = len(trials)
        t.system_attrs["population_seconds_per_trial"] = per_trial
        if m.state == "failed":
            session.tell(t, state=FAIL, error=m.error or "diverged")
        elif m.state == "stopped" or i in stopped:
            t.system_attrs["pruned_because"] = stopped.get(i, "stopped")
            session.tell(t, state=PRUNED)
        elif objectives == ("val_accuracy",):
            session.tell(t, float(m.val_accuracy))
        else:
            session.tell(t, values_of(objectives, "val_accuracy", m.val_accuracy, measured[i]))
