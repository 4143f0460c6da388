"""bench/dashboard.py runs in --quick mode, so it does not rot (no timing is asserted)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_dashboard_bench_quick() -> None:
    pytest.importorskip("starlette")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    p = subprocess.run([sys.executable, str(ROOT / "bench" / "dashboard.py"), "--quick"],
                       env=env, text=True, capture_output=True, timeout=600)
    assert p.returncode == 0, p.stderr
    assert "first load" in p.stdout and "naive/caviar" in p.stdout
