"""The trial page of a real babysat run (panda.babysit in this process): events with the state
`caviar history` reports, the lr in use after nudges, compact attributes, few marks."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("starlette")

from starlette.testclient import TestClient
from tests.panda.test_control import make_objective

import caviar
from caviar import panda
from caviar.dashboard import create_app
from caviar.dashboard.trial_page import attr_rows, describe
from caviar.panda import control
from caviar.panda.control import Change

EPOCHS = 30


@pytest.fixture
def babysat(tmp_path: Path) -> tuple[caviar.Study, Any]:
    study = caviar.create_study("p", storage="sqlite:///" + str(tmp_path / "p.db"))

    def hook(trial: Any, epoch: int) -> None:  # "another terminal" nudges during epochs 3, 9
        if epoch in (3, 9):
            rec = study.storage.get_study("p")
            t = control.find_trial(study.storage, rec, trial.number)
            panda.nudge(study.storage, rec, t, [Change("lr", factor=0.5)], source="test")
        if epoch == 12:
            study.storage.add_event(trial.id, "nudge", {"param": "width", "value": 3})

    out = panda.babysit(study, make_objective(epochs=EPOCHS, hook=hook),
                        params={"lr": 0.2, "width": 2}, quiet=True)
    return study, out


def test_events_are_applied_as_caviar_history_says(babysat: tuple[caviar.Study, Any]) -> None:
    study, out = babysat
    page = TestClient(create_app(study.storage)).get(
        "/api/trial", params={"study": "p", "number": out.number}).json()
    rows = control.history_rows(study.storage.get_events(out.id))
    assert [(e["status"], e["epoch"]) for e in page["events"]] == \
        [(r["status"], r["epoch"]) for r in rows]
    assert [e["status"][:8] for e in page["events"]] == ["applied", "applied", "rejected"]
    assert [e["epoch"] for e in page["events"][:2]] == [4, 10]
    assert page["events"][0]["what"] == "lr ×0.5 (0.2 → 0.1)"
    lr = next(p for p in page["params"] if p["name"] == "lr")
    assert lr["start"] == 0.2 and lr["now"] == pytest.approx(0.05) and lr["mutable"]
    assert lr["changed"] and not next(p for p in page["params"] if p["name"] == "width")["mutable"]
    assert page["babysat"] and page["checkpoints"] == {"n": EPOCHS, "first": 0,
                                                       "last": EPOCHS - 1}
    fig = page["figure"]["data"]
    # 30 checkpoints, the mutable and applied bookkeeping and the rejected nudge are not
    # drawn: two marks, at the epochs the nudges took effect
    marks = [tr for tr in fig if tr["name"].startswith("nudge")]
    assert len(marks) == 1 and marks[0]["x"] == [4, 10] and marks[0]["name"] == "nudge (2)"
    assert marks[0]["marker"]["symbol"] == ["triangle-up", "triangle-up"]
    assert "applied from epoch 4" in marks[0]["text"][0]
    assert all("text" not in tr.get("mode", "") for tr in fig)
    used = next(tr for tr in fig if tr["name"] == "lr in use")
    assert used["yaxis"] == "y2" and used["y"][0] == 0.2 and used["y"][-1] == pytest.approx(0.05)
    y2 = page["figure"]["layout"]["yaxis2"]
    assert y2["type"] == "log" and y2["ticktext"] == ["0.05", "0.1", "0.2"]
    assert y2["range"][0] < math.log10(0.05) and y2["range"][1] > math.log10(0.2)
    names = {a["name"]: a["text"] for a in page["attrs"]["user"]}
    assert names["schedule"] == f"{EPOCHS} values with keys epoch, lr"
    assert all(len(a["text"]) <= 160 for a in page["attrs"]["user"] + page["attrs"]["system"])
    assert "babysit.target" in {a["name"] for a in page["attrs"]["system"]}


def test_a_pruned_trial_says_why_as_text(tmp_path: Path) -> None:
    study = caviar.create_study("q", storage="sqlite:///" + str(tmp_path / "q.db"),
                                pruner=caviar.MedianPruner(min_trials=2) if hasattr(
                                    caviar, "MedianPruner") else None)
    t = study.ask()
    t.system_attrs["pruned_because"] = "value 0.9 is worse than the median 0.5 at step 3"
    study.tell(t, state="pruned")
    page = TestClient(create_app(study.storage)).get(
        "/api/trial", params={"study": "q", "number": 0}).json()
    assert page["reason"] == "value 0.9 is worse than the median 0.5 at step 3"
    assert not page["babysat"] and page["events"] == []


def test_describe_is_short() -> None:
    assert describe(list(range(100))) == "100 values of int"
    assert describe([1, 2.5]) == "[1, 2.5]"
    assert describe({"a": 0.123456}) == "a=0.1235"
    assert len(describe({str(i): "x" * 50 for i in range(20)})) <= 160
    rows = attr_rows({"panda": {"mutable": ["lr"], "last_epoch": 29}, "traceback": "T"})
    assert rows == [{"name": "panda.mutable", "text": "[lr]"},
                    {"name": "panda.last_epoch", "text": "29"}]
