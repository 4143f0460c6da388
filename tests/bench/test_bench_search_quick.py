"""bench/search.py runs in --quick mode, so it does not rot."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_search_quick() -> None:
    pytest.importorskip("optuna")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    p = subprocess.run([sys.executable, str(ROOT / "bench" / "search.py"), "--quick"],
                       env=env, text=True, capture_output=True, timeout=600)
    assert p.returncode == 0, p.stderr
    for word in ("branin", "hartmann6", "styblinski_tang5", "2_important_4_not",
                 "caviar coarse-to-fine", "optuna tpe", "random/hyperband", "optuna/caviar"):
        assert word in p.stdout
