"""Tune the user's own ``torch.nn.Module`` a whole population at a time (caviar.torch).

``optimize(study, member_fn, train=..., val=...)`` asks the study for up to ``population``
trials, calls ``member_fn(trial)`` for each (define-by-run: it calls ``trial.suggest_*`` and
returns a ``caviar.torch.Member``), trains them with ``caviar.torch.train_population``,
reports each member's validation metric every epoch as its trial's learning curve, lets the
study's pruner stop members per epoch (they are compacted out of the program), saves each
member's trained ``state_dict`` as its trial's checkpoint (.npz, never pickled), and tells
every trial. A member that diverges fails alone. ``load_model`` rebuilds a trial's module and
loads its weights. ``member_fn`` runs under ``torch.manual_seed(trial.number)``, so a model
built there is initialised reproducibly per trial.
"""

from __future__ import annotations

import os
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from caviar.adapters import objectives as measure
from caviar.adapters import torch_resume
from caviar.adapters.member_pruning import members_to_stop
from caviar.errors import UsageError
from caviar.executors.worker import WorkerSession
from caviar.trial_record import FAIL, PRUNED

if TYPE_CHECKING:
    from caviar.study import Study


def _need_torch() -> Any:
    try:
        import torch
    except ImportError:
        raise UsageError("caviar.torch needs PyTorch: pip install torch==2.13.0 "
                         "'caviar[torch]'") from None
    return torch


def _build(member_fn: Callable[[Any], Any], trial: Any, number: int) -> Any:
    """``member_fn(trial)`` under ``torch.manual_seed(number)``, checked to be a Member."""
    torch = _need_torch()
    from caviar.torch import Member

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(number)
        m = member_fn(trial)
    if not isinstance(m, Member):
        name = getattr(member_fn, "__name__", None) or getattr(member_fn, "spec", repr(member_fn))
        raise UsageError(f"member function {name}: must return a caviar.torch.Member, got "
                         f"{type(m).__name__}; end it with return ct.Member(model, lr=...)")
    return m


@dataclass(frozen=True)
class PopulationSettings:
    """How every population of one ``optimize`` call trains (picklable: a Ray task gets it)."""

    loss: Any = "cross_entropy"
    metric: Any = "accuracy"
    epochs: int = 10
    device: str = "cpu"
    dtype: Any = None
    seed: int = 0
    checkpoint: bool = True
    unbatchable: str = "refuse"
    batch_order: str = "shared"
    precision: str = "fp32"
    objectives: tuple[str, ...] | None = None  # what each trial is told (adapters/objectives)
    scheduler: Any = None  # a caviar.schedulers.PBT (local backend only; torch_schedule.py)


