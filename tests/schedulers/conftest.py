"""Fixtures for the scheduler tests that train (caviar.nn, float64, one thread)."""

from __future__ import annotations

import pytest
import torch

from caviar.nn import Dataset, load_dataset


@pytest.fixture(scope="session")
def small_digits() -> Dataset:
    d = load_dataset("digits", seed=0, val_fraction=0.2)
    return Dataset(d.X_train[:300], d.y_train[:300], d.X_val[:150], d.y_val[:150],
                   d.n_classes, "digits-small")


def _state_diff(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> float:
    assert a.keys() == b.keys(), (sorted(a), sorted(b))
    return max(float((a[k].double() - b[k].double()).abs().max()) for k in a if a[k].numel())


@pytest.fixture()
def state_diff():
    return _state_diff


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
