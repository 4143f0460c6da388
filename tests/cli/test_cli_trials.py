"""`caviar trials`: fits 80 and 100 columns with 7 params, sorts by the study's direction,
shows the error column only when a trial failed, and prints seconds a person can read."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

import caviar
from caviar.cli.main import cli
from caviar.cli.show import seconds, short, tight

SEVEN = {"learning_rate": caviar.Float(1e-5, 1.0, scale="log"),
         "momentum": caviar.Float(0.9, 0.999, scale="reverse_log"),
         "hidden_units": caviar.Int(16, 512, scale="log"), "depth": caviar.Int(1, 3),
         "dropout": caviar.Float(0.0, 0.5), "weight_decay": caviar.Float(1e-6, 1e-2,
                                                                          scale="log"),
         "batch_size": caviar.Choice([32, 64, 128, 256])}


@pytest.fixture
def url(tmp_path: Path) -> str:
    url = "sqlite:///" + str(tmp_path / "t.db")
    s = caviar.create_study("seven", storage=url, direction="maximize",
                            space=caviar.Space(SEVEN), seed=1)
    s.optimize(lambda t: -abs(math.log10(t.params["learning_rate"]) + 2.5)
               + t.params["dropout"], n_trials=25)
    return url


def run(url: str, *args: str, columns: int = 80) -> str:
    r = CliRunner().invoke(cli, ["trials", "seven", "--storage", url, *args],
                           env={"COLUMNS": str(columns)})
    assert r.exit_code == 0, r.output
    return r.output


@pytest.mark.parametrize("columns", [80, 100])
def test_seven_params_fit_the_terminal(url: str, columns: int) -> None:
    out = run(url, columns=columns)
    lines = out.splitlines()
    assert max(len(line) for line in lines) <= columns, out
    rows = [line for line in lines if re.match(r"^\s*\d+\s+complete\s", line)]
    assert len(rows) == 25, out  # one line per trial: nothing wrapped
    header = next(line for line in lines if line.lstrip().startswith("#"))
    assert "state" in header and "value" in header and "time" in header
    assert "error" not in header  # no trial failed: no always-empty column
    assert "not shown" not in out  # all seven params, names cut to fit
    assert len(header.split()) == 4 + 7, header


def test_sort_by_value_is_best_first_for_a_maximize_study(url: str) -> None:
    study = caviar.load_study("seven", storage=url)
    best = sorted((t for t in study.trials), key=lambda t: -(t.value or 0.0))[:3]
    out = run(url, "--sort", "value", "--limit", "3", columns=100)
    numbers = [int(m.group(1)) for m in re.finditer(r"^\s*(\d+)\s+complete", out, re.M)]
    assert numbers == [t.number for t in best], out
    assert "3 of 25 trials, by value (best first)" in out


def test_sort_by_number_shows_the_last_n_in_order(url: str) -> None:
    out = run(url, "--limit", "4", columns=100)
    numbers = [int(m.group(1)) for m in re.finditer(r"^\s*(\d+)\s+complete", out, re.M)]
    assert numbers == [21, 22, 23, 24]


def test_error_column_only_when_a_trial_failed(tmp_path: Path) -> None:
    url = "sqlite:///" + str(tmp_path / "e.db")
    s = caviar.create_study("seven", storage=url, seed=0)

    def obj(t: caviar.Trial) -> float:
        x = t.suggest_float("x", 0.0, 1.0)
        if t.number == 2:
            raise ValueError("boom at trial two")
        return x
    s.optimize(obj, n_trials=4)
    out = run(url, columns=80)
    assert "error" in out and "ValueError: boom at trial two" in out
    assert max(len(line) for line in out.splitlines()) <= 80


def test_bad_sort_exits_2(url: str) -> None:
    r = CliRunner().invoke(cli, ["trials", "seven", "--storage", url, "--sort", "speed"])
    assert r.exit_code == 2 and "speed" in r.output


@pytest.mark.parametrize(("s", "text"), [(0.000527, "0.527ms"), (0.012345, "0.0123s"),
                                         (1.23456, "1.23s"), (12.345, "12.3s"), (63.2, "1m03s"),
                                         (59.97, "1m00s"), (7512.0, "2h05m"), (None, "-")])
def test_seconds_read_at_a_glance(s: float | None, text: str) -> None:
    assert seconds(s) == text


@pytest.mark.parametrize(("v", "text"), [(0.000316227, "3.162e-4"), (0.99, "0.99"),
                                         (128, "128"), (1234567.0, "1.235e6"),
                                         (0.5, "0.5"), (float("nan"), "nan")])
def test_short_numbers(v: float, text: str) -> None:
    assert short(v) == text


@pytest.mark.parametrize(("v", "text"), [(0.998, "0.998"), (0.968, "0.968"), (0.134, "0.13"),
                                         (9.82e-4, "9.8e-4"), (34, "34")])
def test_tight_numbers_never_blur_a_value_near_one(v: float, text: str) -> None:
    assert tight(v) == text