def optimize(study: Study, member_fn: Callable[[Any], Any], *, train: Any, val: Any,
             loss: Any = "cross_entropy", metric: Any = "accuracy", epochs: int = 10,
             population: int = 32, n_trials: int = 128, device: str = "cpu",
             dtype: Any = None, seed: int = 0, checkpoint: bool = True,
             unbatchable: str = "refuse", batch_order: str = "shared",
             precision: str = "fp32", heartbeat: float = 5.0, stale_after: float = 30.0,
             backend: str = "local", workers: int = 1, ray: Any = None,
             on_population: Callable[[int, int], None] | None = None,
             on_groups: Callable[[list[str]], None] | None = None,
             objectives: Sequence[str] | None = None, scheduler: Any = None) -> Study:
    """Run populations until the study holds ``n_trials`` trials that count.

    ``objectives``: what each trial is told, e.g. ``["metric", "n_params"]`` for a study with
    ``directions=["maximize", "minimize"]``: ``metric``, ``n_params``, ``flops`` (forward
    FLOPs per example, FlopCounterMode on one example) or ``train_seconds`` (the population's
    time split by flops x epochs); every member records the last three in its user attrs.

    ``train``/``val``: ``(x, y)`` tensors, a torch Dataset or a DataLoader. ``seed``: the
    batch order and Dropout masks of every population. ``on_groups(labels)``: the programs
    each population forms (a progress line). ``backend="ray"``: each population is one Ray
    task (``workers`` of them at a time, each on ``ray=RayOptions(cpus_per_trial=...,
    gpus_per_trial=...)``, the resources of one population); the storage stays the one
    source of truth. ``unbatchable="one_at_a_time"``: a group whose module torch.func
    cannot batch trains member by member instead of being refused.
    ``batch_order="per_member"``: each trial sees the data in its own order (its
    ``Member.order_seed``, default the trial's number); "shared": one order per population.
    ``precision="bf16"``: forward and loss under CUDA bf16 autocast (float32 parameters).
    ``scheduler=caviar.schedulers.PBT(...)``: PBT inside each population, exploring the
    optimizer hyperparameters lr, beta1, beta2, eps (adapters/torch_schedule.py).
    """
    torch = _need_torch()
    from caviar.torch.data import as_tensors
    from caviar.torch.losses import DIRECTIONS, resolve_loss, resolve_metric

    for name, v in (("n_trials", n_trials), ("population", population), ("epochs", epochs),
                    ("workers", workers)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise UsageError(f"{name}: must be an integer >= 1, got {name}={v!r}")
    if backend not in ("local", "ray"):
        raise UsageError(f"backend: must be 'local' or 'ray', got backend={backend!r}")
    if backend == "local" and workers != 1:
        raise UsageError(f"workers={workers}: several workers need backend='ray' here (or "
                         "run several processes on one shared storage)")
    if not callable(member_fn):
        raise UsageError(f"member_fn: must be a function trial -> caviar.torch.Member, got "
                         f"{type(member_fn).__name__}")
    resolve_metric(metric, resolve_loss(loss))
    from caviar.torch.engine import BATCH_ORDERS, UNBATCHABLE

    for what, choice, ok in (("unbatchable", unbatchable, UNBATCHABLE),
                             ("batch_order", batch_order, BATCH_ORDERS)):
        if choice not in ok:
            raise UsageError(f"{what}: must be one of {', '.join(map(repr, ok))}, got "
                             f"{what}={choice!r}")
    from caviar.torch.engine import check_precision
    from caviar.torch.optim import as_device

    check_precision(precision, as_device(device), dtype or torch.float32)
    want = DIRECTIONS.get(metric) if isinstance(metric, str) else None
    names = tuple(objectives) if objectives is not None else None
    if names is not None:
        allowed = measure.torch_objectives(want, study.directions, names)
        measure.check_study(study, names, measure.check_objectives(names, allowed))
    elif want is not None and (study.direction != want or study.is_multi_objective):
        raise UsageError(f"study {study.name!r}: metric={metric!r} is to {want}, got "
                         f"direction={study.direction!r}; create the study with "
                         f"direction={want!r}")
    if scheduler is not None:
        from caviar.adapters.torch_schedule import check_torch_scheduler

        check_torch_scheduler(scheduler, backend=backend, pruner=study.pruner,
                              objectives=names)
    data = (as_tensors(train, "train"), as_tensors(val, "val"))  # read once, before trials
    settings = PopulationSettings(loss=loss, metric=metric, epochs=epochs, device=device,
                                  dtype=dtype or torch.float32, seed=seed,
                                  checkpoint=checkpoint, unbatchable=unbatchable,
                                  batch_order=batch_order, precision=precision,
                                  objectives=names, scheduler=scheduler)
    if backend == "ray":
        from caviar.adapters.torch_ray import run_populations_ray

        run_populations_ray(study, member_fn, data, settings, population=population,
                            n_trials=n_trials, workers=workers, options=ray,
                            heartbeat=heartbeat, stale_after=stale_after,
                            on_population=on_population)
        return study
    session = WorkerSession(study, heartbeat=heartbeat, stale_after=stale_after, cap=n_trials)
    with session:
        for trials in session.populations(population, on_population):
            run_population(session, trials, member_fn, data, settings, on_groups=on_groups)
    return study


def _abort(session: WorkerSession, trials: list[Any], err: Exception) -> None:
    """Bad input found before training: free every slot (uncounted), then raise."""
    for t in trials:
        session.tell(t, state=FAIL, error=f"not run: {err}", counted=False)
    raise err


def run_population(session: WorkerSession, trials: list[Any], member_fn: Any,
                   data: tuple[Any, Any], settings: PopulationSettings, *,
                   on_groups: Any = None) -> None:
    """Train ``trials`` (started, held by ``session``) as one population and tell each.
    Trials that resume (a retry after a crash) train from the epoch after their last
    checkpoint, in a population of their own per resume epoch."""
    study = session.study
    members, live, failed = [], [], set()
    for t in trials:
        try:  # a retry is initialised (and ordered) like the trial it retries
            root = int(t.system_attrs.get("retry_of", t.number))
            m = _build(member_fn, t, root)
            if settings.batch_order == "per_member" and m.order_seed is None:
                m.order_seed = root
            members.append(m)
            live.append(t)
        except UsageError as e:
            _abort(session, [u for u in trials if u.id not in failed], e)
        except Exception as e:  # the user's code failed for this trial's params only
            tb = traceback.format_exception_only(type(e), e)[-1].strip()
            session.tell(t, state=FAIL, error=f"member function failed: {tb}")
            failed.add(t.id)
    if not live:
        return
    if settings.scheduler is not None:
        try:
            from caviar.adapters.torch_schedule import check_members

            check_members(live, members, _explored(study, live))
        except UsageError as e:
            _abort(session, live, e)
    sizes = measure.module_sizes([m.model for m in members], data[0][0])  # before training
    starts: dict[int, list[int]] = {}
    states: list[dict[str, Any] | None] = []
    for i, t in enumerate(live):
        # under a scheduler a retried member starts afresh (its copies are not replayed)
        found = torch_resume.find(study, t) if settings.checkpoint and \
            settings.scheduler is None else None
        if found is not None:
            torch_resume.adopt(t, *found)
        states.append(found[0] if found is not None else None)
        first = int(found[0]["epochs"]) if found is not None else 0
        starts.setdefault(min(first, settings.epochs), []).append(i)
    started = time.perf_counter()
    outcomes: dict[int, tuple[Any, str, str | None]] = {}
    for first, idx in sorted(starts.items()):
        sub = [live[i] for i in idx]
        if first >= settings.epochs:  # trained to the end before its worker died
            for i in idx:
                outcomes[i] = (_finished(states[i]), "resumed", None)
            continue
        for (m, label, why), i in zip(_train(session, sub, [members[i] for i in idx],
                                             [states[i] for i in idx], first, data, settings,
                                             on_groups), idx, strict=True):
            outcomes[i] = (m, label, why)
    wall = time.perf_counter() - started
    per_trial = wall / len(live)
    measured = measure.sized_measures(sizes, [outcomes[i][0].epochs_trained
                                              for i in range(len(live))], wall)
    told = settings.objectives
    for i, t in enumerate(live):
        m, label, why = outcomes[i]
        for k, v in measured[i].items():
            t.set_user_attr(k, v)
        t.set_user_attr("metric", m.history[-1] if m.history else None)
        t.set_user_attr("train_loss", m.train_loss[-1] if m.train_loss else None)
        t.set_user_attr("epochs_trained", m.epochs_trained)
        t.system_attrs["population_size"] = len(live)
        t.system_attrs["population_group"] = label
        t.system_attrs["population_seconds_per_trial"] = per_trial
        if m.state == "failed":
            session.tell(t, state=FAIL, error=m.error or "diverged")
        elif why is not None:
            t.system_attrs["pruned_because"] = why
            session.tell(t, state=PRUNED)
        elif told is None or told == ("metric",):
            session.tell(t, float(m.metric))
        else:
            session.tell(t, measure.values_of(told, "metric", m.metric, measured[i]))


def _explored(study: Any, trials: list[Any]) -> Any:
    """The space of the params ``trials`` were given (what a scheduler explores)."""
    from caviar.space import Space

    names = sorted({n for t in trials for n in t.params})
    return Space({n: study.space[n] for n in names})


def _finished(state: Any) -> Any:
    from caviar.torch.result import MemberResult

    return MemberResult(history=[float(v) for v in state.get("history") or []],
                        train_loss=[float(v) for v in state.get("train_loss") or []])


def _train(session: WorkerSession, trials: list[Any], members: list[Any],
           states: list[Any], first: int, data: tuple[Any, Any], s: PopulationSettings,
           on_groups: Any) -> list[tuple[Any, str, str | None]]:
    """One ``train_population`` from epoch ``first``: per member (result, its program's
    label, why it was pruned or None)."""
    from caviar import torch as ct

    study = session.study
    pruner = study.pruner
    finished = study.curves.others(running=False) if pruner is not None else []
    stopped: dict[int, str] = {}
    losses: list[list[float]] = [list(st.get("train_loss") or []) if st else [] for st in states]

    def on_epoch(epoch: int, reports: list[Any]) -> set[int]:
        for r in reports:
            if r.alive:
                trials[r.member].report(float(r.metric), epoch)
                losses[r.member].append(float(r.train_loss))
        if pruner is None:
            return set()
        return members_to_stop(pruner, trials, [r.member for r in reports if r.alive],
                               finished, stopped, epoch)

    def on_state(epoch: int, states_now: dict[int, dict[str, Any]]) -> None:
        for i, st in states_now.items():
            t = trials[i]
            history = [t.reports[k] for k in sorted(t.reports)]
            t.checkpoint(torch_resume.payload(st, epoch, history, losses[i]), step=epoch)

    control, run = None, None
    if s.scheduler is not None:
        from caviar.adapters.schedule import ScheduledPopulation
        from caviar.adapters.torch_schedule import make_control
        from caviar.torch.losses import DIRECTIONS

        space = _explored(study, trials)
        run = ScheduledPopulation(session, trials, s.scheduler, space,
                                  run_attrs={"dtype": str(s.dtype).replace("torch.", "")})
        minimize = (DIRECTIONS.get(s.metric) if isinstance(s.metric, str)
                    else study.direction) == "minimize"
        control = make_control(run, space, s.epochs, minimize)
    try:
        result = ct.train_population(members, data[0], data[1], loss=s.loss, metric=s.metric,
                                     epochs=s.epochs, device=s.device, dtype=s.dtype,
                                     seed=s.seed, on_epoch=on_epoch, on_groups=on_groups,
                                     unbatchable=s.unbatchable, batch_order=s.batch_order,
                                     precision=s.precision,
                                     first_epoch=first,
                                     resume=states if any(states) else None,
                                     on_state=on_state if s.checkpoint else None,
                                     control=control)
    except UsageError as e:
        if any(t.reports for t in trials):
            raise
        _abort(session, trials, e)
    if run is not None:
        for i, t in enumerate(trials):
            run.store(i, t.system_attrs)
    return [(m, result.groups[m.group],
             stopped.get(i, "stopped") if m.state == "stopped" or i in stopped else None)
            for i, m in enumerate(result.members)]


class _Replay:
    """A trial-like object answering ``suggest_*`` with one stored trial's params."""

    def __init__(self, number: int, params: dict[str, Any]) -> None:
        self.number = number
        self.params = dict(params)
        self.user_attrs: dict[str, Any] = {}
        self.reports: dict[int, float] = {}

    def _get(self, name: str, *_: Any, **__: Any) -> Any:
        if name not in self.params:
            raise UsageError(f"trial {self.number}: the member function asks param {name!r}, "
                             f"which the trial does not have (it has {sorted(self.params)}); "
                             "load it with the member function the study was tuned with")
        return self.params[name]

    suggest = suggest_float = suggest_int = suggest_categorical = suggest_choice = _get
    hyper = _get

    def set_user_attr(self, key: str, value: Any) -> None:
        self.user_attrs[key] = value

    def report(self, value: float, step: int) -> None:
        self.reports[step] = value

    def should_prune(self) -> bool:
        return False


def load_model(study: Study, trial_number: int, member_fn: Callable[[Any], Any]) -> Any:
    """The trial's module, built by ``member_fn`` from the trial's params, with the trained
    weights and buffers of its checkpoint, in eval mode (and in the dtype it trained in)."""
    torch = _need_torch()
    from caviar import artifacts

    found = [t for t in study.trials if t.number == trial_number]
    if not found:
        raise UsageError(f"study {study.name!r}: has no trial number {trial_number!r}; "
                         f"numbers run 0..{len(study.trials) - 1}")
    rec = found[0]
    marks = [e for e in study.storage.get_events(rec.id) if e.kind == "checkpoint"]
    if not marks:
        raise UsageError(f"trial {trial_number}: has no checkpoint (state {rec.state}); only "
                         "trials that completed or were pruned under caviar.torch.optimize "
                         "with checkpoint=True have trained weights")
    state = artifacts.load(os.path.join(study.artifacts_dir, marks[-1].payload["path"]))
    member = _build(member_fn, _Replay(rec.number, rec.params), rec.number)
    model = member.model
    dtype = getattr(torch, str(state.get("dtype", "torch.float32")).replace("torch.", ""))
    model.to(dtype=dtype)
    sd = {k: torch.from_numpy(v) for k, v in state["state_dict"].items()}
    model.load_state_dict(sd)
    return model.eval()
