"""The scale advisor and boundary findings."""

from __future__ import annotations

import warnings

import pytest

import caviar
from caviar import Float, Int
from caviar.analysis import advise_study, boundary_findings, scale_findings
from caviar.errors import ScaleWarning
from caviar.space import Space


def kinds(space):
    return {f.param: f.suggestion for f in scale_findings(Space(space))}


def test_scale_findings():
    got = kinds({"lr": Float(1e-5, 0.1), "ok": Float(1e-5, 0.1, scale="log"),
                 "beta": Float(0.9, 0.999), "beta_log": Float(0.9, 0.999, scale="log"),
                 "beta_ok": Float(0.9, 0.999, scale="reverse_log"), "drop": Float(0.0, 0.5),
                 "units": Int(1, 1000), "layers": Int(1, 6), "narrow": Float(1, 50)})
    assert got == {"lr": "log", "beta": "reverse_log", "beta_log": "reverse_log",
                   "units": "log"}


def test_create_study_warns_before_trials_run():
    with pytest.warns(ScaleWarning, match="lr: .* use scale='log'"):
        caviar.create_study(space={"lr": Float(1e-5, 0.1)})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        caviar.create_study(space={"lr": Float(1e-5, 0.1, scale="log")})


def test_boundary_finding_and_advise_study():
    study = caviar.create_study(space={"lr": Float(1e-5, 0.1, scale="log"),
                                       "x": Float(0, 1)}, seed=0)
    study.optimize(lambda t: -t.params["lr"] + (t.params["x"] - 0.5) ** 2, n_trials=200)
    found = boundary_findings(study.space, study.trials, top=10)
    assert [f.param for f in found] == ["lr"]
    assert "of the top 10 trials lie within 5% of high=0.1 — widen the range" in found[0].message
    assert [f.kind for f in advise_study(study)] == ["boundary"]


def test_cli_advise(tmp_path):
    from click.testing import CliRunner

    from caviar.cli.main import cli

    url = f"sqlite:///{tmp_path / 'a.db'}"
    with pytest.warns(ScaleWarning):
        study = caviar.create_study("s", storage=url, space={"lr": Float(1e-5, 0.1)}, seed=0)
    study.optimize(lambda t: -t.params["lr"], n_trials=30)
    out = CliRunner().invoke(cli, ["advise", "s", "--storage", url]).output
    assert "[scale] lr" in out and "[boundary] lr" in out
