"""Space: JSON and unit-cube codecs; grids stay within range."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from caviar import Choice, Float, Int, ParamConflictError, Space
from caviar.space import param_from_json

SPACE = Space({
    "lr": Float(1e-4, 1.0, scale="log"), "beta": Float(0.9, 0.999, scale="reverse_log"),
    "drop": Float(0.0, 0.5, step=0.1), "units": Int(16, 512, scale="log"),
    "layers": Int(1, 7, step=2), "act": Choice(["relu", "tanh", None, 3, 2.5, True]),
})


def test_json_round_trip_is_the_same_definition():
    doc = json.loads(json.dumps(SPACE.to_json()))
    back = Space.from_json(doc)
    assert list(back) == list(SPACE) and back.to_json() == SPACE.to_json()
    for name in SPACE:
        assert back[name] == SPACE[name] and param_from_json(doc[name], name) == SPACE[name]


@given(st.lists(st.floats(0.0, 1.0), min_size=6, max_size=6))
def test_unit_cube_round_trip(u):
    (params,) = SPACE.from_unit(np.array([u]))
    assert json.loads(json.dumps(params)) == params  # plain JSON values
    for name, p in SPACE.items():
        assert p.validate(params[name]) == params[name]
    again = SPACE.from_unit(SPACE.to_unit(params)[None, :])[0]
    assert again["act"] == params["act"] and again["units"] == params["units"]
    assert again["layers"] == params["layers"] and again["drop"] == params["drop"]
    assert abs(again["lr"] - params["lr"]) <= 1e-12 * params["lr"]
    assert abs(again["beta"] - params["beta"]) <= 1e-12


def test_missing_conditional_params_are_nan():
    v = SPACE.to_unit({"lr": 0.01})
    assert v[0] == 0.5 and np.isnan(v[1:]).all()


def test_add_rejects_a_different_definition():
    s = Space({"lr": Float(1e-4, 1.0, scale="log")})
    assert s.add("lr", Float(1e-4, 1.0, scale="log", name="lr")) is s["lr"]
    try:
        s.add("lr", Float(1e-4, 1.0))
    except ParamConflictError as e:
        assert "'lr'" in str(e) and "'log'" in str(e) and "'linear'" in str(e)
        assert "rename the new param" in str(e)
    else:
        raise AssertionError("no ParamConflictError")


@given(st.integers(2, 12))
def test_grids_are_within_range_with_exact_ends(res):
    for name, p in SPACE.items():
        g = p.grid(res)
        for x in g:
            p.validate(x)
        assert len(set(map(repr, g))) == len(g), name
        if not isinstance(p, Choice):
            assert g[0] == p.low and g[-1] == p.high and g == sorted(g)
    assert SPACE["drop"].grid(res) == pytest.approx([0.0, 0.1, 0.2, 0.3, 0.4, 0.5], abs=1e-15)
    assert SPACE["layers"].grid(res) == [1, 3, 5, 7]
    assert len(SPACE["lr"].grid(res)) == res
