"""Which members train together: one program per group of members with the same structure.

Two members share a program when their modules agree in structure: the same module classes
at the same names, the same ``extra_repr()`` (layer settings such as Dropout's p or
BatchNorm's eps and momentum), the same plain attributes (numbers, strings, tuples), and the
same parameter and buffer names, shapes and dtypes. Batch sizes split a group only where
needed: a group steps on micro-batches of its smallest batch size, and every other batch
size in it is a multiple of that (a member with batch ``k * b`` accumulates ``k``
micro-batches). Networks with batch norm are grouped by batch size as well, because the batch
statistics of a micro-batch differ from those of the whole batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from caviar.torch.member import Member

_PLAIN = (int, float, str, bool, type(None))


def _plain(v: object) -> bool:
    if isinstance(v, tuple):
        return all(_plain(x) for x in v)
    return isinstance(v, _PLAIN)


def has_batch_norm(model: torch.nn.Module) -> bool:
    return any(isinstance(m, torch.nn.modules.batchnorm._BatchNorm) for m in model.modules())


def signature(model: torch.nn.Module) -> str:
    """A string equal for two modules exactly when one program can run both."""
    parts: list[object] = []
    for name, mod in model.named_modules():
        attrs = sorted((k, v) for k, v in vars(mod).items()
                       if not k.startswith("_") and k != "training" and _plain(v))
        parts.append((name, type(mod).__module__, type(mod).__qualname__, mod.extra_repr(),
                      tuple(attrs)))
    for name, p in model.named_parameters():
        parts.append(("param", name, tuple(p.shape), str(p.dtype), p.requires_grad))
    for name, b in model.named_buffers():
        parts.append(("buffer", name, tuple(b.shape), str(b.dtype)))
    return repr(tuple(parts))


@dataclass
class GroupPlan:
    """Members (indices into the population) that form one program, and its micro-batch."""

    members: list[int]
    micro_batch: int
    label: str


def plan_groups(members: Sequence[Member]) -> list[GroupPlan]:
    """Groups in order of their first member."""
    by_sig: dict[str, list[int]] = {}
    for i, m in enumerate(members):
        by_sig.setdefault(signature(m.model), []).append(i)
    plans: list[GroupPlan] = []
    for idx in by_sig.values():
        model = members[idx[0]].model
        bn = has_batch_norm(model)
        subs: list[tuple[int, list[int]]] = []  # (micro batch, members)
        for i in sorted(idx, key=lambda j: (members[j].batch_size, j)):
            bs = members[i].batch_size
            for micro, ms in subs:
                if (bs == micro) if bn else (bs % micro == 0):
                    ms.append(i)
                    break
            else:
                subs.append((bs, [i]))
        for micro, ms in subs:
            ms.sort()
            n_params = sum(p.numel() for p in model.parameters())
            sizes = sorted({members[i].batch_size for i in ms})
            plans.append(GroupPlan(ms, micro, f"{type(model).__name__} ({n_params:,} params, "
                                   f"batch {'/'.join(map(str, sizes))}): {len(ms)} member"
                                   f"{'' if len(ms) == 1 else 's'}"))
    plans.sort(key=lambda g: g.members[0])
    return plans
