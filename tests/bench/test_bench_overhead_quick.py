"""Every bench script runs in --quick mode, so none rots."""

from __future__ import annotations

import pytest
from benchrun import run_quick


@pytest.mark.slow
def test_overhead_quick() -> None:
    pytest.importorskip("optuna")
    out = run_quick("overhead.py")
    assert "optuna/caviar" in out and "2 processes vs 1" in out
