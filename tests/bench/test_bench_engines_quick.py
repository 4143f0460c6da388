"""bench/engines.py --quick runs (caviar.torch vs caviar.nn on the BN-MLP), so it does not rot."""

from __future__ import annotations

import pytest
from benchrun import run_quick


@pytest.mark.slow
def test_engines_quick() -> None:
    pytest.importorskip("torch")
    out = run_quick("engines.py")
    assert "P=   4  caviar.nn" in out and "caviar.torch / caviar.nn = " in out
    assert "val acc nn 0." in out and "load average" in out
