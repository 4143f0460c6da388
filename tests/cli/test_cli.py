"""The caviar command as a user runs it: real processes, real SQLite files."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

OBJECTIVE = textwrap.dedent('''
    import math

    def objective(trial):
        lr = trial.suggest_float("lr", 1e-4, 1.0, log=True)
        beta = trial.suggest_float("beta", 0.9, 0.999, scale="reverse_log")
        act = trial.suggest_categorical("act", ["relu", "tanh"])
        return (math.log10(lr) + 2) ** 2 + (0.1 if act == "tanh" else 0.0) + (1 - beta)

    def broken(trial):
        raise ValueError("boom")
''')


def caviar(*args: str, cwd: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}
    env.pop("CAVIAR_STORAGE", None)
    p = subprocess.run([sys.executable, "-m", "caviar", *args], cwd=cwd, env=env, text=True,
                       capture_output=True, timeout=300)
    if check and p.returncode != 0:
        raise AssertionError(f"caviar {args} exited {p.returncode}:\n{p.stdout}\n{p.stderr}")
    return p


@pytest.fixture
def work(tmp_path: Path) -> Path:
    (tmp_path / "obj.py").write_text(OBJECTIVE)
    return tmp_path


def test_tune_then_inspect(work: Path) -> None:
    p = caviar("tune", "obj.py:objective", "--trials", "30", "--workers", "2", "--study", "s1",
               "--seed", "3", "--quiet", cwd=work)
    assert "best trial #" in p.stdout and "lr = " in p.stdout
    assert (work / "caviar.db").exists()
    out = caviar("studies", cwd=work).stdout
    assert "s1" in out and "30" in out
    trials = caviar("trials", "s1", "--limit", "5", cwd=work).stdout
    assert "complete" in trials and "lr" in trials
    best = caviar("best", "s1", cwd=work).stdout
    assert best.splitlines()[0] == p.stdout.strip().splitlines()[-4]
    rows = list(csv.DictReader(io.StringIO(caviar("export", "s1", cwd=work).stdout)))
    assert len(rows) == 30 and {"params_lr", "params_beta", "params_act"} <= set(rows[0])
    doc = json.loads(caviar("export", "s1", "--format", "json", cwd=work).stdout)
    assert doc["study"] == "s1" and len(doc["trials"]) == 30
    assert doc["trials"][0]["params"]["act"] in ("relu", "tanh")


def test_running_again_resumes_up_to_the_target(work: Path) -> None:
    caviar("tune", "obj.py:objective", "-n", "10", "--study", "r", "-q", cwd=work)
    caviar("tune", "obj.py:objective", "-n", "25", "--study", "r", "-q", cwd=work)
    caviar("tune", "obj.py:objective", "-n", "25", "--study", "r", "-q", cwd=work)
    doc = json.loads(caviar("export", "r", "--format", "json", cwd=work).stdout)
    assert len(doc["trials"]) == 25


def test_progress_bar_shows_best(work: Path) -> None:
    p = caviar("tune", "obj.py:objective", "-n", "5", "--study", "p", cwd=work)
    assert "5/5" in p.stdout + p.stderr and "best" in p.stdout + p.stderr


def test_failing_objective_is_recorded_and_exit_code_is_1(work: Path) -> None:
    p = caviar("tune", "obj.py:broken", "-n", "3", "--study", "b", "-q", cwd=work, check=False)
    assert p.returncode == 1
    assert "no completed trial" in p.stderr
    out = caviar("trials", "b", cwd=work).stdout
    assert out.count("fail") >= 3 and "ValueError: boom" in out


@pytest.mark.parametrize(("args", "needle"), [
    (["tune", "missing.py:objective", "-n", "3"], "does not exist"),
    (["tune", "obj.py:nope", "-n", "3"], "has no function 'nope'"),
    (["tune", "obj.py", "-n", "3"], "must be FILE.py:FUNC"),
    (["tune", "obj.py:objective", "-n", "0"], "n_trials: must be an integer >= 1"),
    (["tune", "obj.py:objective", "-n", "3", "--sampler", "annealing"], "annealing"),
    (["tune", "obj.py:objective", "-n", "3", "--storage", "sqlite:/x.db"], "sqlite:///PATH"),
    (["best", "nosuchstudy"], "no database at"),
    (["trials", "nosuchstudy"], "no database at"),
])
def test_bad_input_exits_2_with_a_clear_message(work: Path, args: list[str], needle: str) -> None:
    p = caviar(*args, cwd=work, check=False)
    assert p.returncode == 2, p.stdout + p.stderr
    assert needle in p.stderr
    assert "Traceback" not in p.stderr


def test_not_a_caviar_database(work: Path) -> None:
    (work / "notes.db").write_text("not a database at all\n" * 100)
    p = caviar("studies", "--storage", "sqlite:///notes.db", cwd=work, check=False)
    assert p.returncode == 2 and "not a SQLite database" in p.stderr
    assert (work / "notes.db").read_text().startswith("not a database")


def test_direction_conflict_on_existing_study(work: Path) -> None:
    caviar("tune", "obj.py:objective", "-n", "2", "--study", "d", "-q", cwd=work)
    p = caviar("tune", "obj.py:objective", "-n", "4", "--study", "d", "--direction", "maximize",
               "-q", cwd=work, check=False)
    assert p.returncode == 2 and "direction='minimize'" in p.stderr
    doc = json.loads(caviar("export", "d", "--format", "json", cwd=work).stdout)
    assert len(doc["trials"]) == 2


PRUNED_OBJECTIVE = textwrap.dedent('''
    import caviar

    def objective(trial):
        x = trial.suggest_float("x", 0, 1)
        for step in range(4):
            trial.report(x * (step + 1), step)
            if trial.should_prune():
                raise caviar.TrialPruned()
        return x * 4
''')


def test_worker_joins_with_the_stored_objective_target_and_pruner(work: Path) -> None:
    (work / "pobj.py").write_text(PRUNED_OBJECTIVE)
    caviar("tune", "pobj.py:objective", "-n", "20", "--study", "w", "--pruner", "median",
           "--timeout", "0.01", "-q", cwd=work)
    caviar("worker", "--study", "w", "-q", cwd=work)
    doc = json.loads(caviar("export", "w", "--format", "json", cwd=work).stdout)
    states = [t["state"] for t in doc["trials"] if t["state"] != "fail"]
    assert len(states) == 20 and "pruned" in states  # the worker pruned like the study
