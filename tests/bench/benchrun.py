"""Run a bench script in --quick mode in a fresh interpreter (shared by the bench tests)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_quick(script: str) -> str:
    """``python bench/SCRIPT --quick``; asserts it exits 0 and returns its stdout."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    p = subprocess.run([sys.executable, str(ROOT / "bench" / script), "--quick"], env=env,
                       text=True, capture_output=True, timeout=600)
    assert p.returncode == 0, p.stderr[-3000:]
    return p.stdout
