"""Ill-defined params: each error names the param, the rule, the value and the fix."""

from __future__ import annotations

import pytest

from caviar import Choice, Float, Int, SpaceError
from caviar.space import Space


def message(make):
    with pytest.raises(SpaceError) as e:
        make()
    return str(e.value)


@pytest.mark.parametrize("make, words", [
    (lambda: Float(1.0, 0.5, name="lr"), ["Float('lr')", "low < high", "low=1.0", "high=0.5",
                                          "swap"]),
    (lambda: Float(2.0, 2.0, name="lr"), ["Float('lr')", "low < high", "low=2.0"]),
    (lambda: Int(8, 3, name="units"), ["Int('units')", "low < high", "low=8", "high=3"]),
    (lambda: Float(0.0, 1.0, scale="log", name="lr"),
     ["Float('lr')", "scale='log' needs low > 0", "low=0.0", "such as 1e-6"]),
    (lambda: Float(-1.0, 1.0, scale="log", name="lr"), ["'lr'", "low > 0", "low=-1.0"]),
    (lambda: Int(0, 100, scale="log", name="units"), ["Int('units')", "low > 0", "low=0"]),
    (lambda: Float(0.0, 0.999, scale="reverse_log", name="beta"),
     ["Float('beta')", "reverse_log", "low > 0", "low=0.0", "low=0.9"]),
    (lambda: Float(0.9, 1.0, scale="reverse_log", name="beta"),
     ["Float('beta')", "reverse_log", "high < 1", "high=1.0", "0.999"]),
    (lambda: Float(0.9, 1.5, scale="reverse_log", name="beta"), ["'beta'", "high=1.5"]),
    (lambda: Float(0.0, 1.0, step=0.3, name="drop"),
     ["Float('drop')", "step must divide", "step=0.3", "pick a step such as"]),
    (lambda: Int(0, 10, step=3, name="units"), ["Int('units')", "divide", "step=3"]),
    (lambda: Float(0.0, 1.0, step=2.0, name="drop"), ["'drop'", "step=2.0"]),
    (lambda: Float(0.0, 1.0, step=-0.1, name="drop"), ["'drop'", "positive", "step=-0.1"]),
    (lambda: Int(1, 64, step=0, name="units"), ["'units'", "step must be >= 1", "step=0"]),
    (lambda: Float(1e-3, 1.0, scale="log", step=0.1, name="lr"), ["'lr'", "linear", "'log'"]),
    (lambda: Float(0.0, 1.0, scale="logarithmic", name="lr"),
     ["'lr'", "scale must be one of", "'logarithmic'", "'log'"]),
    (lambda: Int(1, 9, scale="reverse_log", name="n"), ["'n'", "reverse_log", "'linear'"]),
    (lambda: Float(0.0, float("inf"), name="x"), ["'x'", "finite", "high=inf"]),
    (lambda: Float("0", 1.0, name="x"), ["'x'", "finite number", "low='0'"]),
    (lambda: Int(0.5, 3, name="n"), ["'n'", "integer", "low=0.5"]),
    (lambda: Choice([], name="act"), ["Choice('act')", "at least one choice", "empty",
                                      "Choice(['relu', 'tanh'])"]),
    (lambda: Choice(["a", "a"], name="act"), ["'act'", "distinct", "['a', 'a']"]),
    (lambda: Choice("relu", name="act"), ["'act'", "must be a list", "'relu'"]),
    (lambda: Choice([object], name="act"), ["'act'", "str, int, float, bool or None"]),
])
def test_bad_param_message(make, words):
    msg = message(make)
    for w in words:
        assert w in msg, f"{w!r} not in {msg!r}"


def test_unnamed_param_names_its_range():
    msg = message(lambda: Float(0.0, 1.0, scale="log"))
    assert "Float(low=0.0, high=1.0)" in msg and "low > 0" in msg


def test_space_shorthand_and_bad_spec():
    s = Space({"act": ["relu", "tanh"], "lr": Float(1e-4, 1, scale="log")})
    assert s["act"] == Choice(("relu", "tanh"), name="act") and s["lr"].name == "lr"
    msg = message(lambda: Space({"lr": 0.1}))
    assert "'lr'" in msg and "got 0.1" in msg and "Float(1e-4, 1, scale='log')" in msg


@pytest.mark.parametrize("p, x, words", [
    (Float(0, 1, name="x"), 1.5, ["'x'", "[0.0, 1.0]", "1.5"]),
    (Int(0, 10, step=2, name="n"), 3, ["'n'", "range(0, 11, 2)", "3"]),
    (Choice(["a", "b"], name="c"), "z", ["'c'", "['a', 'b']", "'z'"]),
])
def test_validate_rejects_values_outside(p, x, words):
    msg = message(lambda: p.validate(x))
    for w in words:
        assert w in msg
