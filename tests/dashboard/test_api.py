"""The dashboard's JSON API through Starlette's TestClient."""

from __future__ import annotations

import math
import socket
import time
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("starlette")

from starlette.testclient import TestClient

import caviar
from caviar.dashboard import bind, create_app
from caviar.errors import UsageError

XSS = "<img src=x onerror=alert(1)>"


def objective(trial: Any) -> float:
    lr = trial.suggest_float("lr", 1e-4, 1.0, log=True)
    trial.suggest_categorical(XSS, ["a", "b"])
    for s in range(30):
        trial.report(abs(math.log10(lr) + 2) + 1 / (s + 1), s)
    if trial.number == 4:
        raise ValueError(XSS)
    return abs(math.log10(lr) + 2)


@pytest.fixture
def study(tmp_path: Path) -> caviar.Study:
    s = caviar.create_study("s", storage="sqlite:///" + str(tmp_path / "d.db"), seed=0)
    s.optimize(objective, n_trials=30)
    return s


def client(study: caviar.Study, **kw: Any) -> TestClient:
    return TestClient(create_app(study.storage, **kw))


def test_studies_summary_and_json_only(study: caviar.Study) -> None:
    c = client(study)
    r = c.get("/api/studies")
    assert r.headers["content-type"] == "application/json"
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert r.json()["studies"][0]["n_trials"] == 30
    s = c.get("/api/study", params={"study": "s"}).json()
    assert s["counts"] == {"complete": 29, "fail": 1} and s["best"]["value"] is not None
    assert c.get("/api/study", params={"study": "s", "since": s["seq"]}).json() == {
        "changed": False, "seq": s["seq"]}
    assert c.get("/api/study", params={"study": "nope"}).status_code == 404
    assert c.get("/").status_code == 200 and c.get("/static/app.js").status_code == 200
    assert c.get("/static/../app.py").status_code == 404


def test_trials_table_sorted_and_paginated_on_the_server(study: caviar.Study) -> None:
    c = client(study)
    page = c.get("/api/trials", params={"study": "s", "limit": 10, "offset": 5,
                                        "sort": "value", "order": "asc"}).json()
    assert page["total"] == 30 and len(page["rows"]) == 10
    values = [r["value"] for r in page["rows"]]
    assert values == sorted(values)
    by_param = c.get("/api/trials", params={"study": "s", "sort": "param:lr", "order": "desc",
                                            "limit": 500}).json()["rows"]
    lrs = [r["params"]["lr"] for r in by_param]
    assert lrs == sorted(lrs, reverse=True)
    failed = c.get("/api/trials", params={"study": "s", "state": "fail"}).json()
    assert failed["total"] == 1 and XSS in failed["rows"][0]["error"]
    for bad in ({"limit": 0}, {"limit": 10_000}, {"offset": -1}, {"sort": "nope"},
                {"order": "up"}, {"state": "bogus"}, {"limit": "x"}):
        r = c.get("/api/trials", params={"study": "s", **bad})
        assert r.status_code == 400 and "error" in r.json(), bad


def test_figures_are_incremental_and_downsampled(study: caviar.Study) -> None:
    c = TestClient(create_app(study.storage, max_curves=8, curve_points=10))
    f = c.get("/api/figures", params={"study": "s"}).json()
    assert set(f["figures"]) >= {"history", "params", "parallel", "curves"}
    # importance (a random forest) never holds the other figures back: it comes on a later
    # poll, and until then the answer says it is pending and is not final (seq -1)
    assert set(f["figures"]["pending"]) <= {"importance", "rounds", "contour", "rank"}
    assert (f["seq"] == -1) == bool(f["figures"]["pending"])
    deadline = time.time() + 120
    while f["figures"]["pending"] and time.time() < deadline:
        time.sleep(0.1)
        f = c.get("/api/figures", params={"study": "s", "since": f["seq"]}).json()
    assert f["figures"]["pending"] == [] and "importance" in f["figures"] and f["seq"] > 0
    curves = f["figures"]["curves"]
    assert sum(x is not None for tr in curves["data"] for x in tr["x"]) <= 8 * 11
    assert c.get("/api/figures", params={"study": "s", "since": f["seq"]}).json()[
        "changed"] is False
    study.optimize(objective, n_trials=35)
    g = c.get("/api/figures", params={"study": "s", "since": f["seq"]}).json()
    assert g["changed"] and g["seq"] > f["seq"]
    assert c.get("/api/study", params={"study": "s"}).json()["n_trials"] == 35


