"""bench/dashboard.py runs in --quick mode (64 trials, caviar's dashboard and optuna-dashboard
in headless Chromium), so it does not rot (no timing is asserted)."""

from __future__ import annotations

import os

import pytest
from benchrun import run_quick
from tests.conftest import unavailable


@pytest.mark.slow
@pytest.mark.browser
def test_dashboard_bench_quick() -> None:
    pytest.importorskip("starlette")
    pytest.importorskip("playwright")
    if not os.path.exists(os.environ.get("CAVIAR_CHROMIUM", "/usr/bin/chromium")):
        unavailable("no Chromium at /usr/bin/chromium: apt-get install chromium")
    out = run_quick("dashboard.py")
    assert "64 trials x 5 steps" in out and "first paint in headless Chromium" in out
    for part in ("history", "table", "both"):
        assert f"  {part}" in out and "caviar" in out
    # the peer runs beside it (or the output says why it did not)
    assert "optuna-dashboard/caviar" in out or "optuna-dashboard: not measured" in out
