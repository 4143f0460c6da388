"""Every example runs, and shows what it claims."""

from __future__ import annotations

import pytest

from examplesupport import load_example


@pytest.fixture(autouse=True)
def _fork_workers(monkeypatch):
    # examples are loaded from files here, so spawned workers could not import them; a user
    # running the script gets fork anyway (torch is not imported in these examples)
    monkeypatch.setenv("CAVIAR_START_METHOD", "fork")


def test_quickstart_finds_the_region_of_the_optimum():
    study = load_example("quickstart").main(120)
    assert sum(t.state == "complete" for t in study.trials) == 120
    best = study.best_params
    assert 1e-3 < best["lr"] < 1e-1
    assert 0.9 < best["beta"] < 0.999


def test_why_scales_shares():
    out = load_example("why_scales").main()
    assert all(abs(s - 0.25) < 0.03 for s in out["lr log"])
    assert out["lr linear"][-1] > 0.85
    assert abs(out["beta reverse_log"][1] - 0.5) < 0.03
    assert out["beta linear"][1] < 0.15


def test_ask_tell_records_curves():
    study = load_example("ask_tell").main(12)
    curves = study.reports()
    assert len(curves) == 12 and all(len(c) == 20 for c in curves.values())
    assert study.best_value == min(t.value for t in study.trials)


@pytest.mark.slow
def test_grid_and_sobol_cover_without_repeats():
    out = load_example("grid_and_sobol").main()
    grid = out["grid"].trials
    assert len(grid) == 36
    assert len({tuple(sorted(t.params.items())) for t in grid}) == 36
    sobol = out["sobol"].trials
    assert len({t.system_attrs["sobol_index"] for t in sobol}) == 36
