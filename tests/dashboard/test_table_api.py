"""The trial table's server side: filters, page clamping, studies compared, population rows."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("starlette")

from starlette.testclient import TestClient

import caviar
from caviar.dashboard import create_app
from caviar.dashboard.views import trial_row
from caviar.trial_record import FrozenTrial


def objective(trial: Any) -> float:
    lr = trial.suggest_float("lr", 1e-4, 1.0, log=True)
    act = trial.suggest_categorical("act", ["relu", "tanh"])
    if trial.number == 7:
        raise ValueError("diverged at step 3")
    return -abs(math.log10(lr) + 2) - (0.1 if act == "tanh" else 0.0)


@pytest.fixture
def c(tmp_path: Path) -> TestClient:
    url = "sqlite:///" + str(tmp_path / "d.db")
    caviar.create_study("up", storage=url, direction="maximize", seed=0).optimize(
        objective, n_trials=40)
    caviar.create_study("down", storage=url, seed=1).optimize(
        lambda t: abs(math.log10(t.suggest_float("lr", 1e-4, 1.0, log=True)) + 2), n_trials=20)
    return TestClient(create_app(caviar.load_study("up", storage=url).storage))


def rows(c: TestClient, **params: Any) -> dict[str, Any]:
    r = c.get("/api/trials", params={"study": "up", "limit": 500, **params})
    assert r.status_code == 200, r.text
    return r.json()


def test_value_desc_is_best_first_for_maximize(c: TestClient) -> None:
    page = rows(c, sort="value", order="desc")
    vals = [r["value"] for r in page["rows"] if r["value"] is not None]
    assert vals == sorted(vals, reverse=True) and page["direction"] == "maximize"
    assert page["rows"][-1]["state"] == "fail"  # no value: last either way


def test_ranges_and_text_filter(c: TestClient) -> None:
    every = rows(c)["rows"]
    want = [r["number"] for r in every if r["params"]["lr"] is not None
            and 1e-3 <= r["params"]["lr"] <= 1e-1 and r["params"]["act"] == "relu"]
    f = [{"key": "param:lr", "lo": 1e-3, "hi": 1e-1}, {"key": "param:act", "in": ["relu"]}]
    page = rows(c, filters=json.dumps(f))
    assert sorted(r["number"] for r in page["rows"]) == sorted(want) and want
    assert page["total"] == len(want) and page["n_trials"] == 40
    best = max(r["value"] for r in every if r["value"] is not None)
    top = rows(c, filters=json.dumps([{"key": "value", "lo": best}]))["rows"]
    assert [r["value"] for r in top] == [best]
    assert [r["number"] for r in rows(c, q="DIVERGED")["rows"]] == [7]
    tanh = rows(c, q="act=tanh")["rows"]
    assert tanh and all(r["params"]["act"] == "tanh" for r in tanh)


@pytest.mark.parametrize(("filters", "needle"), [
    ("not json", "JSON list"), ('{"key": "value"}', "JSON list"),
    ('[{"key": "speed"}]', "key must be one of"), ('[{"key": "value", "lo": "a"}]', "finite"),
    ('[{"key": "param:nope", "lo": 1}]', "param of the study"),
    ('[{"key": "value", "up": 1}]', "{key, lo, hi}")])
def test_bad_filters_are_400_naming_the_rule(c: TestClient, filters: str, needle: str) -> None:
    r = c.get("/api/trials", params={"study": "up", "filters": filters})
    assert r.status_code == 400 and needle in r.json()["error"]


def test_an_offset_past_the_end_gives_the_last_page(c: TestClient) -> None:
    page = rows(c, offset=1000, limit=25)
    assert page["offset"] == 25 and len(page["rows"]) == 15


def test_compare_two_studies(c: TestClient) -> None:
    body = c.get("/api/compare", params=[("study", "up"), ("study", "down")]).json()
    assert [s["name"] for s in body["studies"]] == ["up", "down"]
    names = [t["name"] for t in body["figure"]["data"]]
    assert names == ["up trials", "up best so far", "down trials", "down best so far"]
    assert "mixed directions" in body["figure"]["layout"]["title"]["text"]
    up_best = body["figure"]["data"][1]["y"]
    assert up_best == sorted(up_best)  # maximize: the best so far only rises
    assert c.get("/api/compare", params={"study": "up"}).status_code == 400
    assert c.get("/api/compare", params=[("study", "up"), ("study", "x")]).status_code == 404


def test_a_population_member_says_its_duration_is_shared() -> None:
    t = FrozenTrial.fast(
        id=1, study_id=1, number=3, state="complete", value=0.9, params={"lr": 0.1},
        user_attrs={"epochs_trained": 4}, system_attrs={
            "population_size": 8, "population_seconds_per_trial": 1.5}, error=None,
        worker=None, counted=True, created_at=0.0, finished_at=12.0, heartbeat_at=None,
        seq=1, parent_id=None)
    row = trial_row(t)
    assert row["duration"] == 12.0
    assert row["population"] == {"size": 8, "seconds_per_trial": 1.5, "epochs": 4}


def test_the_history_can_be_asked_alone_first(c: TestClient) -> None:
    alone = c.get("/api/figures", params={"study": "up", "kinds": "history"}).json()
    assert alone["seq"] == -1 and set(alone["figures"]) == {"history"}
    full = c.get("/api/figures", params={"study": "up"}).json()["figures"]
    assert alone["figures"]["history"] == full["history"]
    bad = c.get("/api/figures", params={"study": "up", "kinds": "params"})
    assert bad.status_code == 400 and "only 'history'" in bad.json()["error"]
