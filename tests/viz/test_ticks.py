"""Ticks at real values on every scale; positions distinct; labels short."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from caviar import Choice, Float, Int
from caviar.viz import data, ticks


def test_log_floats_tick_on_decades() -> None:
    vals, text = ticks.param_ticks(Float(1e-5, 1e-1, scale="log"))
    assert text == ["1e-5", "1e-4", "0.001", "0.01", "0.1"]
    assert vals == [1e-5, 1e-4, 1e-3, 1e-2, 1e-1]


def test_narrow_log_ranges_get_two_and_five() -> None:
    assert ticks.param_ticks(Float(1e-3, 1e-2, scale="log"))[1] == ["0.001", "0.002", "0.005",
                                                                      "0.01"]
    assert ticks.param_ticks(Float(1e-3, 3e-3, scale="log"))[1] == ["0.001", "0.002", "0.003"]


def test_reverse_log_reads_in_beta() -> None:
    assert ticks.param_ticks(Float(0.9, 0.999, scale="reverse_log"))[1] == ["0.9", "0.99",
                                                                             "0.999"]
    assert ticks.param_ticks(Float(0.9, 0.99, scale="reverse_log"))[1] == ["0.9", "0.95",
                                                                            "0.98", "0.99"]
    pos, text = ticks.plot_ticks(Float(0.9, 0.999, scale="reverse_log"))
    assert [math.isclose(1 - p, float(t)) for p, t in zip(pos, text, strict=True)] == [True] * 3


def test_ints_tick_on_integers_and_log_ints_on_powers_of_two() -> None:
    assert ticks.param_ticks(Int(1, 3))[1] == ["1", "2", "3"]
    assert ticks.param_ticks(Int(0, 100))[1] == ["0", "20", "40", "60", "80", "100"]
    assert ticks.param_ticks(Int(16, 512, scale="log"))[1] == ["16", "32", "64", "128", "256",
                                                                "512"]
    assert ticks.param_ticks(Int(1, 10_000, scale="log"))[1] == ["1", "4", "16", "64", "256",
                                                                  "1024", "4096"]


def test_choices_by_name_at_slot_centres() -> None:
    pos, text = ticks.unit_ticks(Choice([32, 64, 128]))
    assert text == ["32", "64", "128"] and pos == [1 / 6, 0.5, 5 / 6]


def test_unit_ticks_of_a_log_int_sit_where_the_values_are_drawn() -> None:
    """The old bug: ticks from from_unit(u) of evenly spaced u read 31 / 63 / 127 and two
    depth ticks shared a position."""
    p = Int(16, 512, scale="log")
    pos, text = ticks.unit_ticks(p)
    assert "32" in text and "31" not in text
    for x, t in zip(pos, text, strict=True):
        assert math.isclose(x, float(p.to_unit(int(t))))
    depth_pos, depth_text = ticks.unit_ticks(Int(1, 3))
    assert depth_text == ["1", "2", "3"] and len(set(depth_pos)) == 3


def test_slice_axes_carry_the_ticks() -> None:
    ax = data.axis(Int(1, 3))
    assert ax["tickvals"] == [1.0, 2.0, 3.0] and ax["ticktext"] == ["1", "2", "3"]


def test_labels_are_short() -> None:
    assert ticks.label(0.000562341) == "5.62e-4"
    assert ticks.label(12340.0) == "12340" and ticks.label(3e6) == "3e6"
    assert ticks.label(0.9999) == "0.9999"


@settings(max_examples=200, deadline=None)
@given(lo=st.floats(-6, 3), span=st.floats(0.05, 9), scale=st.sampled_from(["log", "linear"]),
       kind=st.sampled_from(["float", "int"]))
def test_ticks_are_distinct_sorted_inside_and_few(lo: float, span: float, scale: str,
                                                 kind: str) -> None:
    if kind == "int":
        a = max(1, round(10 ** (lo / 2 + 1.5)))
        p: Float | Int = Int(a, a + max(1, round(a * span)), scale=scale)
    else:
        low = 10 ** lo
        p = Float(low, low * (1 + span) if scale == "linear" else low * 10 ** span,
                  scale=scale)
    vals, text = ticks.param_ticks(p)
    assert 2 <= len(vals) <= 2 * ticks.MAX_TICKS, (p, vals)
    assert vals == sorted(vals) and len(set(vals)) == len(vals)
    assert len(set(text)) == len(text), (p, text)
    tol = 1e-9 * max(abs(p.low), abs(p.high))
    assert all(p.low - tol <= v <= p.high + tol for v in vals), (p, vals)
    if kind == "int":
        assert all(float(v).is_integer() for v in vals) and all("." not in t for t in text)
    assert all(len(t) <= 8 for t in text), text
    units = ticks.unit_ticks(p)[0]
    assert len(set(units)) == len(units)
