"""`caviar tune-torch` end to end on SQLite, in a fresh interpreter: a user's file with a
member function and data, progress, resume to a larger target, and exit 2 with a message
(no traceback) for bad input."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")

ROOT = Path(__file__).resolve().parents[2]

TRAIN_PY = '''
import torch, torch.nn as nn
import caviar.torch as ct
from sklearn.datasets import load_digits

_d = load_digits()
_x = torch.tensor(_d.data[:400] / 16.0, dtype=torch.float32)
_y = torch.tensor(_d.target[:400])
TRAIN = (_x[:300], _y[:300])

def VAL():
    return (_x[300:], _y[300:])

def member(trial):
    width = trial.suggest_int("width", 8, 32, log=True)
    model = nn.Sequential(nn.Linear(64, width, bias=False), nn.BatchNorm1d(width), nn.ReLU(),
                          nn.Linear(width, 10))
    return ct.Member(model, lr=trial.suggest_float("lr", 1e-3, 3e-2, log=True), batch_size=32)

def not_a_member(trial):
    return nn.Linear(64, 10)
'''


def caviar(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    return subprocess.run([sys.executable, "-m", "caviar", *args], cwd=cwd, env=env, text=True,
                          capture_output=True, timeout=300)


def test_tune_torch_runs_resumes_and_refuses_bad_input(tmp_path):
    (tmp_path / "train.py").write_text(TRAIN_PY)
    db = f"sqlite:///{tmp_path}/c.db"
    base = ["tune-torch", "train.py:member", "--storage", db, "--study", "cli", "--epochs", "2",
            "--population", "4", "--seed", "0"]
    p = caviar(*base, "--trials", "5", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert "program(s)" in p.stderr and "validation accuracy =" in p.stdout
    p = caviar(*base, "--trials", "7", cwd=tmp_path)  # resumes: 2 more, not 7
    assert p.returncode == 0, p.stderr
    import caviar as cv

    study = cv.load_study("cli", storage=db)
    assert [t.state for t in study.trials] == ["complete"] * 7
    assert all(len(c) == 2 for c in study.reports().values())

    bad = caviar("tune-torch", "train.py:not_a_member", "--storage", db, "--study", "bad",
                 "--trials", "2", "-q", cwd=tmp_path)
    assert bad.returncode == 2
    assert "must return a caviar.torch.Member, got Linear" in bad.stderr
    assert "Traceback" not in bad.stderr
    missing = caviar("tune-torch", "train.py:member", "--train", "NOPE", "--storage", db,
                     cwd=tmp_path)
    assert missing.returncode == 2 and "has no 'NOPE'" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_tune_torch_refuses_bf16_on_cpu_and_workers_without_ray(tmp_path):
    (tmp_path / "train.py").write_text(TRAIN_PY)
    db = f"sqlite:///{tmp_path}/c.db"
    p = caviar("tune-torch", "train.py:member", "--storage", db, "--precision", "bf16", "-q",
               cwd=tmp_path)
    assert p.returncode == 2 and "bf16 autocast is offered on CUDA only" in p.stderr
    assert "Traceback" not in p.stderr
    p = caviar("tune-torch", "train.py:member", "--storage", db, "--workers", "2", "-q",
               cwd=tmp_path)
    assert p.returncode == 2 and "--workers 2: needs --backend ray" in p.stderr
    import caviar as cv

    assert not cv.load_study("torch", storage=db).trials  # refused before any trial
