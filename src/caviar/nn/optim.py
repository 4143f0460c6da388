"""Per-member optimizers over a population's flat parameter buffer ``[P, N]``.

Conventions are the lecture's (docs/nn.md gives the ``torch.optim`` mapping), with gradient
``g`` already including the L2 term ``weight_decay * w`` on weight matrices (not on biases or
batch-norm gamma/beta):

* sgd:      ``w -= lr * g``
* momentum: ``v = beta * v + (1 - beta) * g``; ``w -= lr * v``   (``beta`` = config ``momentum``)
* rmsprop:  ``s = beta2 * s + (1 - beta2) * g^2``; ``w -= lr * g / (sqrt(s) + eps)``
* adam:     ``m = beta1 m + (1 - beta1) g``; ``s = beta2 s + (1 - beta2) g^2``;
  ``w -= lr * (m / (1 - beta1^t)) / (sqrt(s / (1 - beta2^t)) + eps)``

Members are sorted by optimizer inside a sub-population, so each optimizer is one contiguous
block of rows and runs only the arithmetic it needs; every hyperparameter is a ``[P, 1]`` tensor.
Learning-rate schedules and Adam's bias corrections are precomputed once per epoch as
``[steps, P, 1]`` tables (float64 on the host, then one copy to the device).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from .config import MemberConfig


@dataclass
class Block:
    """A contiguous run of rows [start, stop) that share one optimizer."""

    kind: str
    start: int
    stop: int


@dataclass
class BoundBlock:
    """An optimizer block's rows of every parameter segment (see ``PopulationOptimizer.bind``)."""

    block: Block
    rows: slice
    w: list[Tensor]
    g: list[Tensor]
    m: list[Tensor]
    s: list[Tensor]
    t: list[Tensor]
    decay: list[tuple[Tensor, Tensor]]  # (weights, their gradients) of the weight matrices


def blocks(cfgs: Sequence[MemberConfig]) -> list[Block]:
    """Contiguous optimizer blocks; ``cfgs`` must already be sorted by optimizer."""
    out: list[Block] = []
    for row, cfg in enumerate(cfgs):
        if out and out[-1].kind == cfg.optimizer:
            out[-1].stop = row + 1
        else:
            out.append(Block(cfg.optimizer, row, row + 1))
    return out


