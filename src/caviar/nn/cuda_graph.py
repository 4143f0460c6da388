"""One epoch of a sub-population as a replayable program: static inputs, one CUDA graph.

A sub-population's epoch is a fixed sequence of ticks (group.py ``schedule``): only the data
that flows through it changes from epoch to epoch, namely the members' example order (one index
vector) and the optimizer's per-tick tables (signed step, its reciprocal, Adam's bias
correction). :class:`EpochProgram` keeps those in static tensors; an epoch copies the new
values in and runs the body on them. With ``capture=True`` (CUDA) the body is recorded once as
a ``torch.cuda.CUDAGraph`` and every later epoch is one ``replay()``: no Python, no kernel
launches from the host, no host sync inside the epoch. With ``capture=False`` the same static
path runs eagerly (how the CPU tests exercise everything but the capture call itself).

The first epoch with a given key runs the body without capture: it allocates the workspace,
initialises cuBLAS and compiles programs, so the capture that follows records a steady state.
The program is dropped whenever the group's storage changes (members compacted or replaced).

Not measured on hardware in the session that wrote it (no GPU was available).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

Body = Callable[[Tensor, tuple[Tensor, Tensor, Tensor], Tensor], None]


class EpochProgram:
    """Static inputs of one epoch's ticks and, when capturing, the CUDA graph that runs them."""

    def __init__(self, body: Body, *, capture: bool) -> None:
        self.body = body
        self.capture = capture
        self.graph: torch.cuda.CUDAGraph | None = None
        self.static: tuple[Tensor, tuple[Tensor, Tensor, Tensor], Tensor] | None = None
        self.runs = 0  # epochs run through this program

    def _load(self, idx: Tensor, tables: tuple[Tensor, Tensor, Tensor], loss: Tensor) -> None:
        if self.static is None:
            self.static = (
                idx.clone(),
                (tables[0].clone(), tables[1].clone(), tables[2].clone()),
                torch.zeros_like(loss),
            )
            return
        s_idx, s_tables, s_loss = self.static
        s_idx.copy_(idx, non_blocking=True)
        for dst, src in zip(s_tables, tables, strict=True):
            dst.copy_(src, non_blocking=True)
        s_loss.zero_()

    def run(self, idx: Tensor, tables: tuple[Tensor, Tensor, Tensor], loss: Tensor) -> None:
        """One epoch on the static copies of ``idx`` and ``tables``; adds the epoch's loss sum
        into ``loss``."""
        self._load(idx, tables, loss)
        assert self.static is not None
        s_idx, s_tables, s_loss = self.static
        if not self.capture:
            self.body(s_idx, s_tables, s_loss)
        elif self.graph is not None:
            self.graph.replay()
        elif self.runs == 0:  # warm-up epoch: allocations, cuBLAS handles, compiled programs
            self.body(s_idx, s_tables, s_loss)
        else:
            torch.cuda.synchronize()
            graph = torch.cuda.CUDAGraph()
            with torch.cuda.graph(graph):
                self.body(s_idx, s_tables, s_loss)
            self.graph = graph
            graph.replay()  # capture records without running: run the captured epoch now
        loss.add_(s_loss)
        self.runs += 1
