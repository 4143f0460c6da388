"""The fused forward: every layer of P members as ONE layer over the members side by side.

For a module built from the usual layers (``nn.Sequential`` trees of convolutions, batch
norm, linear layers, activations, pooling, flatten, dropout, layer norm) a population needs
no ``vmap``: each layer of P members is itself one wider layer.

- ``ConvNd`` (groups=1, zero padding): weights ``[P, out, in, k..]`` seen as
  ``[P*out, in, k..]``; on the data every member shares (the first layer) one convolution
  with ``P*out`` output channels, else a grouped convolution with ``groups=P`` over the
  members' channels side by side (``[N, P*C, ...]``, HFTA's trick).
- ``BatchNormNd``: one batch norm over ``P*C`` channels; the running statistics ``[P, C]`` are
  updated in place as ``[P*C]`` views, so each member's equal those of the member alone.
- ``Linear``: a batched matmul ``[P, N, in] @ [P, in, out]`` (``baddbmm`` with the bias); on
  the shared data, one matmul with the weights of every member.
- ``LayerNorm``: normalized per member over its own features, then each member's affine.
- Activations, ``Dropout`` (every element, hence every member, its own mask), pooling
  (per channel) and ``Flatten`` / ``Unflatten`` act on the joined tensor directly.

Between layers the data is in one of three layouts: ``shared`` (``[N, ...]``, the same for
every member: the input), ``chan`` (``[N, P*C, ...]``, members side by side on the channel
axis) and ``batch`` (``[P, N, ...]``, members first). Each layer takes the layout it needs.
``fusable(model)`` says why a module cannot be fused (None: it can); such groups run as the
vmap program instead.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Any

import torch
import torch.nn as nn
import torch.nn.functional as F

SHARED, CHAN, BATCH = "shared", "chan", "batch"

_ELEMENTWISE = (nn.ReLU, nn.ReLU6, nn.LeakyReLU, nn.GELU, nn.SiLU, nn.Tanh, nn.Sigmoid, nn.ELU,
                nn.SELU, nn.CELU, nn.Softplus, nn.Mish, nn.Hardswish, nn.Hardsigmoid,
                nn.Hardtanh, nn.Softsign, nn.Tanhshrink, nn.Identity)
_POOL = (nn.MaxPool1d, nn.MaxPool2d, nn.AvgPool1d, nn.AvgPool2d, nn.AdaptiveAvgPool1d,
         nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool1d, nn.AdaptiveMaxPool2d)
_CONV = {nn.Conv1d: F.conv1d, nn.Conv2d: F.conv2d}
_BN = (nn.BatchNorm1d, nn.BatchNorm2d)
_LEAVES = (*_ELEMENTWISE, *_POOL, *_CONV, *_BN, nn.Linear, nn.LayerNorm, nn.Dropout,
           nn.Dropout1d, nn.Dropout2d, nn.Flatten, nn.Unflatten)


def _leaves(mod: nn.Module, prefix: str = "") -> Iterator[tuple[str, nn.Module]]:
    if type(mod) is nn.Sequential:
        for name, child in mod.named_children():
            yield from _leaves(child, f"{prefix}{name}.")
    else:
        yield prefix, mod


def fusable(model: nn.Module) -> str | None:
    """Why ``model`` cannot run as the fused program, or None when it can."""
    if type(model) is not nn.Sequential:
        return f"{type(model).__name__} is not an nn.Sequential (its forward is its own)"
    names = [n for n, _ in model.named_parameters(remove_duplicate=False)]
    if len(names) != len(set(names)) or len(names) != len(list(model.parameters())):
        return "it shares parameters between layers"
    for prefix, mod in _leaves(model):
        what = f"layer {prefix[:-1] or '?'} ({type(mod).__name__})"
        if type(mod) not in _LEAVES:
            return f"{what} is not a layer the fused program knows"
        if mod._forward_hooks or mod._forward_pre_hooks:
            return f"{what} has forward hooks"
        if isinstance(mod, (nn.Conv1d, nn.Conv2d)) and (mod.groups != 1
                                                        or mod.padding_mode != "zeros"):
            return f"{what} has groups != 1 or padding_mode != 'zeros'"
        if isinstance(mod, _BN) and mod.momentum is None:
            return f"{what} has momentum=None (a cumulative average)"
        if isinstance(mod, nn.Flatten) and (mod.start_dim != 1 or mod.end_dim != -1):
            return f"{what} flattens other dimensions than 1..-1"
        if isinstance(mod, nn.Unflatten) and mod.dim != 1:
            return f"{what} unflattens a dimension other than 1"
        if isinstance(mod, _POOL) and getattr(mod, "return_indices", False):
            return f"{what} returns indices"
    return None


class Fused:
    """The fused forward of one ``nn.Sequential`` template over P members' tensors."""

    def __init__(self, template: nn.Module) -> None:
        self.layers = list(_leaves(template))

    def __call__(self, params: Mapping[str, torch.Tensor], buffers: Mapping[str, torch.Tensor],
                 x: torch.Tensor, P: int, per_member: bool, training: bool) -> torch.Tensor:
        """Every member's output ``[P, N, ...]``; ``x``: ``[N, ...]`` shared, or ``[P, N,
        ...]`` (``per_member``)."""
        t, kind = x, BATCH if per_member else SHARED
        for prefix, mod in self.layers:
            t, kind = self._layer(prefix, mod, params, buffers, t, kind, P, training)
        return _to_batch(t, kind, P)

    def _layer(self, prefix: str, mod: nn.Module, params: Mapping[str, torch.Tensor],
               buffers: Mapping[str, torch.Tensor], t: torch.Tensor, kind: str, P: int,
               training: bool) -> tuple[torch.Tensor, str]:
        def p(name: str) -> torch.Tensor | None:
            return params.get(prefix + name)

        if isinstance(mod, _ELEMENTWISE):
            return mod(t), kind
        if isinstance(mod, nn.Dropout):
            if kind == SHARED and training and mod.p > 0:  # a mask per member: materialize
                t, kind = _to_batch(t, kind, P).contiguous(), BATCH
            return F.dropout(t, mod.p, training), kind
        if isinstance(mod, (*_POOL, nn.Dropout1d, nn.Dropout2d)):
            t = _to_chan(t, kind, P)
            return mod(t), CHAN
        if type(mod) in _CONV:
            return _conv(mod, p("weight"), p("bias"), t, kind, P), CHAN  # type: ignore[arg-type]
        if isinstance(mod, _BN):
            return _batch_norm(mod, p("weight"), p("bias"), buffers, prefix, t, kind, P,
                               training), CHAN
        if isinstance(mod, nn.Linear):
            return _linear(p("weight"), p("bias"), t, kind, P)  # type: ignore[arg-type]
        if isinstance(mod, nn.LayerNorm):
            return _layer_norm(mod, p("weight"), p("bias"), _to_batch(t, kind, P), P), BATCH
        if isinstance(mod, nn.Flatten):
            if kind == SHARED:
                return t.flatten(1), SHARED
            return _to_batch(t, kind, P).flatten(2), BATCH
        if isinstance(mod, nn.Unflatten):
            if kind == SHARED:
                return t.unflatten(1, mod.unflattened_size), SHARED  # type: ignore[no-untyped-call]
            return (_to_batch(t, kind, P).unflatten(2, mod.unflattened_size),  # type: ignore[no-untyped-call]
                    BATCH)
        raise TypeError(f"fused program: no rule for {type(mod).__name__}")  # fusable() ran


