"""PBT (caviar.schedulers.PBT) inside a caviar.torch population: each member is one trial.

The scheduler is the same pure policy caviar.nn runs, and the run is recorded by the same
``ScheduledPopulation`` (adapters/schedule.py), so a torch study stores the same
``schedule``, ``exploits``, ``params_final`` and ``scheduler`` attributes and ``parent_id``
lineage, and ``caviar lineage`` / ``caviar plot STUDY lineage`` read it.

What PBT may explore: only the optimizer hyperparameters a member's row can change in place
(caviar.torch.exploit.set_hypers), named after the Member's own arguments: ``lr``, ``beta1``,
``beta2`` (its ``betas``) and ``eps``. The member function must pass the trial's value straight
through (``ct.Member(model, lr=trial.suggest_float("lr", ...))``); anything else in the space
(a width, a depth, a batch size, dropout) would make the copy a different network than the
params say, so it is refused before training. Exploits happen only between members of one
program (same shapes, same optimizer kind), PBT's exploit classes.
"""

from __future__ import annotations

from typing import Any

from caviar.adapters.schedule import refuse_unexplorable
from caviar.errors import UsageError
from caviar.space import Space

#: space params PBT can change in a caviar.torch member, and the Member field each one is
TORCH_HYPERS = ("lr", "beta1", "beta2", "eps")


def check_torch_scheduler(scheduler: Any, *, backend: str, pruner: Any,
                          objectives: Any) -> None:
    """Refuse, before any trial starts, a scheduler caviar.torch cannot run."""
    from caviar.schedulers import ASHA, PBT, Halving

    if isinstance(scheduler, ASHA | Halving):
        raise UsageError(f"scheduler: caviar.torch runs PBT only, got "
                         f"{type(scheduler).__name__} (pausing and promoting members is in "
                         "caviar.nn only); use scheduler=PBT(...) (--scheduler pbt), the 'asha' "
                         "pruner to stop members early, or use tune-mlp (caviar.nn) for "
                         "--scheduler asha or halving")
    if not isinstance(scheduler, PBT):
        raise UsageError(f"scheduler: must be caviar.schedulers.PBT, got "
                         f"{type(scheduler).__name__}; e.g. scheduler=PBT(interval=2)")
    if backend != "local":
        raise UsageError(f"scheduler: PBT runs in this process only, got backend={backend!r}; "
                         "use backend='local' (several processes may share one storage)")
    if pruner is not None:
        raise UsageError(f"scheduler: PBT decides which members go on, so it cannot run with "
                         f"the study's pruner {type(pruner).__name__}; create the study "
                         "without a pruner or drop the scheduler")
    if objectives is not None and tuple(objectives) != ("metric",):
        raise UsageError(f"objectives {list(objectives)}: PBT ranks members by the metric "
                         "alone; drop the scheduler or tune objectives=['metric']")


def _value(member: Any, name: str) -> Any:
    if name == "beta1":
        return member.betas[0]
    if name == "beta2":
        return member.betas[1]
    return getattr(member, name)


def check_members(trials: list[Any], members: list[Any], space: Space) -> None:
    """Every explored param is one of TORCH_HYPERS, passed through to the Member as is."""
    refuse_unexplorable(space, TORCH_HYPERS, TORCH_HYPERS,
                        "are not optimizer hyperparameters a member can change in place, so "
                        "a copied member would not be the network its params say",
                        "fix them in the member function and let PBT explore only")
    for t, m in zip(trials, members, strict=True):
        betas = [n for n in space if n.startswith("beta")]
        if betas and m.optimizer not in ("adam", "adamw"):
            raise UsageError(f"PBT: params {betas} are Adam's betas, but trial {t.number}'s "
                             f"Member uses optimizer={m.optimizer!r}; explore only lr there, "
                             "or use optimizer='adam'")
        for name in space:
            if name in t.params and float(_value(m, name)) != float(t.params[name]):
                raise UsageError(
                    f"PBT: trial {t.number}'s param {name}={t.params[name]!r} is not what its "
                    f"Member uses ({name}={_value(m, name)!r}); pass the suggested value "
                    f"straight to ct.Member so PBT can change it, e.g. ct.Member(model, "
                    f"{'betas=(beta1, beta2)' if name.startswith('beta') else f'{name}={name}'})")


class TorchPopulation:
    """The engine side ``ScheduledPopulation.apply`` drives: exploit and set_params on the
    members' program rows (``where`` is refreshed by the engine each epoch)."""

    def __init__(self) -> None:
        self.where: dict[int, tuple[Any, int]] = {}

    def exploit(self, dst: int, src: int) -> None:
        from caviar.torch.exploit import exploit

        (prog, d), (prog_src, s) = self.where[dst], self.where[src]
        if prog is not prog_src:  # PBT's classes are the programs; this is a bug if reached
            raise RuntimeError(f"exploit {src} -> {dst}: the members are in different programs")
        exploit(prog, d, s)

    def set_params(self, member: int, params: dict[str, Any]) -> None:
        from caviar.torch.exploit import set_hypers

        prog, local = self.where[member]
        kwargs: dict[str, Any] = {}
        if "lr" in params:
            kwargs["lr"] = float(params["lr"])
        if "eps" in params:
            kwargs["eps"] = float(params["eps"])
        if "beta1" in params or "beta2" in params:
            opt = prog.opt
            b1 = float(params.get("beta1", float(opt.a[local].reshape(-1)[0])))
            b2 = float(params.get("beta2", float(opt.b2[local].reshape(-1)[0])))
            kwargs["betas"] = (b1, b2)
        if kwargs:
            set_hypers(prog, local, **kwargs)


def make_control(run: Any, space: Space, epochs: int, minimize: bool) -> Any:
    """``train_population``'s ``control``: PBT decides after each epoch, ``run`` (a
    ScheduledPopulation) applies and records its actions."""
    from caviar.schedulers import Report

    pop = TorchPopulation()
    started = [False]

    def control(epoch: int, reports: list[Any], where: dict[int, tuple[Any, int]]) -> None:
        pop.where = where
        if not started[0]:
            programs: dict[int, list[int]] = {}
            for i, (prog, _) in sorted(where.items()):
                programs.setdefault(id(prog), []).append(i)
            run.scheduler.start(space, run.params, classes=list(programs.values()),
                                minimize=minimize)
            started[0] = True
        for r in reports:
            run.epochs[r.member] = r.epoch + 1
        live = [Report(r.member, r.epoch, float(r.metric), r.alive and epoch < epochs - 1)
                for r in reports if r.member in where]
        for a in run.scheduler.decide(epoch, live):
            run.apply(a, pop)

    return control
