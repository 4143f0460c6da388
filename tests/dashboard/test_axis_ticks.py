"""enclosing_ticks: the ticks of an axis of measured values (the babysat page's "lr in use"):
labels at 1-2-5 values or decades, the axis widened so the extremes sit on labelled marks."""

from __future__ import annotations

import pytest

from caviar.viz.ticks import enclosing_ticks


@pytest.mark.parametrize(("lo", "hi", "text", "bounds"), [
    (0.05, 0.2, ["0.05", "0.1", "0.2"], (0.05, 0.2)),          # lr 0.2 halved twice
    (0.05, 0.21, ["0.05", "0.1", "0.2", "0.5"], (0.05, 0.5)),  # widened to the next mark
    (3e-4, 0.7, ["1e-4", "0.001", "0.01", "0.1", "1"], (1e-4, 1.0)),  # wide: decades
    (0.1, 0.1, ["0.05", "0.1", "0.2"], (0.05, 0.2)),            # one value: marks around it
])
def test_log_axis(lo: float, hi: float, text: list[str], bounds: tuple[float, float]) -> None:
    vals, labels, (a, b) = enclosing_ticks(lo, hi, log=True)
    assert labels == text and (a, b) == pytest.approx(bounds)
    assert a <= lo and b >= hi and vals[0] == a and vals[-1] == b
    assert vals == sorted(vals) and len(set(vals)) == len(vals)


def test_linear_axis_encloses_on_a_125_step() -> None:
    _, labels, (a, b) = enclosing_ticks(0.03, 0.97, log=False)
    assert labels == ["0", "0.2", "0.4", "0.6", "0.8", "1"] and (a, b) == (0.0, 1.0)


@pytest.mark.parametrize(("lo", "hi", "log"), [(0.2, 0.05, True), (0.0, 1.0, True),
                                              (float("nan"), 1.0, False)])
def test_bad_input_says_what_to_give(lo: float, hi: float, log: bool) -> None:
    with pytest.raises(ValueError, match=r"enclosing_ticks: needs finite lo <= hi.*give the "
                                         r"smallest and largest"):
        enclosing_ticks(lo, hi, log=log)
