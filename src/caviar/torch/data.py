"""Training and validation data as two tensors on the device, and the batch order.

Accepted: a pair ``(x, y)`` of tensors or NumPy arrays, a ``torch.utils.data.Dataset``
whose items are ``(x, y)`` pairs (read once, item by item; a ``TensorDataset`` directly),
or a ``DataLoader`` (iterated once; caviar then forms its own batches, so the loader's
batch size and shuffling do not matter).

Batch order: in epoch ``e`` every member of a population sees the training examples in the
order ``batch_order(n, e, seed)``, cut into consecutive batches of its batch size; a last
batch shorter than the batch size is dropped (as ``DataLoader(drop_last=True)``).
"""

from __future__ import annotations

from typing import Any

import torch

from caviar.errors import UsageError


def batch_order(n: int, epoch: int, seed: int = 0) -> torch.Tensor:
    """The permutation of ``n`` training examples used in ``epoch`` (CPU, int64)."""
    g = torch.Generator().manual_seed(int(seed) * 100_003 + int(epoch))
    return torch.randperm(n, generator=g)


def _tensor(v: Any, what: str) -> torch.Tensor:
    if isinstance(v, torch.Tensor):
        return v.detach()
    try:
        import numpy as np

        if isinstance(v, np.ndarray):
            return torch.from_numpy(v)
    except ImportError:  # pragma: no cover
        pass
    raise UsageError(f"{what}: must be a tensor or NumPy array, got {type(v).__name__}")


def as_tensors(data: Any, what: str) -> tuple[torch.Tensor, torch.Tensor]:
    """``(x, y)`` on the CPU from a pair, a Dataset or a DataLoader."""
    from torch.utils.data import DataLoader, Dataset, TensorDataset

    if isinstance(data, DataLoader):
        xs, ys = [], []
        for item in data:
            if not isinstance(item, tuple | list) or len(item) != 2:
                raise UsageError(f"{what}: a DataLoader must yield (x, y) batches, got "
                                 f"{type(item).__name__}")
            xs.append(_tensor(item[0], what))
            ys.append(_tensor(item[1], what))
        if not xs:
            raise UsageError(f"{what}: the DataLoader yielded no batch; give it data")
        x, y = torch.cat(xs), torch.cat(ys)
    elif isinstance(data, TensorDataset) and len(data.tensors) == 2:
        x, y = data.tensors[0].detach(), data.tensors[1].detach()
    elif isinstance(data, Dataset):
        n = len(data)  # type: ignore[arg-type]
        items = [data[i] for i in range(n)]
        if not items or not all(isinstance(it, tuple | list) and len(it) == 2 for it in items):
            raise UsageError(f"{what}: a Dataset must hold (x, y) items, got "
                             f"{type(items[0]).__name__ if items else 'no items'}")
        x = torch.stack([torch.as_tensor(it[0]) for it in items])
        y = torch.stack([torch.as_tensor(it[1]) for it in items])
    elif isinstance(data, tuple | list) and len(data) == 2:
        x, y = _tensor(data[0], f"{what}[0]"), _tensor(data[1], f"{what}[1]")
    else:
        raise UsageError(f"{what}: must be a pair (x, y) of tensors, a torch Dataset of "
                         f"(x, y) items or a DataLoader, got {type(data).__name__}; e.g. "
                         f"{what}=(x_train, y_train)")
    if x.shape[0] != y.shape[0] or x.shape[0] == 0:
        raise UsageError(f"{what}: x and y must hold the same number (> 0) of examples, got "
                         f"{x.shape[0]} and {y.shape[0]}")
    return x, y
