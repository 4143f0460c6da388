"""``caviar tune-mlp --scheduler``, ``caviar lineage`` and ``caviar replay-schedule`` as a user
runs them (real processes, a real SQLite file); bad input exits 2 with the fix, no traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def caviar(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    env.pop("CAVIAR_STORAGE", None)
    return subprocess.run([sys.executable, "-m", "caviar", *args], cwd=cwd, env=env,
                          text=True, capture_output=True, timeout=300)


def test_pbt_then_lineage_then_replay(tmp_path: Path) -> None:
    p = caviar("tune-mlp", "--scheduler", "pbt", "--trials", "6", "--population", "6",
               "--epochs", "4", "--pbt-interval", "1", "--seed", "1", "--threads", "1", "-q",
               cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert "validation accuracy =" in p.stdout
    p = caviar("lineage", "mlp", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert "lineage (each trial under" in p.stdout and "<- #" in p.stdout
    copied = next(line for line in p.stdout.splitlines() if "copied #" in line)
    number = copied.split()[0].lstrip("#")
    p = caviar("replay-schedule", "mlp", number, "--threads", "1", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    line = p.stdout.strip().splitlines()[-1]
    replayed, stored = (part.split("=")[1].strip(" ;") for part in line.split(";"))
    assert abs(float(replayed) - float(stored)) <= 0.03  # float32: within noise


@pytest.mark.parametrize(("args", "needle"), [
    (["--scheduler", "pbt", "--pbt-interval", "0"], "interval must be an integer >= 1"),
    (["--scheduler", "pbt", "--pbt-quantile", "0.9"], "quantile must lie in (0, 0.5]"),
    (["--scheduler", "asha", "--eta", "1"], "eta must be an integer >= 2"),
    (["--scheduler", "asha", "--pruner", "median"], "cannot run with --pruner median"),
])
def test_bad_scheduler_options_exit_2(tmp_path: Path, args, needle) -> None:
    p = caviar("tune-mlp", "--trials", "2", "--storage", "sqlite:///s.db", *args, cwd=tmp_path)
    assert p.returncode == 2 and needle in p.stderr and "Traceback" not in p.stderr
    assert not (tmp_path / "s.db").exists()  # refused before any storage is opened


def test_lineage_of_a_plain_study_says_what_to_do(tmp_path: Path) -> None:
    p = caviar("tune-mlp", "--trials", "2", "--population", "2", "--epochs", "1", "-q",
               "--threads", "1", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    p = caviar("lineage", "mlp", cwd=tmp_path)
    assert p.returncode == 2 and "--scheduler pbt" in p.stderr
