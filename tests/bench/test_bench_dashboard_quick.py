"""bench/dashboard.py runs in --quick mode, so it does not rot (no timing is asserted)."""

from __future__ import annotations

import pytest
from benchrun import run_quick


@pytest.mark.slow
def test_dashboard_bench_quick() -> None:
    pytest.importorskip("starlette")
    out = run_quick("dashboard.py")
    assert "first load" in out and "naive/caviar" in out