def test_trial_page_with_events(study: caviar.Study) -> None:
    t = study.trials[0]
    study.storage.add_event(t.id, "nudge", {"param": "lr", "factor": 0.5, "step": 3})
    study.storage.add_event(t.id, "rewind", {"to_step": 1, "step": 5})
    page = client(study).get("/api/trial", params={"study": "s", "number": 0}).json()
    assert [e["kind"] for e in page["events"]] == ["nudge", "rewind"]
    names = [tr.get("name") for tr in page["figure"]["data"]]
    assert "nudge (1)" in names and "rewind (1)" in names
    # no babysitter confirmed the nudge: pending, drawn open; a rewind is done at its step
    assert [e["status"] for e in page["events"]] == ["pending", "done"]
    marks = {tr["name"]: tr for tr in page["figure"]["data"]}
    assert marks["nudge (1)"]["marker"]["symbol"] == ["triangle-up-open"]
    assert marks["rewind (1)"]["x"] == [5]
    assert all("text" not in tr.get("mode", "") for tr in page["figure"]["data"])
    assert client(study).get("/api/trial", params={"study": "s", "number": 99}).status_code \
        == 404


def test_controls_only_when_allowed_and_validated(study: caviar.Study) -> None:
    running = study.ask()
    study.storage.heartbeat([running.id])
    body = {"study": "s", "number": running.number, "action": "stop"}
    hdr = {"X-Caviar-Control": "1"}
    assert client(study).post("/api/control", json=body, headers=hdr).status_code == 403
    c = client(study, allow_control=True)
    assert c.post("/api/control", json=body).status_code == 403  # no header: no cross-site post
    r = c.post("/api/control", json=body, headers=hdr)
    assert r.status_code == 200 and r.json()["action"] == "stop"
    ok = c.post("/api/control", headers=hdr, json={**body, "action": "nudge", "param": "lr",
                                                    "factor": 0.5})
    assert ok.status_code == 200
    bad = [{**body, "action": "explode"}, {**body, "number": -1}, {**body, "number": "1"},
           {**body, "action": "nudge", "param": "nope", "factor": 2},
           {**body, "action": "nudge", "param": "lr"},
           {**body, "action": "nudge", "param": "lr", "factor": -1},
           {**body, "extra": 1}, {**body, "action": "pause", "factor": 2}]
    for b in bad:
        r = c.post("/api/control", json=b, headers=hdr)
        assert r.status_code == 400 and "error" in r.json(), b
    raw = ('{"study": "s", "number": NUMBER, "action": "nudge", "param": "lr", '
           '"factor": 1e400}').replace("NUMBER", str(running.number))
    r = c.post("/api/control", content=raw, headers={**hdr, "Content-Type": "application/json"})
    assert r.status_code == 400 and "finite" in r.json()["error"]
    r = c.post("/api/control", content="[1,", headers={**hdr, "Content-Type": "application/json"})
    assert r.status_code == 400
    done = {"study": "s", "number": 0, "action": "pause"}
    assert c.post("/api/control", json=done, headers=hdr).status_code == 409
    kinds = [e.kind for e in study.storage.get_events(running.id)]
    assert kinds == ["stop", "nudge"]
    assert study.storage.get_events(running.id)[1].payload == {
        "source": "dashboard", "param": "lr", "factor": 0.5}


def test_host_header_checked_on_loopback(study: caviar.Study) -> None:
    c = TestClient(create_app(study.storage, allowed_hosts=["127.0.0.1", "localhost"]),
                   base_url="http://evil.example")
    assert c.get("/api/studies").status_code == 400


def test_empty_study_and_port_taken(tmp_path: Path) -> None:
    s = caviar.create_study("empty", storage="sqlite:///" + str(tmp_path / "e.db"))
    c = client(s)
    f = c.get("/api/figures", params={"study": "empty"}).json()["figures"]
    for _ in range(600):
        if not f["pending"]:
            break
        time.sleep(0.1)
        f = c.get("/api/figures", params={"study": "empty"}).json()["figures"]
    assert f["history"]["data"] == [] and f["importance"]["data"] == []
    assert c.get("/api/trials", params={"study": "empty"}).json()["total"] == 0
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    try:
        with pytest.raises(UsageError, match="already in use"):
            bind("127.0.0.1", taken.getsockname()[1])
    finally:
        taken.close()
