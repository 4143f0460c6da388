"""``train_population``: train many members (any ``nn.Module``) as a few batched programs.

Members are grouped (``caviar.torch.group``); each group is one ``Program``. Every epoch,
each program trains one pass over the data in the shared batch order, then every member is
evaluated, ``on_epoch(epoch, reports)`` may name members to stop, and stopped members are
compacted out of the stacked tensors so their compute is saved. A member with a non-finite
training loss fails alone (masked; it stays in its program unless a compaction happens, so
the others stay bit-identical).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import torch

from caviar.errors import UsageError
from caviar.torch.check import check_member
from caviar.torch.data import as_tensors
from caviar.torch.data import batch_order as epoch_order
from caviar.torch.fused import fusable
from caviar.torch.fused_program import FusedProgram
from caviar.torch.group import GroupPlan, plan_groups
from caviar.torch.losses import resolve_loss, resolve_metric, target_dtype
from caviar.torch.member import Member
from caviar.torch.optim import as_device
from caviar.torch.program import Program, SoloProgram, convert
from caviar.torch.result import (
    COMPLETE,
    FAILED,
    STOPPED,
    EpochReport,
    MemberResult,
    PopulationResult,
)

OnEpoch = Callable[[int, list[EpochReport]], "set[int] | None"]
OnState = Callable[[int, dict[int, dict[str, Any]]], None]
#: ``control(epoch, reports, where)``: ``where[i] = (program, local row)`` of every member still
#: training; may change programs in place (caviar.torch.exploit: PBT's exploit / explore)
Control = Callable[[int, list[EpochReport], dict[int, tuple[Program, int]]], None]
DTYPES = (torch.float32, torch.float64)
UNBATCHABLE = ("refuse", "one_at_a_time")
BATCH_ORDERS = ("shared", "per_member")
PRECISIONS = ("fp32", "bf16")
PROGRAMS = ("auto", "vmap", "fused")


def prepare_data(data: Any, what: str, loss: Any, dtype: torch.dtype, device: torch.device
                 ) -> tuple[torch.Tensor, torch.Tensor]:
    x, y = as_tensors(data, what)
    x = x.to(device=device, dtype=dtype if x.is_floating_point() else x.dtype)
    return x, y.to(device=device, dtype=target_dtype(loss, dtype, y))


def validate(members: Sequence[Any], n_train: int, epochs: int, dtype: Any) -> None:
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise UsageError(f"epochs: must be an integer >= 1, got epochs={epochs!r}")
    if dtype not in DTYPES:
        raise UsageError(f"dtype: must be torch.float32 or torch.float64, got dtype={dtype!r}")
    if not members:
        raise UsageError("members: the population is empty; give at least one Member")
    for i, m in enumerate(members):
        if not isinstance(m, Member):
            raise UsageError(f"member {i}: must be a caviar.torch.Member, got "
                             f"{type(m).__name__}; return ct.Member(model, lr=...) from the "
                             "member function")
        if m.batch_size > n_train:
            raise UsageError(f"member {i}: batch_size={m.batch_size} is larger than the "
                             f"{n_train} training examples; use a batch size <= {n_train}")


def train_population(members: Sequence[Member], train: Any, val: Any, *,
                     loss: Any = "cross_entropy", metric: Any = "accuracy", epochs: int = 10,
                     device: Any = "cpu", dtype: torch.dtype = torch.float32, seed: int = 0,
                     eval_batch: int | None = None, on_epoch: OnEpoch | None = None,
                     on_groups: Callable[[list[str]], None] | None = None,
                     unbatchable: str = "refuse", batch_order: str = "shared",
                     precision: str = "fp32", program: str = "auto",
                     first_epoch: int = 0,
                     resume: Sequence[Mapping[str, Any] | None] | None = None,
                     on_state: OnState | None = None,
                     control: Control | None = None) -> PopulationResult:
    """Train ``members`` for ``epochs`` epochs; validate every epoch on ``val``.

    ``seed`` fixes the batch order (``batch_order``) and the Dropout masks.
    ``batch_order``: "shared" (every member sees the data in ``batch_order(n, epoch, seed)``)
    or "per_member" (member i in ``batch_order(n, epoch, members[i].order_seed)``, default
    order seed: its index i); each is cut into the member's batches.
    ``precision``: "fp32" (the dtype's own arithmetic) or "bf16" (forward and loss under
    ``torch.autocast(device_type="cuda", dtype=torch.bfloat16)``; CUDA and float32 only).
    ``program``: "auto" (each group whose module ``fusable`` accepts runs as the fused
    program, the others as the vmap program), "vmap" (every group vmapped) or "fused" (every
    group fused; a module that cannot be is refused, naming why).
    ``unbatchable``: "refuse" (a module torch.func cannot batch is refused before training,
    naming the reason) or "one_at_a_time" (its group trains member by member instead).
    Resuming: ``first_epoch`` is the first epoch to run (0-based; the batch order and every
    schedule continue from it) and ``resume[i]`` member i's state after epoch
    ``first_epoch - 1`` (a dict from ``on_state``: ``state_dict``, ``optimizer``, and
    optionally ``history`` and ``train_loss``; None: start member i afresh).
    ``on_state(epoch, states)``: after each epoch (after ``on_epoch``), the full state of
    every member that trained in it and did not fail, by member index.
    ``control(epoch, reports, where)``: after ``on_state``, with each training member's
    ``(program, local row)``; it may rewrite rows in place (PBT, caviar.torch.exploit).
    """
    dev = as_device(device)
    loss_fn = resolve_loss(loss)
    metric_fn = resolve_metric(metric, loss_fn)
    x, y = prepare_data(train, "train", loss, dtype, dev)
    xv, yv = prepare_data(val, "val", loss, dtype, dev)
    validate(members, x.shape[0], epochs, dtype)
    _check_resume(members, epochs, first_epoch, resume)
    check_precision(precision, dev, dtype)
    if batch_order not in BATCH_ORDERS:
        raise UsageError(f"batch_order: must be one of {', '.join(map(repr, BATCH_ORDERS))}, "
                         f"got batch_order={batch_order!r}")
    order_seeds = None if batch_order == "shared" else [
        i if m.order_seed is None else m.order_seed for i, m in enumerate(members)]
    if unbatchable not in UNBATCHABLE:
        raise UsageError(f"unbatchable: must be one of {', '.join(map(repr, UNBATCHABLE))}, "
                         f"got unbatchable={unbatchable!r}")
    if program not in PROGRAMS:
        raise UsageError(f"program: must be one of {', '.join(map(repr, PROGRAMS))}, got "
                         f"program={program!r}")
    plans: list[GroupPlan] = []
    solo: set[int] = set()
    fused: set[int] = set()
    for plan in plan_groups(members):  # before any training: runs, fits the loss, batches
        model = convert(members[plan.members[0]].model, dev, dtype)
        if check_member(model, loss, loss_fn, x[:2], y[:2], y, precision=precision,
                        allow_unbatchable=unbatchable == "one_at_a_time"):
            why = fusable(model) if program != "vmap" else "program='vmap' was asked"
            if why is not None and program == "fused":
                raise UsageError(f"program='fused': model {type(model).__name__} cannot run "
                                 f"as the fused program because {why}; use program='auto' "
                                 "(such groups run vmapped)")
            if why is None:
                fused.add(len(plans))
            plans.append(GroupPlan(plan.members, plan.micro_batch, plan.label + (
                ", fused" if why is None else ", vmap")))
            continue
        for i in plan.members:
            solo.add(len(plans))
            plans.append(GroupPlan([i], members[i].batch_size, plan.label.rsplit(":", 1)[0]
                                   + ": 1 member, one at a time (torch.func cannot batch it)"))
    if on_groups is not None:
        on_groups([p.label for p in plans])
    results = [MemberResult(group=g) for g, p in enumerate(plans) for _ in p.members]
    order_of = [i for p in plans for i in p.members]
    results = [r for _, r in sorted(zip(order_of, results, strict=True), key=lambda t: t[0])]
    for r, st in zip(results, resume or [None] * len(results), strict=True):
        if st is not None:
            r.history = [float(v) for v in st.get("history") or []]
            r.train_loss = [float(v) for v in st.get("train_loss") or []]
    with torch.random.fork_rng(devices=[dev] if dev.type == "cuda" else []):
        torch.manual_seed(seed if not first_epoch else seed * 100_003 + first_epoch)
        programs = [(SoloProgram if g in solo else FusedProgram if g in fused else Program)(
            p, members, dev, dtype, loss_fn, resume) for g, p in enumerate(plans)]
        for prog in programs:
            prog.precision = precision
        _run(programs, results, x, y, xv, yv, metric_fn, range(first_epoch, epochs),
             order_seeds if order_seeds is not None else seed, eval_batch, on_epoch, on_state,
             control)
    return PopulationResult(results, [p.label for p in plans])


def check_precision(precision: Any, dev: torch.device, dtype: torch.dtype) -> None:
    if precision not in PRECISIONS:
        raise UsageError(f"precision: must be one of {', '.join(map(repr, PRECISIONS))}, got "
                         f"precision={precision!r}")
    if precision == "bf16" and dev.type != "cuda":
        raise UsageError(f"precision='bf16': bf16 autocast is offered on CUDA only, got "
                         f"device={str(dev)!r}; on a CPU torch's autocast does not reach "
                         "inside torch.func.vmap (measured, torch 2.13: a vmapped Linear "
                         "stays float32 and batch norm fails), so use precision='fp32' there "
                         "or device='cuda'")
    if precision == "bf16" and dtype != torch.float32:
        raise UsageError(f"precision='bf16': autocast needs float32 parameters, got "
                         f"dtype={dtype}; use dtype=torch.float32")


def _check_resume(members: Sequence[Member], epochs: int, first_epoch: int,
                  resume: Sequence[Any] | None) -> None:
    if isinstance(first_epoch, bool) or not isinstance(first_epoch, int) or \
            not 0 <= first_epoch < epochs:
        raise UsageError(f"first_epoch: must be an integer in [0, epochs), got "
                         f"first_epoch={first_epoch!r} with epochs={epochs}")
    if resume is None:
        if first_epoch:
            raise UsageError(f"first_epoch={first_epoch}: needs resume=[state per member] "
                             "(the states after the epoch before it)")
        return
    if len(resume) != len(members):
        raise UsageError(f"resume: needs one state (or None) per member, got {len(resume)} "
                         f"for {len(members)} members")
    for i, st in enumerate(resume):
        if st is not None and not (isinstance(st, Mapping) and "state_dict" in st
                                   and "optimizer" in st):
            raise UsageError(f"resume[{i}]: must be a state from on_state (a dict with "
                             f"'state_dict' and 'optimizer') or None, got {type(st).__name__}")


def _run(programs: list[Program], results: list[MemberResult], x: torch.Tensor,
         y: torch.Tensor, xv: torch.Tensor, yv: torch.Tensor, metric_fn: Any, epochs: range,
         seed: int | list[int], eval_batch: int | None, on_epoch: OnEpoch | None,
         on_state: OnState | None, control: Control | None = None) -> None:
    for epoch in epochs:
        n = x.shape[0]
        seeds = seed if isinstance(seed, list) else []
        shared = epoch_order(n, epoch, seed).to(x.device) if isinstance(seed, int) else None
        reports: list[EpochReport] = []
        for prog in programs:
            if not len(prog):
                continue
            prog.opt.set_epoch(epoch)
            order = shared if shared is not None else torch.stack(
                [epoch_order(n, epoch, seeds[i]) for i in prog.idx]).to(x.device)
            train_loss = prog.train_epoch(x, y, order).tolist()
            chunk = eval_batch or max(64, 16384 // len(prog))
            vals = prog.evaluate(xv, yv, metric_fn, chunk).tolist()
            alive = prog.alive.tolist()
            for local, i in enumerate(prog.idx):
                r = results[i]
                ok = alive[local] and math.isfinite(vals[local])
                if not ok and r.state != FAILED:
                    r.state = FAILED
                    r.error = (f"diverged in epoch {epoch}: the training loss (or the metric) "
                               "is not finite; lower the learning rate or clip gradients")
                    r.state_dict = prog.state_dict(local)
                if ok:
                    r.history.append(float(vals[local]))
                    r.train_loss.append(float(train_loss[local]))
                reports.append(EpochReport(i, epoch, float(vals[local]) if ok else math.nan,
                                           float(train_loss[local]), ok))
        stop = set(on_epoch(epoch, reports) or ()) if on_epoch is not None else set()
        if on_state is not None:
            on_state(epoch, {i: prog.member_state(local) for prog in programs
                             for local, i in enumerate(prog.idx)
                             if results[i].state != FAILED})
        if control is not None:
            control(epoch, reports, {i: (prog, local) for prog in programs
                                     for local, i in enumerate(prog.idx)
                                     if results[i].state != FAILED and i not in stop})
        if stop and epoch < epochs.stop - 1:
            for prog in programs:
                keep = []
                for local, i in enumerate(prog.idx):
                    if i in stop and results[i].state != FAILED:
                        results[i].state = STOPPED
                        results[i].state_dict = prog.state_dict(local)
                    elif results[i].state != FAILED:
                        keep.append(local)
                if len(keep) < len(prog):
                    prog.keep(keep)
        elif stop:
            for i in stop:
                if results[i].state == COMPLETE:
                    results[i].state = STOPPED
    for prog in programs:
        for local, i in enumerate(prog.idx):
            if results[i].state != FAILED:
                results[i].state_dict = prog.state_dict(local)
