"""One group of members as ONE batched program: stacked parameters and buffers, a vmapped
``functional_call`` of a template module, and the per-member optimizer.

A step: vmapped forward over the micro-batch (each member its own Dropout masks,
``randomness="different"``; each its own BatchNorm statistics, updated in place in its slice
of the stacked buffers), the per-member losses summed, one backward (the gradient of the sum
with respect to member i's parameters is the gradient of member i's loss), then the optimizer
step for the members due to step. A member whose loss is not finite is marked failed; no other
member's numbers depend on it (rows never mix).
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch.func import functional_call, vmap

from caviar.errors import UsageError
from caviar.torch.group import GroupPlan
from caviar.torch.losses import Fn
from caviar.torch.member import Member
from caviar.torch.optim import PopulationOptimizer


def convert(model: torch.nn.Module, device: torch.device, dtype: torch.dtype
            ) -> torch.nn.Module:
    """A copy on ``device`` with floating tensors in ``dtype``."""
    return copy.deepcopy(model).to(device=device, dtype=dtype)


def member_tensors(m: Member, device: torch.device, dtype: torch.dtype
                   ) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    model = m.model
    if m.seed is not None:
        model = copy.deepcopy(model)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(m.seed)
            for mod in model.modules():
                reset = getattr(mod, "reset_parameters", None)
                if callable(reset):
                    reset()

    def conv(t: torch.Tensor) -> torch.Tensor:
        return t.detach().to(device=device, dtype=dtype if t.is_floating_point() else t.dtype)

    return ({n: conv(p) for n, p in model.named_parameters()},
            {n: conv(b) for n, b in model.named_buffers()})


def autocast(device: torch.device, precision: str) -> Any:
    """bf16 autocast on ``device`` for ``precision="bf16"``, else nothing."""
    if precision == "bf16":
        return torch.autocast(device_type=device.type, dtype=torch.bfloat16)
    return contextlib.nullcontext()


def _load_state(params: dict[str, torch.Tensor], buffers: dict[str, torch.Tensor],
                sd: Mapping[str, Any]) -> None:
    """Overwrite a member's fresh tensors with a saved ``state_dict`` (NumPy or torch)."""
    for group in (params, buffers):
        for n, t in group.items():
            if n in sd:  # a non-persistent buffer is not saved: it keeps its fresh value
                v = torch.as_tensor(sd[n])
                if tuple(v.shape) != tuple(t.shape):
                    raise UsageError(f"resume: saved tensor {n!r} has shape "
                                     f"{tuple(v.shape)}, the module's has {tuple(t.shape)}; "
                                     "resume with the member function that trained it")
                group[n] = v.to(device=t.device, dtype=t.dtype)


