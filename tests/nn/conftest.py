"""Shared fixtures for the caviar.nn tests; the oracle is caviar.nn.train_reference (plain
torch.nn modules and torch.optim, one model at a time)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
import torch

from caviar.nn import Dataset, load_dataset, train_reference


@pytest.fixture(scope="session")
def digits() -> Dataset:
    return load_dataset("digits", seed=0, val_fraction=0.2)


@pytest.fixture(scope="session")
def small_digits(digits: Dataset) -> Dataset:
    """400 training examples: fast enough for many float64 reference runs."""
    return Dataset(
        digits.X_train[:400],
        digits.y_train[:400],
        digits.X_val[:200],
        digits.y_val[:200],
        digits.n_classes,
        "digits-small",
    )


@pytest.fixture(scope="session")
def tiny(digits: Dataset) -> Dataset:
    """130 training examples and 60 validation ones (ticks of 16 rows: 8 full ones and a partial
    last one)."""
    return Dataset(
        digits.X_train[:130],
        digits.y_train[:130],
        digits.X_val[:60],
        digits.y_val[:60],
        digits.n_classes,
        "digits-tiny",
    )


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