class PopulationOptimizer:
    """Optimizer state (first and second moments) and per-member hyperparameters.

    Parameters, gradients and moments live in segment-major storage (see group.py): a list of
    ``[P, k]`` views, one per weight matrix plus one for all vectors. Weight decay applies to
    the weight-matrix segments only.
    """

    def __init__(
        self, cfgs: Sequence[MemberConfig], size: int, dtype: torch.dtype, device: torch.device
    ) -> None:
        self.cfgs = list(cfgs)
        self.dtype, self.device = dtype, device
        self.m = torch.zeros(size, dtype=dtype, device=device)
        self.s = torch.zeros(size, dtype=dtype, device=device)
        self.scratch = torch.empty(size, dtype=dtype, device=device)
        self._refresh()

    def _column(self, values: Sequence[float]) -> Tensor:
        return torch.tensor(
            np.asarray(values, dtype=np.float64).reshape(-1, 1),
            dtype=self.dtype,
            device=self.device,
        )

    def _refresh(self) -> None:
        cfgs = self.cfgs
        beta1 = [
            c.beta1 if c.optimizer == "adam" else c.momentum if c.optimizer == "momentum" else 0.0
            for c in cfgs
        ]
        beta2 = [c.beta2 if c.optimizer in ("adam", "rmsprop") else 0.0 for c in cfgs]
        self.omb1 = self._column([1.0 - b for b in beta1])
        self.omb2 = self._column([1.0 - b for b in beta2])
        self.eps = self._column([c.eps for c in cfgs])
        wd = [c.weight_decay for c in cfgs]
        self.wd = self._column(wd) if any(w > 0 for w in wd) else None
        self.blocks = blocks(cfgs)

    def keep(self, m: Tensor, s: Tensor, cfgs: Sequence[MemberConfig]) -> None:
        """Adopt compacted moment storages for the members still alive."""
        self.cfgs = list(cfgs)
        self.m, self.s = m, s
        self.scratch = torch.empty_like(m)
        self._refresh()

    def epoch_tables(self, epoch: int, steps: np.ndarray) -> tuple[Tensor, Tensor, Tensor]:
        """Per tick of ``epoch``, ``[ticks, P, 1]`` tables: the signed step ``-lr_t / (1 -
        beta1^t)``, its reciprocal, and ``1 / (1 - beta2^t)`` (bias corrections: Adam only).
        ``steps`` ``[ticks, P]`` holds each member's 1-based step number t at the ticks where it
        steps (entries of the other ticks are never read)."""
        steps = np.maximum(steps.astype(np.float64), 1.0)
        lr = np.array([c.lr_at(epoch) for c in self.cfgs])[None, :]
        adam = np.array([c.optimizer == "adam" for c in self.cfgs])[None, :]
        b1 = np.array([c.beta1 for c in self.cfgs])[None, :]
        b2 = np.array([c.beta2 for c in self.cfgs])[None, :]
        bc1 = np.where(adam, 1.0 - b1**steps, 1.0)
        bc2 = np.where(adam, 1.0 - b2**steps, 1.0)
        neg_step = -lr / bc1

        def table(a: np.ndarray) -> Tensor:
            return torch.tensor(a[..., None], dtype=self.dtype, device=self.device)

        return table(neg_step), table(1.0 / neg_step), table(1.0 / bc2)

    def bind(self, segments: Sequence[tuple[Tensor, Tensor, Tensor, Tensor, Tensor, bool]]) -> None:
        """Slice (w, g, m, s, scratch, decays) ``[P, k]`` segment views into per-optimizer-block
        lists once, so a step makes a few ``torch._foreach_*`` calls per block."""
        self.segments = list(segments)
        self._bound: dict[tuple[int, int], list[BoundBlock]] = {}

    def bound_rows(self, start: int, stop: int) -> list[BoundBlock]:
        """The optimizer blocks clipped to rows [start, stop), bound once per range."""
        got = self._bound.get((start, stop))
        if got is not None:
            return got
        segments = self.segments
        bound: list[BoundBlock] = []
        for b in self.blocks:
            lo, hi = max(b.start, start), min(b.stop, stop)
            if lo >= hi:
                continue
            r = slice(lo, hi)
            bound.append(
                BoundBlock(
                    b,
                    r,
                    [seg[0][r] for seg in segments],
                    [seg[1][r] for seg in segments],
                    [seg[2][r] for seg in segments],
                    [seg[3][r] for seg in segments],
                    [seg[4][r] for seg in segments],
                    [(seg[0][r], seg[1][r]) for seg in segments if seg[5]],
                )
            )
        self._bound[(start, stop)] = bound
        return bound

    @torch.no_grad()
    def step(
        self, neg_step: Tensor, inv_neg_step: Tensor, inv_bc2: Tensor, rows: tuple[int, int]
    ) -> None:
        """One update of the members in rows [start, stop); the arguments are this tick's
        ``[P, 1]`` rows of :meth:`epoch_tables`. Adam is written
        ``w += m / ((sqrt(s_hat) + eps) / step)``: the signed step folded into the denominator,
        all in place in preallocated scratch."""
        fe = torch
        for bb in self.bound_rows(*rows):
            b, r, w, g, m, s, t, decay = bb.block, bb.rows, bb.w, bb.g, bb.m, bb.s, bb.t, bb.decay
            n = len(w)
            if decay and self.wd is not None:
                wd = self.wd[r]
                fe._foreach_addcmul_(
                    [d[1] for d in decay], [d[0] for d in decay], [wd] * len(decay)
                )
            if b.kind == "sgd":
                fe._foreach_addcmul_(w, g, [neg_step[r]] * n)
                continue
            moment = g
            if b.kind in ("momentum", "adam"):
                fe._foreach_lerp_(m, g, [self.omb1[r]] * n)
                moment = m
            if b.kind == "momentum":
                fe._foreach_addcmul_(w, m, [neg_step[r]] * n)
                continue
            fe._foreach_copy_(t, g)
            fe._foreach_mul_(t, g)
            fe._foreach_lerp_(s, t, [self.omb2[r]] * n)
            fe._foreach_copy_(t, s)
            if b.kind == "adam":
                fe._foreach_mul_(t, [inv_bc2[r]] * n)
            fe._foreach_sqrt_(t)
            inv = inv_neg_step[r]
            fe._foreach_mul_(t, [inv] * n)
            fe._foreach_add_(t, [self.eps[r] * inv] * n)
            fe._foreach_addcdiv_(w, moment, t)
