"""Shared fixtures for the caviar.nn tests; the oracle is caviar.nn.train_reference (plain
torch.nn modules and torch.optim, one model at a time)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
import torch

from caviar.nn import Dataset, load_dataset, train_reference


def head(data: Dataset, n_train: int, n_val: int, name: str) -> Dataset:
    """The first ``n_train`` training and ``n_val`` validation examples of ``data``."""
    return Dataset(data.X_train[:n_train], data.y_train[:n_train], data.X_val[:n_val],
                   data.y_val[:n_val], data.n_classes, name)


@pytest.fixture(scope="session")
def digits() -> Dataset:
    return load_dataset("digits", seed=0, val_fraction=0.2)


@pytest.fixture(scope="session")
def small_digits(digits: Dataset) -> Dataset:
    """400 training examples: fast enough for many float64 reference runs."""
    return head(digits, 400, 200, "digits-small")


@pytest.fixture(scope="session")
def tiny(digits: Dataset) -> Dataset:
    """130 training examples and 60 validation ones (ticks of 16 rows: 8 full ones and a partial
    last one)."""
    return head(digits, 130, 60, "digits-tiny")


@pytest.fixture()
def reference() -> Callable[..., tuple[torch.nn.Module, list[tuple[float, float, float]]]]:
    return train_reference


def max_abs_diff(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> float:
    assert a.keys() == b.keys(), (sorted(a), sorted(b))
    return max(float((a[k].double() - b[k].double()).abs().max()) for k in a if a[k].numel())


@pytest.fixture()
def state_diff() -> Callable[[dict[str, torch.Tensor], dict[str, torch.Tensor]], float]:
    return max_abs_diff


np.seterr(all="ignore")


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """Correctness tests run on one intra-op thread: on a shared 2-core machine, two spinning
    OpenMP threads make every operator many times slower (speed lives in bench/)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
