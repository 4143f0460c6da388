"""A group as the fused program: the same stored tensors as ``Program`` (flat ``[P, n]``
parameters, stacked ``[P, ...]`` buffers, the per-member optimizer), a different forward.

Instead of ``vmap`` over ``functional_call``, every layer of the P members runs as one wider
layer (``caviar.torch.fused``): grouped convolutions, one batch norm over ``P*C`` channels,
batched matmuls. The member rows never mix, so the optimizer, compaction, checkpoints,
failures and PBT's row edits are those of ``Program``. Chosen per group when
``fusable(model)`` holds (the group label then says ``fused``).
"""

from __future__ import annotations

from typing import Any

import torch
from torch.func import vmap

from caviar.torch.fused import Fused
from caviar.torch.program import Program, autocast


class FusedProgram(Program):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fused = Fused(self.template)

    def _forward(self, x: torch.Tensor) -> torch.Tensor:
        with autocast(self.device, self.precision):
            return self.fused(self.params(), self.buffers, x, len(self.idx), False,
                              self.template.training)

    def _losses(self, x: torch.Tensor, y: torch.Tensor, per_member: bool = False
                ) -> torch.Tensor:
        with autocast(self.device, self.precision):
            out = self.fused(self.params(), self.buffers, x, len(self.idx), per_member,
                             self.template.training)
            losses: torch.Tensor = vmap(self.loss_fn, in_dims=(0, 0 if per_member else None)
                                        )(out, y)
        return losses
