"""bench/scale.py --quick runs (PostgreSQL, worker counts, Ray), so it does not rot."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.ray
def test_scale_quick() -> None:
    pytest.importorskip("optuna")
    pytest.importorskip("psycopg")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    p = subprocess.run([sys.executable, str(ROOT / "bench" / "scale.py"), "--quick"], env=env,
                       text=True, capture_output=True, timeout=600)
    assert p.returncode == 0, p.stderr[-3000:]
    assert "optuna/caviar" in p.stdout and "8 workers" in p.stdout
    assert "Ray adds" in p.stdout or "Ray: not installed" in p.stdout
