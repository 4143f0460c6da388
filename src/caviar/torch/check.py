"""Before training: does the model run, fit the loss, and can torch.func batch it?

One plain forward on two training examples (on a copy of the model) catches a model that
does not run or whose output does not fit the loss; one trial ``vmap`` over two stacked
copies, forward and backward, in train and eval mode, catches what torch.func cannot batch.
Each refusal is a ``UsageError`` naming the module class, the reason and a fix.
"""

from __future__ import annotations

import copy
from typing import Any

import torch
from torch.func import functional_call, vmap

from caviar.errors import UsageError
from caviar.torch.losses import check_fit
from caviar.torch.program import autocast

_REASONS = [
    (("item()", ".item", "tolist"),
     "it calls .item() (or .tolist()) on a tensor, which turns a batched value into one Python "
     "number", "compute with tensor operations instead of .item(), e.g. torch.where"),
    (("data-dependent control flow",),
     "it uses a tensor in Python control flow (if/while on a tensor value), which differs "
     "from member to member", "replace the branch by torch.where or make it depend on "
     "shapes or Python settings only"),
    (("inplace", "in-place", "in place", "doesn't match the broadcast shape"),
     "it updates a tensor in place that is not one of its parameters or registered buffers "
     "(an unbatched tensor cannot hold a value per member)",
     "register the tensor with self.register_buffer(...) or write the update out of place "
     "(x = x + y instead of x += y)"),
]


def _reason(err: BaseException) -> tuple[str, str]:
    msg = str(err)
    low = msg.lower()
    for keys, why, fix in _REASONS:
        if any(k.lower() in low for k in keys):
            return why, fix
    first = msg.strip().splitlines()[0] if msg.strip() else type(err).__name__
    return (f"torch.func could not batch it ({type(err).__name__}: {first[:300]})",
            "make forward a pure function of its inputs, parameters and buffers")


def check_member(model: torch.nn.Module, loss: Any, loss_fn: Any, x: torch.Tensor,
                 y: torch.Tensor, y_all: torch.Tensor, *, allow_unbatchable: bool = False,
                 precision: str = "fp32") -> bool:
    """``x``, ``y``: two training examples on the device, in the engine's dtype. True when
    torch.func can batch the module; False (only with ``allow_unbatchable``) when it cannot,
    so the group trains one member at a time."""
    name = type(model).__name__
    m = copy.deepcopy(model)
    m.train()
    try:
        out = m(x)
    except Exception as e:
        raise UsageError(f"model {name}: forward failed on a training batch of shape "
                         f"{tuple(x.shape)}: {type(e).__name__}: {e}; check the input size "
                         "the first layer expects") from e
    check_fit(loss, out, y, y_all, name)
    params = {k: torch.stack([v.detach(), v.detach()]).requires_grad_(v.requires_grad)
              for k, v in m.named_parameters()}
    buffers = {k: torch.stack([v.detach(), v.detach()]) for k, v in m.named_buffers()}

    def f(p: Any, b: Any, xb: torch.Tensor) -> torch.Tensor:
        with autocast(x.device, precision):  # bf16: the ops must run under autocast too
            out = functional_call(m, (p, b), (xb,))
            return loss_fn(out, y)  # type: ignore[no-any-return]

    try:
        losses = vmap(f, in_dims=(0, 0, None), randomness="different")(params, buffers, x)
        trained = [p for p in params.values() if p.requires_grad]
        torch.autograd.grad(losses.sum(), trained, allow_unused=True)
        m.eval()
        with torch.no_grad():
            vmap(f, in_dims=(0, 0, None), randomness="different")(params, buffers, x)
    except Exception as e:
        if allow_unbatchable:
            return False
        why, fix = _reason(e)
        raise UsageError(f"model {name}: cannot be trained as a population because {why}; "
                         f"{fix}; or train this group one member at a time with "
                         "unbatchable='one_at_a_time' (--unbatchable one-at-a-time)") from e
    return True
