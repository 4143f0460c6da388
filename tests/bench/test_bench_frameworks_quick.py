"""bench/frameworks.py --quick runs end to end (here: two frameworks and caviar.nn)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.frameworks
def test_frameworks_bench_quick(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    out = tmp_path / "f.txt"
    p = subprocess.run([sys.executable, str(ROOT / "bench" / "frameworks.py"), "--quick",
                        "--only", "pytorch", "caviar.nn", "--out", str(out)],
                       env=env, text=True, capture_output=True, timeout=600)
    assert p.returncode == 0, p.stderr
    text = out.read_text()
    assert "s/trial" in text and "pytorch" in text and "caviar.nn (population)" in text
    assert "not run" not in text
