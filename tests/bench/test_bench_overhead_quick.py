"""Every bench script runs in --quick mode, so none rots."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_overhead_quick() -> None:
    pytest.importorskip("optuna")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    p = subprocess.run([sys.executable, str(ROOT / "bench" / "overhead.py"), "--quick"],
                       env=env, text=True, capture_output=True, timeout=600)
    assert p.returncode == 0, p.stderr
    assert "optuna/caviar" in p.stdout and "2 processes vs 1" in p.stdout
