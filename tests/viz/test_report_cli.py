"""The HTML report and `caviar report` / `caviar plot`, including bad input."""

from __future__ import annotations

import math
import os
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import caviar
from caviar.cli.main import cli, main

XSS = "<img src=x onerror=alert(1)>"


def objective(trial: Any) -> float:
    lr = trial.suggest_float("lr", 1e-4, 1.0, log=True)
    beta = trial.suggest_float("beta", 0.9, 0.999, scale="reverse_log")
    x = trial.suggest_float(XSS, 0.0, 1.0)
    for s in range(4):
        trial.report((math.log10(lr) + 2) ** 2 + 1 / (s + 1), s)
    if trial.number == 2:
        raise ValueError("bad </script><script>alert(1)</script>")
    return (math.log10(lr) + 2) ** 2 + (math.log10(1 - beta) + 2) ** 2 + x


@pytest.fixture
def url(tmp_path: Path) -> str:
    u = "sqlite:///" + str(tmp_path / "v.db")
    caviar.create_study("s", storage=u, seed=0).optimize(objective, n_trials=25)
    return u


def run(*args: str) -> tuple[int, str]:
    res = CliRunner().invoke(cli, list(args), standalone_mode=False, catch_exceptions=True)
    if res.exception is not None and not isinstance(res.exception, SystemExit):
        with pytest.raises(SystemExit) as e:
            main(list(args))
        return int(e.value.code or 0), str(res.exception)
    return res.exit_code, res.output


def test_report_is_one_self_contained_escaped_file(url: str, tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    code, _ = run("report", "s", "--storage", url, "-o", str(out))
    assert code == 0
    text = out.read_text()
    assert len(text) > 3_000_000  # plotly.js inlined
    assert not re.search(r"<(script|link)[^>]+(src|href)=", text)  # nothing loaded: offline
    assert "Optimization history" in text and "lecture" in text and "reverse_log" in text
    assert XSS not in text and "&lt;img src=x onerror=alert(1)&gt;" in text
    assert "</script><script>alert(1)" not in text  # an error message cannot close a script


def test_plot_html_and_png(url: str, tmp_path: Path) -> None:
    for kind in ("history", "params", "parallel", "curves", "importance", "rounds"):
        out = tmp_path / f"{kind}.html"
        assert run("plot", "s", kind, "--storage", url, "-o", str(out))[0] == 0
        assert out.stat().st_size > 1_000_000
    if not os.path.exists("/usr/bin/chromium"):
        pytest.skip("PNG needs Chromium for kaleido")
    png = tmp_path / "history.png"
    assert run("plot", "s", "history", "--storage", url, "-o", str(png))[0] == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_all_writes_every_kind_of_the_study(url: str, tmp_path: Path) -> None:
    code, _ = run("plot", "s", "all", "--storage", url, "-o", str(tmp_path / "{kind}.html"))
    assert code == 0
    written = sorted(p.stem for p in tmp_path.glob("*.html"))
    assert written == sorted(["history", "params", "parallel", "curves", "importance",
                              "contour", "rank", "edf", "timeline"])
    assert "best so far" in (tmp_path / "history.html").read_text()
    code, _ = run("plot", "s", "contour", "--storage", url, "-o", str(tmp_path / "c.html"),
                  "--params", "beta,lr")
    assert code == 0 and "Contour: beta \\u00d7 lr" in (tmp_path / "c.html").read_text()


def test_bad_input_is_a_clear_message_exit_2(tmp_path: Path, capsys: Any) -> None:
    u = "sqlite:///" + str(tmp_path / "b.db")
    caviar.create_study("empty", storage=u)

    def fail(trial: Any) -> float:
        trial.suggest_float("lr", 1e-3, 1.0, log=True)
        raise RuntimeError("diverged")

    caviar.create_study("failed", storage=u).optimize(fail, n_trials=3)
    out = str(tmp_path / "x.html")
    cases = [
        (["report", "empty", "--storage", u, "-o", out], "has no trials yet"),
        (["report", "failed", "--storage", u, "-o", out], "all 3 trials failed"),
        (["plot", "failed", "history", "--storage", u, "-o", out], "diverged"),
        (["report", "s", "--storage", "sqlite:///" + str(tmp_path / "nope.db"), "-o", out],
         "no database at"),
        (["report", "missing", "--storage", u, "-o", out], "does not exist"),
        (["plot", "empty", "history", "--storage", u, "-o", "x.jpg"], ".png, .svg or .html"),
        (["dashboard", "--storage", "sqlite:///" + str(tmp_path / "nope.db")], "no database at"),
        (["plot", "failed", "pareto", "--storage", u, "-o", out], "needs a study with several"),
        (["plot", "failed", "all", "--storage", u, "-o", out], "must hold {kind}"),
        (["plot", "failed", "contour", "--storage", u, "-o", out, "--params", "lr,nope"],
         "'nope' is not a param of study 'failed'"),
        (["plot", "failed", "contour", "--storage", u, "-o", out, "--params", "lr"],
         "two or more distinct"),
    ]
    for args, words in cases:
        with pytest.raises(SystemExit) as e:
            main(args)
        err = capsys.readouterr().err
        assert e.value.code == 2, (args, err)
        assert words in err and "Traceback" not in err, (args, err)
    assert not (tmp_path / "nope.db").exists()  # reading never creates a storage