class Program:
    """The trained parameters of all members live in one flat leaf tensor ``[P, n]`` (row
    i: member i's parameters side by side); the forward pass sees them as views shaped like
    the module's parameters, and one ``autograd.grad`` gives the flat gradient."""

    def __init__(self, plan: GroupPlan, members: Sequence[Member], device: torch.device,
                 dtype: torch.dtype, loss_fn: Fn,
                 resume: Sequence[Mapping[str, Any] | None] | None = None) -> None:
        ms = [members[i] for i in plan.members]
        starts = [resume[i] if resume is not None else None for i in plan.members]
        self.idx = list(plan.members)
        self.device, self.dtype = device, dtype
        self.template = convert(ms[0].model, device, dtype)
        self.loss_fn = loss_fn
        per = [member_tensors(m, device, dtype) for m in ms]
        for (pm, bm), st in zip(per, starts, strict=True):
            if st is not None:  # a member resumed from its state of an earlier epoch
                _load_state(pm, bm, st["state_dict"])
        named = list(self.template.named_parameters())
        self.layout: list[tuple[str, int, int, tuple[int, ...]]] = []
        off = 0
        for n, p in named:
            if p.requires_grad:
                self.layout.append((n, off, p.numel(), tuple(p.shape)))
                off += p.numel()
        self._sizes = [k for _, _, k, _ in self.layout]
        self.flat = torch.stack([torch.cat([pm[n].reshape(-1) for n, *_ in self.layout])
                                 for pm, _ in per]).requires_grad_(True)
        self.frozen = {n: torch.stack([pm[n] for pm, _ in per])
                       for n, p in named if not p.requires_grad}
        self.buffers = {n: torch.stack([bm[n] for _, bm in per])
                        for n, _ in self.template.named_buffers()}
        self.opt = PopulationOptimizer(ms, self.flat.detach())
        for local, st in enumerate(starts):
            if st is not None:
                self.opt.load_row(local, st["optimizer"])
        self.micro = plan.micro_batch
        self.k = [m.batch_size // plan.micro_batch for m in ms]
        self.alive = torch.ones(len(ms), dtype=torch.bool, device=device)
        self.precision = "fp32"  # or "bf16": forward and loss under CUDA bf16 autocast
        self._sd_names = self._state_dict_names()

    def params(self, flat: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        """Every parameter, stacked ``[P, ...]`` (views into the flat tensor)."""
        f = self.flat if flat is None else flat
        P = f.shape[0]
        parts = torch.split(f, self._sizes, dim=1)  # backward: one concatenation, no fills
        out = {n: t.view(P, *shape) for (n, _, _, shape), t in
               zip(self.layout, parts, strict=True)}
        out.update(self.frozen)
        return out

    def _state_dict_names(self) -> dict[str, str]:
        """state_dict key -> name of the stacked tensor (tied weights share one)."""
        by_id = {id(p): n for n, p in self.template.named_parameters()}
        by_id.update({id(b): n for n, b in self.template.named_buffers()})
        return {k: by_id[id(v)] for k, v in self.template.state_dict(keep_vars=True).items()}

    def __len__(self) -> int:
        return len(self.idx)

    def _forward(self, x: torch.Tensor) -> torch.Tensor:
        def f(p: Any, b: Any, xb: torch.Tensor) -> torch.Tensor:
            with autocast(self.device, self.precision):
                return functional_call(self.template, (p, b), (xb,))  # type: ignore[no-any-return]

        out: torch.Tensor = vmap(f, in_dims=(0, 0, None), randomness="different")(
            self.params(), self.buffers, x)
        return out

    def _losses(self, x: torch.Tensor, y: torch.Tensor, per_member: bool = False
                ) -> torch.Tensor:
        """Each member's training loss on (x, y): ``[P]``, forward and loss in one vmap.
        ``per_member``: x and y are ``[P, b, ...]``, a batch for each member."""
        loss_fn, template = self.loss_fn, self.template

        def f(p: Any, b: Any, xb: torch.Tensor, yb: torch.Tensor) -> torch.Tensor:
            with autocast(self.device, self.precision):
                return loss_fn(functional_call(template, (p, b), (xb,)), yb)

        d = 0 if per_member else None
        out: torch.Tensor = vmap(f, in_dims=(0, 0, d, d), randomness="different")(
            self.params(), self.buffers, x, y)
        return out

    def train_epoch(self, x: torch.Tensor, y: torch.Tensor, order: torch.Tensor
                    ) -> torch.Tensor:
        """One epoch; returns each member's mean training loss (its used micro-batches).
        ``order``: ``[n]`` shared by every member, or ``[P, n]`` one order per member."""
        self.template.train()
        b, n = self.micro, x.shape[0]
        n_micro = n // b
        P = len(self.idx)
        per = order.dim() == 2
        accumulate = any(k > 1 for k in self.k)
        k_t = torch.tensor(self.k, device=self.device)
        usable = torch.tensor([(n_micro // k) * k for k in self.k], device=self.device)
        w = (1.0 / k_t.to(self.dtype))
        loss_sum = torch.zeros(P, dtype=self.dtype, device=self.device)
        acc = torch.zeros_like(self.flat) if accumulate else None
        flat = self.flat
        for j in range(n_micro):
            sel = order[..., j * b:(j + 1) * b]
            xb, yb = x[sel], y[sel]
            losses = self._losses(xb, yb, per)
            det = losses.detach()
            if acc is not None:
                use = j < usable
                self.alive &= torch.isfinite(det) | ~use
                total = (losses * torch.where(use, w, torch.zeros_like(w))).sum()
                (g,) = torch.autograd.grad(total, [flat])
                acc += g
                due = (use & ((j + 1) % k_t == 0)).view(-1, 1)
                self.opt.step(flat.data, acc, due)
                acc.masked_fill_(due, 0.0)
                loss_sum += torch.where(use, det * w, torch.zeros_like(det))
            else:
                self.alive &= torch.isfinite(det)
                (g,) = torch.autograd.grad(losses.sum(), [flat])
                self.opt.step(flat.data, g, None)
                loss_sum += det
        steps = torch.tensor([max(1, n_micro // k) for k in self.k], dtype=self.dtype,
                             device=self.device)
        return loss_sum / (steps if accumulate else max(1, n_micro))

    @torch.no_grad()
    def evaluate(self, x: torch.Tensor, y: torch.Tensor, metric_fn: Fn, chunk: int
                 ) -> torch.Tensor:
        """Each member's metric on (x, y) in eval mode (a size-weighted mean over chunks)."""
        self.template.eval()
        vm = vmap(metric_fn, in_dims=(0, None))
        total = torch.zeros(len(self.idx), dtype=self.dtype, device=self.device)
        n = x.shape[0]
        for s in range(0, n, chunk):
            xb, yb = x[s:s + chunk], y[s:s + chunk]
            total += vm(self._forward(xb), yb).to(self.dtype) * xb.shape[0]
        return total / n

    @torch.no_grad()
    def predict(self, x: torch.Tensor) -> torch.Tensor:
        """Every member's eval-mode output on ``x``: ``[P, ...]``."""
        self.template.eval()
        return self._forward(x)

    def state_dict(self, local: int) -> dict[str, torch.Tensor]:
        tensors = {**self.params(self.flat.detach()), **self.buffers}
        return {k: tensors[n][local].detach().cpu().clone() for k, n in self._sd_names.items()}

    def member_state(self, local: int) -> dict[str, Any]:
        """Everything a member needs to continue training later: weights and buffers (its
        ``state_dict``) and its optimizer row (moments, step count)."""
        return {"state_dict": self.state_dict(local), "optimizer": self.opt.row(local)}

    def keep(self, local: list[int]) -> None:
        """Compaction: keep only the members at these local positions."""
        t = torch.tensor(local, dtype=torch.long, device=self.device)
        self.flat = self.flat.detach().index_select(0, t).requires_grad_(True)
        self.frozen = {n: p.index_select(0, t) for n, p in self.frozen.items()}
        self.buffers = {n: b.index_select(0, t) for n, b in self.buffers.items()}
        self.opt.select(t)
        self.alive = self.alive.index_select(0, t)
        self.idx = [self.idx[i] for i in local]
        self.k = [self.k[i] for i in local]


class SoloProgram(Program):
    """One member of a module torch.func cannot batch, trained by itself (no vmap) with the
    same optimizer arithmetic, schedules and micro-batching as a program: the slow path,
    taken only when asked (``unbatchable="one_at_a_time"``). The member's own module copy
    runs, so state it keeps outside its parameters and buffers stays its own."""

    def __init__(self, plan: GroupPlan, members: Sequence[Member], device: torch.device,
                 dtype: torch.dtype, loss_fn: Fn,
                 resume: Sequence[Mapping[str, Any] | None] | None = None) -> None:
        if len(plan.members) != 1:
            raise ValueError("SoloProgram: one member per program")
        super().__init__(plan, members, device, dtype, loss_fn, resume)

    def _one(self) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
        return ({n: t[0] for n, t in self.params().items()},
                {n: b[0] for n, b in self.buffers.items()})  # views: updates land in place

    def _forward(self, x: torch.Tensor) -> torch.Tensor:
        with autocast(self.device, self.precision):
            out: torch.Tensor = functional_call(self.template, self._one(), (x,))
        return out.unsqueeze(0)

    def _losses(self, x: torch.Tensor, y: torch.Tensor, per_member: bool = False
                ) -> torch.Tensor:
        if per_member:
            x, y = x[0], y[0]
        with autocast(self.device, self.precision):
            out = functional_call(self.template, self._one(), (x,))
            loss: torch.Tensor = self.loss_fn(out, y)
        return loss.reshape(1)
