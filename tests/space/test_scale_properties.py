"""Property tests of every scale: round trips, monotonicity, endpoints, bounds."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from caviar import Choice, Float, Int

units = st.floats(0.0, 1.0)
fracs = st.floats(0.0, 1.0)


@st.composite
def floats_params(draw):
    scale = draw(st.sampled_from(["linear", "log", "reverse_log"]))
    if scale == "linear":
        low = draw(st.floats(-1e6, 1e6))
        high = low + draw(st.floats(1e-3, 1e6))
    elif scale == "log":
        low = 10 ** draw(st.floats(-12, 6))
        high = low * 10 ** draw(st.floats(0.01, 12))
    else:
        low = 1 - 10 ** draw(st.floats(-6, 0.5))  # 1 - low in [1e-6, ~3.2]
        high = 1 - (1 - low) * 10 ** -draw(st.floats(0.01, 6))
    assume(low < high and (scale != "reverse_log" or (low > 0 and high < 1)))
    return Float(low, high, scale=scale, name="p")


@st.composite
def stepped_floats(draw):
    low = draw(st.integers(-1000, 1000)) / 8
    step = draw(st.sampled_from([0.125, 0.25, 0.5, 1.0, 2.5]))
    n = draw(st.integers(1, 200))
    return Float(low, low + n * step, step=step, name="p")


@st.composite
def ints(draw):
    if draw(st.booleans()):
        low = draw(st.integers(1, 10_000))
        return Int(low, low + draw(st.integers(1, 100_000)), scale="log", name="n")
    low, step = draw(st.integers(-500, 500)), draw(st.integers(1, 7))
    return Int(low, low + step * draw(st.integers(1, 300)), step=step, name="n")


@given(floats_params(), fracs)
def test_float_round_trip(p, f):
    x = min(p.high, p.low + f * (p.high - p.low))  # any value in [low, high]
    back = float(p.from_unit(p.to_unit(x)))
    assert back == pytest.approx(x, rel=1e-9, abs=1e-12 * (p.high - p.low))


@given(floats_params(), fracs)
def test_float_to_unit_inverts_from_unit(p, u):
    assert float(p.to_unit(p.from_unit(u))) == pytest.approx(u, abs=1e-6)


@given(floats_params(), units, units)
def test_float_monotone_and_bounded(p, u, v):
    u, v = min(u, v), max(u, v)
    a, b = float(p.from_unit(u)), float(p.from_unit(v))
    assert p.low <= a <= b <= p.high


@given(floats_params())
def test_float_endpoints_are_exact(p):
    assert float(p.from_unit(0.0)) == p.low and float(p.from_unit(1.0)) == p.high
    assert float(p.from_unit(-0.5)) == p.low and float(p.from_unit(1.5)) == p.high


@given(floats_params())
def test_float_vectorized_monotone(p):
    xs = p.from_unit(np.linspace(0.0, 1.0, 1001))
    assert np.all(np.diff(xs) >= 0) and xs[0] == p.low and xs[-1] == p.high


@given(stepped_floats(), st.data())
def test_stepped_float_round_trip_on_the_lattice(p, data):
    n = round((p.high - p.low) / p.step)
    k = data.draw(st.integers(0, n))
    x = p.low + k * p.step  # exact: multiples of dyadic steps
    assert float(p.from_unit(p.to_unit(x))) == x
    assert p.validate(x) == x


@given(stepped_floats(), units, units)
def test_stepped_float_monotone_on_lattice_and_bounded(p, u, v):
    u, v = min(u, v), max(u, v)
    a, b = float(p.from_unit(u)), float(p.from_unit(v))
    assert p.low <= a <= b <= p.high
    assert (a - p.low) / p.step == pytest.approx(round((a - p.low) / p.step), abs=1e-9)
    assert float(p.from_unit(0.0)) == p.low and float(p.from_unit(1.0)) == p.high


@given(ints(), st.data())
def test_int_round_trip_is_exact(p, data):
    x = p.low + p.step * data.draw(st.integers(0, (p.high - p.low) // p.step))
    assert int(p.from_unit(p.to_unit(x))) == x
    assert 0.0 <= float(p.to_unit(x)) <= 1.0


@given(ints(), units, units)
def test_int_monotone_and_bounded(p, u, v):
    u, v = min(u, v), max(u, v)
    a, b = p.value(u), p.value(v)
    assert isinstance(a, int) and p.low <= a <= b <= p.high
    assert (a - p.low) % p.step == 0
    assert p.value(0.0) == p.low and p.value(1.0) == p.high


@given(st.lists(st.one_of(st.text(max_size=5), st.integers(), st.booleans(), st.none()),
                min_size=1, max_size=12, unique_by=repr), st.data())
def test_choice_round_trip_is_exact(choices, data):
    p = Choice(choices, name="c")
    c = data.draw(st.sampled_from(choices))
    got = p.value(p.to_unit(c))
    assert got == c and type(got) is type(c)
    assert p.value(0.0) == choices[0] and p.value(1.0) == choices[-1]


@given(st.integers(1, 20), units, units)
def test_choice_monotone_in_index(k, u, v):
    p = Choice(list(range(k)))
    u, v = min(u, v), max(u, v)
    assert 0 <= p.value(u) <= p.value(v) <= k - 1


def test_choice_keeps_bool_and_int_apart():
    p = Choice([1, True, 0, False])
    assert [p.value(p.to_unit(c)) for c in [1, True, 0, False]] == [1, True, 0, False]
    assert [type(p.value(p.to_unit(c))) for c in [1, True]] == [int, bool]


def test_log_scale_closed_form():
    p = Float(1e-4, 1.0, scale="log")
    for r in (-4, -3, -2.5, -1, 0):  # lr = 10**r with r ~ U[-4, 0]
        assert float(p.from_unit((r + 4) / 4)) == pytest.approx(10**r, rel=1e-12)


def test_reverse_log_closed_form():
    p = Float(0.9, 0.999, scale="reverse_log")
    for u, beta in [(0.0, 0.9), (0.5, 0.99), (1.0, 0.999), (0.25, 1 - 10**-1.5)]:
        assert float(p.from_unit(u)) == pytest.approx(beta, abs=1e-14)
        assert float(p.to_unit(beta)) == pytest.approx(u, abs=1e-12)
    assert math.isclose(float(p.from_unit(0.75)), 1 - 10**-2.5, rel_tol=1e-14)
