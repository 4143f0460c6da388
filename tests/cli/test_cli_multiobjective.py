"""The command line with several directions: tune --directions, best prints the front, trials
shows a column per objective, export carries every value; bad input exits 2."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import caviar

OBJECTIVE = textwrap.dedent('''
    def objective(trial):
        x = trial.suggest_float("x", 0.0, 1.0)
        k = trial.suggest_int("k", 1, 5)
        return x, k * (1.1 - x)
''')


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src"),
           "COLUMNS": "120"}
    env.pop("CAVIAR_STORAGE", None)
    return subprocess.run([sys.executable, "-m", "caviar", *args], cwd=cwd, env=env, text=True,
                          capture_output=True, timeout=300)


def test_tune_best_trials_export_with_two_directions(tmp_path: Path) -> None:
    (tmp_path / "obj.py").write_text(OBJECTIVE)
    url = f"sqlite:///{tmp_path / 'mo.db'}"
    p = run("tune", "obj.py:objective", "--directions", "maximize,minimize", "--trials", "25",
            "--storage", url, "--study", "mo", "--seed", "1", "-q", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    study = caviar.load_study("mo", storage=url)
    assert study.directions == ("maximize", "minimize")
    front = study.best_trials
    assert len(front) >= 1 and all(len(t.values) == 2 for t in study.trials)
    assert p.stdout.startswith(f"Pareto front of 'mo': {len(front)} trial(s) of 25 complete")

    best = run("best", "mo", "--storage", url, cwd=tmp_path)
    assert best.returncode == 0, best.stderr
    for t in front:  # one block per front trial: every value and its params
        assert (f"trial #{t.number}: values_0 = {t.values[0]:.6g}, "
                f"values_1 = {t.values[1]:.6g}") in best.stdout
        assert f"  k = {t.params['k']}" in best.stdout
    assert best.stdout.count("trial #") == len(front)

    table = run("trials", "mo", "--storage", url, "--sort", "value", "--limit",
                str(len(front)), cwd=tmp_path)
    assert table.returncode == 0, table.stderr
    assert "values_0" in table.stdout and "values_1" in table.stdout
    assert "Pareto front first" in table.stdout
    rows = [ln.split() for ln in table.stdout.splitlines() if ln.strip()[:1].isdigit()]
    assert sorted(int(r[0]) for r in rows) == [t.number for t in front]

    out = run("export", "mo", "--storage", url, cwd=tmp_path)
    data = list(csv.DictReader(io.StringIO(out.stdout)))
    assert "value" not in data[0]
    by_number = {t.number: t for t in study.trials}
    for r in data:
        t = by_number[int(r["number"])]
        assert (float(r["values_0"]), float(r["values_1"])) == t.values
    doc = json.loads(run("export", "mo", "--storage", url, "--format", "json",
                         cwd=tmp_path).stdout)
    assert doc["directions"] == ["maximize", "minimize"]
    assert [tuple(t["values"]) for t in doc["trials"]] == [t.values for t in study.trials]


def test_bad_directions_exit_2_and_store_nothing(tmp_path: Path) -> None:
    (tmp_path / "obj.py").write_text(OBJECTIVE)
    url = f"sqlite:///{tmp_path / 'mo.db'}"
    p = run("tune", "obj.py:objective", "--directions", "maximize,upward", "--trials", "2",
            "--storage", url, cwd=tmp_path)
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert "--directions: a comma-separated list of minimize/maximize" in p.stderr
    assert "'maximize,upward'" in p.stderr
    both = run("tune", "obj.py:objective", "--directions", "maximize,minimize", "--direction",
               "maximize", "--trials", "2", "--storage", url, cwd=tmp_path)
    assert both.returncode == 2 and "not both" in both.stderr
    assert not (tmp_path / "mo.db").exists() or caviar.get_storage(url).list_studies() == []
    # an objective returning one number to a two-direction study: exit 2, nothing counted
    (tmp_path / "one.py").write_text("def objective(trial):\n"
                                     "    return trial.suggest_float('x', 0, 1)\n")
    one = run("tune", "one.py:objective", "--directions", "maximize,minimize", "--trials", "3",
              "--storage", url, "--study", "s", cwd=tmp_path)
    assert one.returncode == 2 and "Traceback" not in one.stderr
    assert "must return 2 values (a tuple)" in one.stderr
    assert [t.counted for t in caviar.load_study("s", storage=url).trials] == [False]


def test_a_pruner_with_directions_needs_report_direction(tmp_path: Path) -> None:
    (tmp_path / "obj.py").write_text(OBJECTIVE)
    url = f"sqlite:///{tmp_path / 'p.db'}"
    args = ("tune", "obj.py:objective", "--directions", "maximize,minimize", "--pruner",
            "median", "--trials", "3", "--storage", url, "--study", "p", "-q")
    refused = run(*args, cwd=tmp_path)
    assert refused.returncode == 2 and "--report-direction maximize" in refused.stderr
    assert not (tmp_path / "p.db").exists() or caviar.get_storage(url).list_studies() == []
    ok = run(*args, "--report-direction", "maximize", cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    study = caviar.load_study("p", storage=url)
    assert study.report_direction == "maximize" and len(study.trials) == 3
