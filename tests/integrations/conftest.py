"""Shared helpers: a pruner that stops every trial after its first report."""

from __future__ import annotations

import os
from typing import Any

import pytest

# Keras reads its backend once, at first import: the torch backend needs no TensorFlow
os.environ.setdefault("KERAS_BACKEND", "torch")


class PruneAfter:
    """Prune any trial once it has reported ``steps`` steps."""

    def __init__(self, steps: int = 1) -> None:
        self.steps = steps

    def decide_trial(self, number: int, curve: Any, others: Any, minimize: bool) -> bool:
        return len(curve) >= self.steps


@pytest.fixture
def prune_after() -> type[PruneAfter]:
    return PruneAfter
