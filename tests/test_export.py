"""Exports: DataFrame columns, CSV and JSON that parse back to the stored values."""

from __future__ import annotations

import csv
import io
import json
import math

import pytest

from caviar import create_study


@pytest.fixture
def study():
    def obj(t):
        kind = t.suggest_categorical("kind", ["a", "b"])
        x = t.suggest_float("x", 0.0, 1.0)
        if kind == "a":
            t.suggest_int("n", 1, 3)
        t.set_user_attr("tag", f"t{t.number}")
        if t.number == 3:
            raise RuntimeError("boom, with, commas")
        return x

    s = create_study("exp", seed=0)
    s.optimize(obj, n_trials=8)
    return s


def test_dataframe_columns_and_values(study):
    df = study.to_dataframe()
    assert list(df.columns) == ["number", "state", "value", "duration", "error", "params_kind",
                                "params_x", "params_n", "user_attrs_tag"]
    assert list(df["number"]) == list(range(8))
    for row, t in zip(df.itertuples(), study.trials, strict=True):
        assert row.state == t.state and row.params_x == t.params["x"]
        assert (row.value == t.value) or (t.value is None and math.isnan(row.value))
        assert row.user_attrs_tag == f"t{t.number}" and row.duration >= 0
    assert df.loc[3, "error"] == "RuntimeError: boom, with, commas"
    assert study.trials_dataframe().equals(df)


def test_csv_parses_back(study, tmp_path):
    text = study.to_csv(str(tmp_path / "t.csv"))
    assert (tmp_path / "t.csv").read_text() == text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 8
    for r, t in zip(rows, study.trials, strict=True):
        assert int(r["number"]) == t.number and r["state"] == t.state
        assert float(r["params_x"]) == t.params["x"]  # full precision
        assert r["params_n"] == ("" if "n" not in t.params else str(t.params["n"]))
        assert r["value"] == ("" if t.value is None else repr(t.value))
    assert rows[3]["error"] == "RuntimeError: boom, with, commas"


def test_json_parses_back(study, tmp_path):
    doc = json.loads(study.to_json(str(tmp_path / "t.json")))
    assert json.loads((tmp_path / "t.json").read_text()) == doc
    assert (doc["study"], doc["direction"]) == ("exp", "minimize")
    assert doc["sampler"] == {"name": "random", "seed": 0}
    assert set(doc["space"]) == {"kind", "x", "n"}
    assert [t["value"] for t in doc["trials"]] == [t.value for t in study.trials]
    assert [t["params"] for t in doc["trials"]] == [t.params for t in study.trials]
    assert doc["trials"][3]["state"] == "fail" and "traceback" not in doc["trials"][3][
        "system_attrs"]
