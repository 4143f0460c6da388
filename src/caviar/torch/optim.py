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
A member steps only where ``mask`` is true (gradient accumulation, failed members).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch
from caviar.torch.member import Member


def _col(t: torch.Tensor, ndim: int) -> torch.Tensor:
    return t.view(t.shape[0], *([1] * (ndim - 1)))


class PopulationOptimizer:
    """The optimizer state of one program: momentum (and Adam's second moment) per param."""

    def __init__(self, members: Sequence[Member], params: Sequence[torch.Tensor],
                 dtype: torch.dtype, device: torch.device) -> None:
        def vec(xs: Sequence[float]) -> torch.Tensor:
            return torch.tensor(list(xs), dtype=dtype, device=device)

        kinds = [m.optimizer for m in members]
        adam = [k in ("adam", "adamw") for k in kinds]
        self.any_adam = any(adam)
        self.all_adam = all(adam)
        self.is_adam = torch.tensor(adam, device=device)
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
        self.has_clip = torch.tensor([c is not None for c in clips], device=device)
        self.has_decay = bool(any(m.weight_decay for m in members))
        self.steps = torch.zeros(len(members), dtype=dtype, device=device)
        self.m = [torch.zeros_like(p) for p in params]
        self.v = [torch.zeros_like(p) for p in params] if self.any_adam else []

    def set_epoch(self, epoch: int) -> None:
        """The lr of each member for ``epoch`` (0-based), from its schedule."""
        lrs = [lr if s is None else s.lr_at(lr, epoch)
               for lr, s in zip(self.base_lr, self.schedules, strict=True)]
        self.lr = torch.tensor(lrs, dtype=self.lr.dtype, device=self.lr.device)

    def select(self, keep: torch.Tensor) -> None:
        """Keep only the members at indices ``keep`` (compaction)."""
        for name in ("is_adam", "lr", "l2", "wd", "a", "c", "b2", "eps", "max_norm",
                     "has_clip", "steps"):
            setattr(self, name, getattr(self, name).index_select(0, keep))
        k = keep.tolist()
        self.base_lr = [self.base_lr[i] for i in k]
        self.schedules = [self.schedules[i] for i in k]
        self.m = [t.index_select(0, keep) for t in self.m]
        self.v = [t.index_select(0, keep) for t in self.v]

    def clip(self, grads: list[torch.Tensor]) -> list[torch.Tensor]:
        if not self.any_clip:
            return grads
        sq = sum(g.reshape(g.shape[0], -1).pow(2).sum(1) for g in grads)
        norm = torch.as_tensor(sq).sqrt()
        coef = torch.clamp(self.max_norm / (norm + 1e-6), max=1.0)
        coef = torch.where(self.has_clip, coef, torch.ones_like(coef))
        return [g * _col(coef, g.ndim) for g in grads]

    @torch.no_grad()
    def step(self, params: Sequence[torch.Tensor], grads: list[torch.Tensor],
             mask: torch.Tensor | None) -> None:
        """One step for the members where ``mask`` (None: every member)."""
        grads = self.clip(grads)
        steps = self.steps + 1 if mask is None else torch.where(mask, self.steps + 1, self.steps)
        self.steps = steps
        if self.any_adam:
            bc1 = 1 - self.a ** steps
            rbc2 = 1 / torch.sqrt(1 - self.b2 ** steps)
            scale = torch.where(self.is_adam, 1 / bc1, torch.ones_like(bc1))
        for i, (p, g) in enumerate(zip(params, grads, strict=True)):
            n = p.ndim
            if self.has_decay:
                g = g + _col(self.l2, n) * p
                pd = p * (1 - _col(self.lr * self.wd, n))
            else:
                pd = p
            m = _col(self.a, n) * self.m[i] + _col(self.c, n) * g
            if self.any_adam:
                v = _col(self.b2, n) * self.v[i] + _col(1 - self.b2, n) * g * g
                denom = v.sqrt() * _col(rbc2, n) + _col(self.eps, n)
                if not self.all_adam:
                    denom = torch.where(_col(self.is_adam, n), denom, torch.ones_like(denom))
                new = pd - _col(self.lr * scale, n) * m / denom
            else:
                new = pd - _col(self.lr, n) * m
            if mask is None:
                self.m[i] = m
                if self.any_adam:
                    self.v[i] = v
                p.copy_(new)
            else:
                mk = _col(mask, n)
                self.m[i] = torch.where(mk, m, self.m[i])
                if self.any_adam:
                    self.v[i] = torch.where(mk, v, self.v[i])
                p.copy_(torch.where(mk, new, p))


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
