"""A population scheduler (caviar.schedulers) driving a caviar.nn population of trials.

Each member is one trial. The scheduler's actions are applied by the engine
(``caviar.nn.exploit.PopulationControl``) and recorded on the trials, JSON only:

* ``system_attrs['schedule']``: ``[[epoch, params], ...]``, the params in effect from that
  epoch on (epoch 0: the trial's own params); ``system_attrs['params_final']``;
* ``system_attrs['exploits']``: ``[{epoch, from_trial, from_trial_id, before, after}, ...]``;
  the member copied ``from_trial``'s state after its ``epoch``-th epoch (0-based); its
  ``parent_id`` (the trial lineage column) is the source of its last exploit;
* ``system_attrs['scheduler']``: the scheduler's description; ``system_attrs['rungs']``
  (ASHA, halving): ``[[epoch, action, budget], ...]`` (pause, promote, start, stop).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from caviar.errors import UsageError
from caviar.schedulers import (
    ASHA,
    PBT,
    Exploit,
    Explore,
    Halving,
    Pause,
    Promote,
    Report,
    Start,
    Stop,
)
from caviar.space import Space
from caviar.trial_record import FAIL, PRUNED

if TYPE_CHECKING:
    from caviar.executors.worker import WorkerSession


def check_scheduler(scheduler: Any, space: Space, fixed: Mapping[str, Any]) -> None:
    """Refuse, before any trial starts, a scheduler the study cannot run."""
    from caviar.nn.exploit import INPLACE_KEYS

    if not isinstance(scheduler, PBT | ASHA | Halving):
        raise UsageError(f"scheduler: must be caviar.schedulers.PBT, ASHA or Halving, got "
                         f"{type(scheduler).__name__}; e.g. scheduler=PBT(interval=2)")
    epochs = int(fixed.get("epochs", 20))
    if isinstance(scheduler, PBT):
        refuse_unexplorable(space, INPLACE_KEYS, [k for k in INPLACE_KEYS if k != "epochs"],
                            "shape the network or its program, so a member cannot copy "
                            "another's state across them",
                            "fix them (fixed={...}) and explore only")
        scheduler.check_space(Space({n: space[n] for n in space}))
        return
    if scheduler.max_budget != epochs:
        raise UsageError(f"{type(scheduler).__name__}: max_budget={scheduler.max_budget} must "
                         f"equal the members' epochs={epochs}; pass max_budget={epochs}")
    if fixed.get("lr_decay", "none") != "none" and isinstance(scheduler, ASHA):
        raise UsageError("ASHA: a paused member's epochs fall behind the population's, so an "
                         f"lr_decay schedule would drift, got lr_decay={fixed['lr_decay']!r}; "
                         "use lr_decay='none' with ASHA")


def refuse_unexplorable(space: Space, explorable: Sequence[str], named: Sequence[str],
                        what: str, fix: str) -> None:
    """PBT copies one member's state into another and then moves its params: refuse the
    params of ``space`` outside ``explorable`` (what the engine can change in place), with
    ``what`` they are to this engine and ``fix``, which the ones to explore (``named``)
    end."""
    other = [n for n in space if n not in explorable]
    if other:
        raise UsageError(f"PBT: params {other} {what}; {fix} {', '.join(named)}")


def _engine_params(params: Mapping[str, Any]) -> dict[str, Any]:
    from caviar.nn.exploit import INPLACE_KEYS

    return {k: v for k, v in params.items() if k in INPLACE_KEYS}


def for_population(scheduler: Any, study_seed: int | None, trials: Sequence[Any]) -> Any:
    """A copy of ``scheduler`` for one population of ``trials``. A seeded PBT draws its
    exploits and explores from a stream of its seed, the study's seed and the population's
    first trial number: the populations of one study choose apart (one seed for all would
    repeat the same choices in each), and a re-run of a seeded study repeats every one."""
    import copy

    import numpy as np

    own = copy.deepcopy(scheduler)
    if isinstance(own, PBT) and own.seed is not None and trials:
        first = min(int(t.number) for t in trials)
        entropy = [int(own.seed), first] if study_seed is None else \
            [int(own.seed), int(study_seed), first]
        own.rng = np.random.default_rng([abs(v) for v in entropy])
    return own


class ScheduledPopulation:
    """One population of trials under a scheduler; ``control`` is train_population's hook.
    It runs its own copy of ``scheduler`` (``for_population``)."""

    def __init__(self, session: WorkerSession, trials: list[Any], scheduler: Any,
                 space: Space, watch: Any = None,
                 run_attrs: Mapping[str, Any] | None = None) -> None:
        self.session, self.trials = session, trials
        self.scheduler = for_population(scheduler, session.study.seed, trials)
        self.run_attrs = dict(run_attrs or {})
        self.space = space
        self.params = {i: dict(t.params) for i, t in enumerate(trials)}
        self.schedule: dict[int, list[list[Any]]] = {
            i: [[0, dict(t.params)]] for i, t in enumerate(trials)}
        self.exploits: dict[int, list[dict[str, Any]]] = {i: [] for i in range(len(trials))}
        self.rungs: dict[int, list[list[Any]]] = {i: [] for i in range(len(trials))}
        self.stopped: dict[int, str] = {}
        self.epochs = dict.fromkeys(range(len(trials)), 0)  # epochs trained per member
        self.watch = watch  # babysitting: polls control events per member (panda)

    def control(self, epoch: int, reports: list[Any], pop: Any) -> None:
        if epoch < 0:
            actions = self.scheduler.start(self.space, self.params, classes=pop.classes())
        else:
            for r in reports:
                self.epochs[r.member] = r.epoch + 1
                v = r.val_accuracy
                if v == v:
                    self.trials[r.member].report(float(v), r.epoch)
            if self.watch is not None:
                self.watch.poll(epoch, pop, self)
            live = [Report(r.member, r.epoch, float(r.val_accuracy), r.alive) for r in reports
                    if r.member not in self.stopped and not pop.is_paused(r.member)
                    and pop.results[r.member].state == "running"]
            actions = self.scheduler.decide(epoch, live)
        for a in actions:
            self.apply(a, pop)

    def apply(self, a: Any, pop: Any) -> None:
        m = getattr(a, "member", getattr(a, "dst", None))
        assert m is not None
        done = self.epochs[m]
        if isinstance(a, Exploit):
            pop.exploit(a.dst, a.src)
            src = self.trials[a.src]
            self.exploits[a.dst].append({
                "epoch": done - 1, "from_trial": src.number, "from_trial_id": src.id,
                "before": dict(self.params[a.dst]), "after": dict(self.params[a.src])})
            self.params[a.dst] = dict(self.params[a.src])
            self.schedule[a.dst].append([done, dict(self.params[a.src])])
            self.trials[a.dst].system_attrs["parent_id"] = src.id
        elif isinstance(a, Explore):
            pop.set_params(a.member, _engine_params(a.params))
            self.params[a.member] = {**self.params[a.member], **a.params}
            sched = self.schedule[a.member]
            if sched and sched[-1][0] == done:
                sched[-1] = [done, dict(self.params[a.member])]
            else:
                sched.append([done, dict(self.params[a.member])])
            if self.exploits[a.member] and self.exploits[a.member][-1]["epoch"] == done - 1:
                self.exploits[a.member][-1]["after"] = dict(self.params[a.member])
        elif isinstance(a, Pause):
            pop.pause(m)
            self.rungs[m].append([done, "pause", done])
        elif isinstance(a, Promote | Start):
            pop.resume(m)
            self.rungs[m].append([done, "promote" if isinstance(a, Promote) else "start",
                                  a.budget])
        elif isinstance(a, Stop):
            pop.stop(m)
            self.rungs[m].append([done, "stop", done])
            self.stopped[m] = f"{self.scheduler.name}: stopped after {done} epochs"

    def nudged(self, member: int, epoch: int, params: dict[str, Any]) -> None:
        """A person changed ``member``'s params from ``epoch`` on (caviar nudge)."""
        self.params[member] = {**self.params[member], **params}
        sched = self.schedule[member]
        entry = [epoch, dict(self.params[member])]
        if sched and sched[-1][0] == epoch:
            sched[-1] = entry
        else:
            sched.append(entry)
        own = getattr(self.scheduler, "params", None)
        if isinstance(own, dict) and member in own:
            own[member] = {**own[member], **params}

    def store(self, i: int, attrs: dict[str, Any]) -> None:
        """Member ``i``'s scheduler, schedule, exploits and rungs into its trial's attrs."""
        attrs["scheduler"] = self.scheduler.describe()
        attrs.update(self.run_attrs)
        attrs["schedule"] = self.schedule[i]
        attrs["params_final"] = self.params[i]
        if self.exploits[i]:
            attrs["exploits"] = self.exploits[i]
        if self.rungs[i]:
            attrs["rungs"] = self.rungs[i]

    def tell(self, result: Any, seconds: float) -> None:
        per_trial = seconds / max(1, len(self.trials))
        for i, (t, m) in enumerate(zip(self.trials, result.members, strict=True)):
            t.set_user_attr("val_accuracy", m.val_accuracy if m.history else None)
            t.set_user_attr("train_loss", m.train_loss if m.history else None)
            t.set_user_attr("epochs_trained", m.epochs_trained)
            attrs = t.system_attrs
            attrs["population_size"] = len(self.trials)
            attrs["population_seconds_per_trial"] = per_trial
            self.store(i, attrs)
            if m.state == "failed":
                self.session.tell(t, state=FAIL, error=m.error or "diverged")
            elif m.state == "stopped" or i in self.stopped:
                attrs["pruned_because"] = self.stopped.get(
                    i, f"{self.scheduler.name}: waiting after {m.epochs_trained} epochs when "
                       "the population ended")
                self.session.tell(t, state=PRUNED)
            else:
                self.session.tell(t, float(m.val_accuracy))


def train_scheduled(session: WorkerSession, trials: list[Any], data: Any,
                    fixed: dict[str, Any], device: str, dtype: Any, threads: int | None,
                    scheduler: Any, space: Space, watch: Any = None,
                    data_seed: int = 0) -> None:
    """Train one population of ``trials`` under ``scheduler`` and tell every trial."""
    from caviar import nn

    run_attrs = {"fixed": fixed, "dtype": str(dtype).replace("torch.", ""),
                 "data": {"name": getattr(data, "name", None), "seed": data_seed}}
    from caviar.adapters.schedule_watch import MemberWatch

    run = ScheduledPopulation(session, trials, scheduler, space, watch, run_attrs)
    configs = [{**fixed, **t.params, "seed": t.number} for t in trials]
    if run.watch is None:
        run.watch = MemberWatch(session.study.storage, trials, space, on_change=run.nudged)
    run.watch.declare(configs)
    started = time.perf_counter()
    result = nn.train_population(configs, data, device=device, dtype=dtype,
                                 control=run.control, threads=threads)
    run.tell(result, time.perf_counter() - started)