def _to_batch(t: torch.Tensor, kind: str, P: int) -> torch.Tensor:
    """``[P, N, ...]`` (a view where it can be)."""
    if kind == BATCH:
        return t
    if kind == SHARED:
        return t.expand(P, *t.shape)
    n, pc = t.shape[0], t.shape[1]
    return t.reshape(n, P, pc // P, *t.shape[2:]).transpose(0, 1)


def _to_chan(t: torch.Tensor, kind: str, P: int) -> torch.Tensor:
    """``[N, P*C, ...]``."""
    if kind == CHAN:
        return t
    if kind == SHARED:
        return t.repeat(1, P, *([1] * (t.dim() - 2)))
    return t.transpose(0, 1).reshape(t.shape[1], P * t.shape[2], *t.shape[3:])


def _conv(mod: Any, w: torch.Tensor, b: torch.Tensor | None, t: torch.Tensor, kind: str,
          P: int) -> torch.Tensor:
    fn = _CONV[type(mod)]
    weight = w.reshape(P * w.shape[1], *w.shape[2:])
    bias = None if b is None else b.reshape(-1)
    groups = 1 if kind == SHARED else P
    if kind == BATCH:
        t = _to_chan(t, kind, P)
    out: torch.Tensor = fn(t, weight, bias, mod.stride, mod.padding, mod.dilation, groups)
    return out


def _batch_norm(mod: Any, w: torch.Tensor | None, b: torch.Tensor | None,
                buffers: Mapping[str, torch.Tensor], prefix: str, t: torch.Tensor, kind: str,
                P: int, training: bool) -> torch.Tensor:
    t = _to_chan(t, kind, P)
    mean = buffers.get(prefix + "running_mean")
    var = buffers.get(prefix + "running_var")
    use_batch = training or mean is None
    if training and mean is not None:
        buffers[prefix + "num_batches_tracked"].add_(1)
    return F.batch_norm(t, None if mean is None else mean.view(-1),
                        None if var is None else var.view(-1),
                        None if w is None else w.reshape(-1),
                        None if b is None else b.reshape(-1), use_batch,
                        mod.momentum, mod.eps)


def _linear(w: torch.Tensor, b: torch.Tensor | None, t: torch.Tensor, kind: str, P: int
            ) -> tuple[torch.Tensor, str]:
    if kind == SHARED and t.dim() == 2:  # one matmul with every member's weights: [N, P*out]
        out = F.linear(t, w.reshape(-1, w.shape[-1]), None if b is None else b.reshape(-1))
        return out, CHAN
    t = _to_batch(t, kind, P)
    lead = t.shape[1:-1]
    t3 = t.reshape(P, math.prod(lead), t.shape[-1])
    wt = w.transpose(1, 2)
    out = torch.bmm(t3, wt) if b is None else torch.baddbmm(b.unsqueeze(1), t3, wt)
    return out.view(P, *lead, w.shape[1]), BATCH


def _layer_norm(mod: nn.Module, w: torch.Tensor | None, b: torch.Tensor | None,
                t: torch.Tensor, P: int) -> torch.Tensor:
    shape = tuple(mod.normalized_shape)  # type: ignore[arg-type]
    out = F.layer_norm(t, shape, None, None, mod.eps)  # type: ignore[arg-type]
    view = (P, *([1] * (t.dim() - 1 - len(shape))), *shape)
    if w is not None:
        out = out * w.view(view)
    if b is not None:
        out = out + b.view(view)
    return out
