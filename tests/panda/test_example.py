"""examples/babysit.py runs as a user would run it, and its own nudge lands."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("sklearn")

ROOT = Path(__file__).resolve().parents[2]


def test_babysit_example_runs_and_applies_its_nudge(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    res = subprocess.run([sys.executable, str(ROOT / "examples" / "babysit.py"), "--storage",
                          "sqlite:///" + str(tmp_path / "e.db"), "--demo-nudge", "--quiet"],
                         env=env, text=True, capture_output=True, timeout=180, cwd=tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "trial 0: complete" in res.stdout
    assert "'new': 0.05} -> applied at epoch" in res.stdout
    lrs = res.stdout.split("lr per epoch:")[1]
    assert "0.2" in lrs and "0.05" in lrs
    # the CLI sees the same trial and its history
    cli = subprocess.run([sys.executable, "-m", "caviar", "history", "0", "--storage",
                          "sqlite:///" + str(tmp_path / "e.db")], env=env, text=True,
                         capture_output=True, timeout=120)
    assert cli.returncode == 0 and "applied" in cli.stdout, cli.stderr
