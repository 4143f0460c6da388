"""Declaring a space from the command line: SPACE in the objective's file, or --space FILE.json;
and --sampler on an existing study is stored (the worker uses it too)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from tests.cli.test_cli import caviar as run

import caviar

GRID = textwrap.dedent('''
    from caviar.space import Choice, Float, Int

    SPACE = {
        "lr": Float(0.001, 0.1, scale="log"),
        "layers": Int(1, 3),
        "act": Choice(["relu", "tanh"]),
    }

    def objective(trial):
        p = trial.params
        return p["lr"] * p["layers"] + (0.5 if p["act"] == "tanh" else 0.0)
''')
PLAIN = textwrap.dedent('''
    def objective(trial):
        p = trial.params
        return p["lr"] * p["layers"] + (0.5 if p["act"] == "tanh" else 0.0)
''')
SPACE_JSON = {"lr": {"type": "float", "low": 0.001, "high": 0.1, "scale": "log"},
              "layers": {"type": "int", "low": 1, "high": 3},
              "act": {"type": "choice", "choices": ["relu", "tanh"]}}
# GridSampler's default resolution: 5 points per float param
N_POINTS = 5 * 3 * 2


def grid_points() -> set[tuple[float, int, str]]:
    space = caviar.Space.from_json(SPACE_JSON)
    sampler = caviar.GridSampler()
    return {tuple(sampler.point(space, i).values()) for i in range(N_POINTS)}  # type: ignore


def visited(work: Path, study: str) -> list[tuple[float, int, str]]:
    doc = json.loads(run("export", study, "--format", "json", cwd=work).stdout)
    return [(t["params"]["lr"], t["params"]["layers"], t["params"]["act"])
            for t in doc["trials"]]


def test_grid_from_a_space_in_the_objective_file(tmp_path: Path) -> None:
    (tmp_path / "grid.py").write_text(GRID)
    run("tune", "grid.py:objective", "--sampler", "grid", "--trials", str(N_POINTS),
        "--workers", "2", "--study", "g", "-q", cwd=tmp_path)
    points = visited(tmp_path, "g")
    assert len(points) == N_POINTS and set(points) == grid_points()  # each point exactly once


def test_grid_from_a_space_file(tmp_path: Path) -> None:
    (tmp_path / "plain.py").write_text(PLAIN)
    (tmp_path / "space.json").write_text(json.dumps(SPACE_JSON))
    run("tune", "plain.py:objective", "--space", "space.json", "--sampler", "grid",
        "--trials", str(N_POINTS), "--study", "g", "-q", cwd=tmp_path)
    points = visited(tmp_path, "g")
    assert len(points) == N_POINTS and set(points) == grid_points()
    # a worker joins the same grid (the space is stored) and finds nothing left to try
    run("worker", "--study", "g", "--trials", str(N_POINTS + 5), "-q", cwd=tmp_path)
    assert len(visited(tmp_path, "g")) == N_POINTS


def test_worker_refuses_an_objective_file_with_another_space(tmp_path: Path) -> None:
    (tmp_path / "grid.py").write_text(GRID)
    run("tune", "grid.py:objective", "--trials", "3", "--study", "w", "-q", cwd=tmp_path)
    (tmp_path / "other.py").write_text(GRID.replace("Int(1, 3)", "Int(1, 9)"))
    p = run("worker", "other.py:objective", "--study", "w", "-q", cwd=tmp_path, check=False)
    assert p.returncode == 2 and "other.py" in p.stderr and "Traceback" not in p.stderr
    assert len(visited(tmp_path, "w")) == 3


@pytest.mark.parametrize(("text", "needle"), [
    ("{not json", "not valid JSON"),
    ('{"lr": {"type": "gaussian", "low": 0, "high": 1}}', "'gaussian'"),
    ('{"lr": {"type": "float", "low": 0}}', "misses ['high']"),
    ('{"lr": {"type": "float", "low": 0, "high": 1, "sigma": 2}}', "unknown fields ['sigma']"),
    ('{"lr": {"type": "float", "low": 0, "high": 1, "scale": "log"}}', "low > 0"),
    ('[1, 2]', "JSON object"),
])
def test_bad_space_file_exits_2_naming_the_file(tmp_path: Path, text: str, needle: str) -> None:
    (tmp_path / "plain.py").write_text(PLAIN)
    (tmp_path / "bad.json").write_text(text)
    p = run("tune", "plain.py:objective", "--space", "bad.json", "--sampler", "grid", "-n", "3",
            "--study", "b", "-q", cwd=tmp_path, check=False)
    assert p.returncode == 2, p.stdout + p.stderr
    assert "bad.json" in p.stderr and needle in p.stderr and "Traceback" not in p.stderr
    assert not (tmp_path / "caviar.db").exists()  # refused before any work


def test_bad_space_in_the_objective_file_and_both_given(tmp_path: Path) -> None:
    (tmp_path / "bad.py").write_text(PLAIN + '\nSPACE = {"lr": "big"}\n')
    p = run("tune", "bad.py:objective", "-n", "2", "-q", cwd=tmp_path, check=False)
    assert p.returncode == 2 and "bad.py" in p.stderr and "SPACE" in p.stderr
    (tmp_path / "grid.py").write_text(GRID)
    (tmp_path / "space.json").write_text(json.dumps(SPACE_JSON))
    p = run("tune", "grid.py:objective", "--space", "space.json", "-n", "2", "-q", cwd=tmp_path,
            check=False)
    assert p.returncode == 2 and "keep one of them" in p.stderr
    assert "Traceback" not in p.stderr


def test_sampler_change_on_an_existing_study_is_stored_for_the_worker(tmp_path: Path) -> None:
    (tmp_path / "grid.py").write_text(GRID)
    run("tune", "grid.py:objective", "-n", "3", "--study", "s", "-q", cwd=tmp_path)
    p = run("tune", "grid.py:objective", "-n", "6", "--study", "s", "--sampler", "tpe", "-q",
            cwd=tmp_path)
    assert ("study 's': sampler changed from random to tpe (stored; `caviar worker` uses it "
            "too)") in p.stderr
    url = "sqlite:///" + str(tmp_path / "caviar.db")
    assert caviar.load_study("s", storage=url).sampler.name == "tpe"
    w = run("worker", "--study", "s", "-n", "8", cwd=tmp_path)
    assert "sampler tpe" in w.stdout
    again = run("tune", "grid.py:objective", "-n", "9", "--study", "s", "--sampler", "tpe",
                "-q", cwd=tmp_path)
    assert "sampler changed" not in again.stderr
