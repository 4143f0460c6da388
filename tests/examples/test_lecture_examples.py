"""The lecture's lessons as examples (issue 8): random vs grid at the same budget."""

from __future__ import annotations

from examplesupport import load_example


def test_random_beats_grid_when_two_of_six_dims_matter() -> None:
    out = load_example("random_vs_grid").main()
    assert out["random"] < out["grid"] / 5
