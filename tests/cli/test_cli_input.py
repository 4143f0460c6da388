"""Bad input and unwritable paths on the command line: exit 2 and a message naming the thing,
never a traceback; read-only commands never create a database; user strings print as text."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from tests.cli.test_cli import OBJECTIVE
from tests.cli.test_cli import caviar as run

# as root a chmod'ed folder stays writable; sysfs refuses new files to everyone
READ_ONLY = "/sys/caviar-out.csv" if os.geteuid() == 0 else None


@pytest.fixture
def tuned(tmp_path: Path) -> Path:
    (tmp_path / "obj.py").write_text(OBJECTIVE)
    run("tune", "obj.py:objective", "-n", "4", "--study", "s", "--seed", "0", "-q", cwd=tmp_path)
    return tmp_path


def refused(p: object, *needles: str, code: int = 2) -> None:
    out = p.stdout + p.stderr  # type: ignore[attr-defined]
    assert p.returncode == code, out  # type: ignore[attr-defined]
    for n in needles:
        assert n in p.stderr, out  # type: ignore[attr-defined]
    assert "Traceback" not in p.stderr, out  # type: ignore[attr-defined]


def read_only_path(tmp_path: Path, name: str) -> str:
    if READ_ONLY is not None:
        return str(Path(READ_ONLY).with_name(name))
    folder = tmp_path / "ro"
    folder.mkdir(exist_ok=True)
    folder.chmod(0o500)
    return str(folder / name)


@pytest.mark.parametrize("command", [
    ["export", "s", "-o"], ["export", "s", "--format", "json", "-o"], ["report", "s", "-o"],
    ["plot", "s", "history", "-o"]])
def test_writing_to_a_missing_folder_or_a_read_only_path(tuned: Path, command: list[str]) -> None:
    ext = ".png" if command[0] == "plot" else ".html" if command[0] == "report" else ".csv"
    p = run(*command, "nodir/out" + ext, cwd=tuned, check=False)
    refused(p, "nodir/out" + ext, "does not exist")
    target = read_only_path(tuned, "out" + ext)
    p = run(*command, target, cwd=tuned, check=False)
    refused(p, target)
    assert not os.path.exists(target)


def test_db_version_on_a_text_file(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("just some notes\n" * 50)
    p = run("db", "version", "sqlite:///notes.txt", cwd=tmp_path, check=False)
    refused(p, "error: ", "notes.txt")
    assert (tmp_path / "notes.txt").read_text().startswith("just some notes")


MARKUP = ["[/]", "[bold]x", "a[/b]c", "[link=http://e.x]y"]


def test_rich_markup_in_names_prints_as_text(tmp_path: Path) -> None:
    (tmp_path / "obj.py").write_text(OBJECTIVE.replace('"act"', '"[/]act"'))
    for name in MARKUP:
        run("tune", "obj.py:objective", "-n", "2", "--study", name, "-q", cwd=tmp_path)
    out = run("studies", cwd=tmp_path).stdout
    assert all(name in out for name in MARKUP), out
    for name in MARKUP:
        shown = run("trials", name, cwd=tmp_path).stdout
        assert name in shown and "[/]act" in shown
        assert "[/]act" in run("best", name, cwd=tmp_path).stdout
    # the progress bar and the opening line print the name too
    p = run("tune", "obj.py:objective", "-n", "3", "--study", "[/]", cwd=tmp_path)
    assert "[/]" in p.stdout + p.stderr


@pytest.mark.parametrize(("args", "needles"), [
    (["tune", "obj.py:objective", "-n", "2", "--study", ""], ["study name", "empty"]),
    (["tune", "obj.py:objective", "-n", "2", "--study", "  "], ["study name", "blank"]),
    (["worker", "--study", ""], ["study name"]),
    (["tune", "obj.py:objective", "--timeout", "nan"], ["--timeout", "nan"]),
    (["tune", "obj.py:objective", "--timeout", "-1"], ["--timeout", "-1"]),
    (["tune", "obj.py:objective", "-n", "2", "--timeout", "0"], ["--timeout", "0"]),
    (["worker", "--study", "s", "--timeout", "inf"], ["--timeout", "inf"]),
    (["tune", "obj.py:objective", "-n", "2", "--stale-after", "3"], ["--stale-after", "heartbeat"]),
    (["tune", "obj.py:objective", "-n", "2", "--stale-after", "nan"], ["--stale-after"]),
    (["worker", "--study", "s", "--stale-after", "-5"], ["--stale-after"]),
    (["tune-mlp", "-n", "2", "--stale-after", "4"], ["--stale-after", "heartbeat"]),
    (["tune-torch", "obj.py:objective", "--stale-after", "5"], ["--stale-after", "heartbeat"]),
])
def test_bad_values_are_refused_before_any_work(tmp_path: Path, args: list[str],
                                                needles: list[str]) -> None:
    (tmp_path / "obj.py").write_text(OBJECTIVE)
    refused(run(*args, cwd=tmp_path, check=False), *needles)
    assert not (tmp_path / "caviar.db").exists()


@pytest.mark.parametrize("limit", ["0", "-1"])
def test_limit_must_be_at_least_1(tuned: Path, limit: str) -> None:
    refused(run("trials", "s", "--limit", limit, cwd=tuned, check=False), "--limit", limit)


def test_limit_shows_the_last_n(tuned: Path) -> None:
    out = run("trials", "s", "--limit", "1", cwd=tuned).stdout
    assert "s: 1 of 4 trials" in out


@pytest.mark.parametrize("command", [
    ["studies"], ["trials", "s"], ["best", "s"], ["export", "s"], ["report", "s", "-o", "r.html"],
    ["plot", "s", "history", "-o", "h.png"], ["advise", "s"], ["history", "0"],
    ["worker", "--study", "s"],
])
def test_read_only_commands_never_create_a_database(tmp_path: Path, command: list[str]) -> None:
    p = run(*command, "--storage", "sqlite:///typo.db", cwd=tmp_path, check=False)
    refused(p, "typo.db", "no database")
    assert not (tmp_path / "typo.db").exists()


def test_db_version_on_a_missing_file(tmp_path: Path) -> None:
    refused(run("db", "version", "sqlite:///typo.db", cwd=tmp_path, check=False), "typo.db")
    assert not (tmp_path / "typo.db").exists()


def test_a_study_missing_from_an_existing_database(tuned: Path) -> None:
    for command in (["best", "nope"], ["trials", "nope"], ["export", "nope"]):
        refused(run(*command, cwd=tuned, check=False), "'nope'", "does not exist")


def test_stale_after_reaches_the_study(tuned: Path) -> None:
    # a worker that reaps with --stale-after 6: the run completes normally
    run("tune", "obj.py:objective", "-n", "6", "--study", "s", "--stale-after", "6", "-q",
        cwd=tuned)
    run("worker", "--study", "s", "-n", "8", "--stale-after", "6", "-q", cwd=tuned)
    doc = json.loads(run("export", "s", "--format", "json", cwd=tuned).stdout)
    assert len(doc["trials"]) == 8


def test_stale_after_reaches_the_population_runner(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    p = run("tune-mlp", "-n", "2", "-p", "2", "--epochs", "1", "--stale-after", "6",
            "--threads", "1", "-q", cwd=tmp_path)
    assert "validation accuracy =" in p.stdout
