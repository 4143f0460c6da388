"""Per-member optimizers as tensor programs over stacked parameters ``[P, ...]``.

Every hyperparameter is a tensor of shape ``[P]``, so members of one program may use
different optimizers and settings. One update covers all four forms:

    g  = g + l2 * p                       (L2 weight decay: sgd, sgd_ewma, adam)
    p  = p * (1 - lr * wd_decoupled)      (adamw)
    m  = a * m + c * g                    sgd: (a, c) = (momentum, 1)   torch's form
                                          sgd_ewma: (beta, 1 - beta)     the lecture's form
                                          adam/adamw: (beta1, 1 - beta1)
    v  = beta2 * v + (1 - beta2) * g * g  (adam/adamw)
    p  = p - lr * m / bc1 / (sqrt(v) / sqrt(bc2) + eps)   adam/adamw (bias-corrected)
    p  = p - lr * m                                        sgd forms

Gradient clipping per member rescales the member's whole gradient by
``min(1, max_norm / (norm + 1e-6))`` first, as ``torch.nn.utils.clip_grad_norm_`` does.
A member steps only where ``mask`` is true (gradient accumulation). A failed member keeps
stepping (its numbers are NaN); rows never mix, so no other member sees it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import torch

from caviar.torch.member import Member


def _col(t: torch.Tensor, ndim: int) -> torch.Tensor:
    return t.view(t.shape[0], *([1] * (ndim - 1)))


class PopulationOptimizer:
    """The optimizer state of one program over its flat parameters ``[P, n]`` (every
    trained parameter of a member side by side in one row): momentum ``m`` and Adam's second
    moment ``v``, and every hyperparameter as a column ``[P, 1]``."""

    def __init__(self, members: Sequence[Member], flat: torch.Tensor) -> None:
        dtype, device = flat.dtype, flat.device

        def vec(xs: Sequence[float]) -> torch.Tensor:
            return torch.tensor(list(xs), dtype=dtype, device=device).view(-1, 1)

        kinds = [m.optimizer for m in members]
        adam = [k in ("adam", "adamw") for k in kinds]
        self.any_adam = any(adam)
        self.all_adam = all(adam)
        self.is_adam = torch.tensor(adam, device=device).view(-1, 1)
        self.base_lr = [m.lr for m in members]
        self.schedules = [m.schedule for m in members]
        self.lr = vec(self.base_lr)
        pairs = list(zip(kinds, members, strict=True))
        self.l2 = vec([0.0 if k == "adamw" else m.weight_decay for k, m in pairs])
        self.wd = vec([m.weight_decay if k == "adamw" else 0.0 for k, m in pairs])
        self.a = vec([m.betas[0] if k in ("adam", "adamw") else
                      m.momentum if k == "sgd" else m.beta for k, m in pairs])
        self.c = vec([1 - m.betas[0] if k in ("adam", "adamw") else
                      1.0 if k == "sgd" else 1 - m.beta for k, m in pairs])
        self.b2 = vec([m.betas[1] for m in members])
        self.eps = vec([m.eps for m in members])
        clips = [m.clip_grad_norm for m in members]
        self.any_clip = any(c is not None for c in clips)
        self.max_norm = vec([math.inf if c is None else c for c in clips])
        self.has_clip = torch.tensor([c is not None for c in clips], device=device).view(-1, 1)
        self.any_l2 = any(k != "adamw" and m.weight_decay for k, m in pairs)
        self.any_wd = any(k == "adamw" and m.weight_decay for k, m in pairs)
        self.steps = torch.zeros(len(members), 1, dtype=dtype, device=device)
        self.m = torch.zeros_like(flat)
        self.v = torch.zeros_like(flat) if self.any_adam else flat.new_zeros(0)

    _NAMES = ("is_adam", "lr", "l2", "wd", "a", "c", "b2", "eps", "max_norm", "has_clip",
              "steps", "m", "v")

    def set_epoch(self, epoch: int) -> None:
        """The lr of each member for ``epoch`` (0-based), from its schedule."""
        lrs = [lr if s is None else s.lr_at(lr, epoch)
               for lr, s in zip(self.base_lr, self.schedules, strict=True)]
        self.lr = torch.tensor(lrs, dtype=self.lr.dtype, device=self.lr.device).view(-1, 1)

    def select(self, keep: torch.Tensor) -> None:
        """Keep only the members at indices ``keep`` (compaction)."""
        for name in self._NAMES:
            t = getattr(self, name)
            if t.numel():
                setattr(self, name, t.index_select(0, keep))
        k = keep.tolist()
        self.base_lr = [self.base_lr[i] for i in k]
        self.schedules = [self.schedules[i] for i in k]

    def row(self, i: int) -> dict[str, Any]:
        """Member ``i``'s optimizer state (CPU): moments over its flat parameters and its
        number of steps taken."""
        return {"m": self.m[i].detach().cpu().clone(),
                "v": self.v[i].detach().cpu().clone() if self.v.numel() else None,
                "steps": float(self.steps[i, 0])}

    def load_row(self, i: int, state: Mapping[str, Any]) -> None:
        """Set member ``i``'s optimizer state from ``row(i)`` of an earlier program."""
        from caviar.errors import UsageError

        m = torch.as_tensor(state["m"]).to(self.m)
        if m.shape != self.m[i].shape:
            raise UsageError(f"resume: saved optimizer moments have {m.numel()} numbers, the "
                             f"member has {self.m[i].numel()} parameters; resume with the "
                             "member function that trained it")
        self.m[i] = m
        if self.v.numel() and state.get("v") is not None:
            self.v[i] = torch.as_tensor(state["v"]).to(self.v)
        self.steps[i, 0] = float(state["steps"])

    def clip(self, g: torch.Tensor) -> torch.Tensor:
        if not self.any_clip:
            return g
        norm = g.norm(dim=1, keepdim=True)
        coef = torch.clamp(self.max_norm / (norm + 1e-6), max=1.0)
        coef = torch.where(self.has_clip, coef, torch.ones_like(coef))
        return g * coef

    @torch.no_grad()
    def step(self, p: torch.Tensor, g: torch.Tensor, mask: torch.Tensor | None) -> None:
        """One step of the flat parameters ``p`` for the members where ``mask`` ``[P, 1]``
        (None: every member), in place."""
        g = self.clip(g)
        if mask is None:
            self.steps += 1
            old = None
        else:
            self.steps = torch.where(mask, self.steps + 1, self.steps)
            old = (p.clone(), self.m.clone(), self.v.clone())
        if self.any_l2:
            g = g.addcmul(self.l2, p)
        if self.any_wd:
            p.mul_(1 - self.lr * self.wd)
        self.m.mul_(self.a).addcmul_(self.c, g)
        if self.any_adam:
            self.v.mul_(self.b2).addcmul_(1 - self.b2, g * g)
            bc1 = 1 - self.a ** self.steps
            rbc2 = torch.rsqrt(1 - self.b2 ** self.steps)
            denom = self.v.sqrt().mul_(rbc2).add_(self.eps)
            step = self.lr / bc1
            if not self.all_adam:
                denom = torch.where(self.is_adam, denom, torch.ones_like(denom))
                step = torch.where(self.is_adam, step, self.lr)
            p.addcdiv_(self.m * step, denom, value=-1.0)
        else:
            p.addcmul_(self.m, self.lr, value=-1.0)
        if old is not None and mask is not None:
            p.copy_(torch.where(mask, p, old[0]))
            self.m = torch.where(mask, self.m, old[1])
            if self.any_adam:
                self.v = torch.where(mask, self.v, old[2])


def as_device(device: Any) -> torch.device:
    """'cpu', 'cuda', 'cuda:1' or 'auto' (cuda when available)."""
    from caviar.errors import UsageError

    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        d = torch.device(device)
    except (RuntimeError, TypeError):
        raise UsageError(f"device: must be 'cpu', 'cuda', 'cuda:N' or 'auto', got "
                         f"device={device!r}") from None
    if d.type == "cuda" and not torch.cuda.is_available():
        raise UsageError(f"device={device!r}: CUDA is not available here; use device='cpu' "
                         "or 'auto'")
    return d
