"""The lineage figure: one dashed jump per stored exploit, from the source's accuracy at the
exploit's epoch to the member's one epoch later; the schedule line follows the stored
schedule; `caviar plot STUDY lineage` writes it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import caviar
from caviar.adapters import tune_population
from caviar.adapters.population import PBT_SPACE
from caviar.schedulers import PBT
from caviar.viz.lineage import lineage_data, lineage_figure

pytest.importorskip("torch")
ROOT = Path(__file__).resolve().parents[2]
FIXED = {"epochs": 4, "hidden": 16, "depth": 1, "batch_size": 128}


def test_lineage_data_and_plot(tmp_path):
    url = f"sqlite:///{tmp_path}/l.db"
    study = caviar.create_study("l", storage=url, direction="maximize", space=PBT_SPACE, seed=3)
    tune_population(study, n_trials=8, population=8, fixed=FIXED, threads=1,
                    scheduler=PBT(interval=1, quantile=0.25, seed=3))
    trials = study.trials
    reports = study.reports()
    d = lineage_data(trials, reports)
    exploits = [(t, e) for t in trials for e in t.system_attrs.get("exploits") or []]
    assert len(d["jumps"]) == len(exploits) == 6  # 2 per epoch boundary 0, 1, 2
    by_number = {t.number: t for t in trials}
    for j in d["jumps"]:
        src, dst = by_number[j["from"]], by_number[j["to"]]
        assert j["y"] == [reports[src.id][j["epoch"]], reports[dst.id][j["epoch"] + 1]]
    for s in d["schedules"]:
        t = by_number[s["number"]]
        for start, params in t.system_attrs["schedule"]:
            assert s["values"][start] == params["lr"]
    spec = lineage_figure(d)
    names = [tr["name"] for tr in spec["data"]]
    assert names == ["members", "exploit (copy)", "lr"]
    assert spec["layout"]["yaxis2"]["type"] == "log"
    plain = caviar.create_study(direction="maximize", space=PBT_SPACE, seed=0)
    assert "no trial ran under a population scheduler" in str(
        lineage_figure(lineage_data(plain.trials, {})))
    pytest.importorskip("plotly")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    out = tmp_path / "lineage.html"
    p = subprocess.run([sys.executable, "-m", "caviar", "plot", "l", "lineage", "--storage",
                        url, "-o", str(out)], env=env, text=True, capture_output=True,
                       timeout=120)
    assert p.returncode == 0, p.stderr
    assert out.exists() and "exploit (copy)" in out.read_text()
