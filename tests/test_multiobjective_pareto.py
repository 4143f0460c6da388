"""caviar.pareto against a brute-force dominance check: random draws with ties and duplicates."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from caviar.pareto import dominates, nondominated_ranks, pareto_front, to_minimize


def brute_dominates(a: np.ndarray, b: np.ndarray) -> bool:
    no_worse = all(x <= y for x, y in zip(a, b, strict=True))
    better = any(x < y for x, y in zip(a, b, strict=True))
    return no_worse and better


def brute_front(pts: np.ndarray) -> list[int]:
    return [i for i in range(len(pts))
            if not any(brute_dominates(pts[j], pts[i]) for j in range(len(pts)) if j != i)]


def brute_ranks(pts: np.ndarray) -> list[int]:
    left = list(range(len(pts)))
    ranks = [-1] * len(pts)
    r = 0
    while left:
        sub = pts[left]
        front = [left[i] for i in brute_front(sub)]
        for i in front:
            ranks[i] = r
        left = [i for i in left if i not in front]
        r += 1
    return ranks


def draw(rng: np.random.Generator, n: int, k: int) -> np.ndarray:
    """Points on a coarse grid (many ties), with some rows repeated exactly."""
    pts = rng.integers(0, 6, size=(n, k)).astype(float)
    if n > 3:
        pts[rng.integers(0, n, size=n // 3)] = pts[rng.integers(0, n, size=n // 3)]
    return pts


@pytest.mark.parametrize("k", [1, 2, 3, 4])
def test_front_and_ranks_match_brute_force_on_many_draws(k: int) -> None:
    rng = np.random.default_rng(k)
    for _ in range(150):
        n = int(rng.integers(0, 40))
        pts = draw(rng, n, k)
        assert pareto_front(pts) == brute_front(pts)
        assert nondominated_ranks(pts).tolist() == brute_ranks(pts)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(-3, 3), st.integers(-3, 3), st.floats(-2, 2)),
                min_size=1, max_size=25))
def test_front_matches_brute_force_hypothesis(rows: list[tuple[int, int, float]]) -> None:
    pts3 = np.array(rows, dtype=float)
    for pts in (pts3, pts3[:, :2]):
        assert pareto_front(pts) == brute_front(pts)
        assert nondominated_ranks(pts).tolist() == brute_ranks(pts)


def test_continuous_points_large_2d_and_3d() -> None:
    rng = np.random.default_rng(0)
    for k in (2, 3):
        pts = rng.random((400, k))
        assert pareto_front(pts) == brute_front(pts)


def test_duplicates_on_the_front_all_stay() -> None:
    pts = np.array([[1.0, 2.0], [1.0, 2.0], [2.0, 1.0], [2.0, 2.0]])
    assert pareto_front(pts) == [0, 1, 2]
    assert nondominated_ranks(pts).tolist() == [0, 0, 0, 1]


def test_dominates_is_strict_and_needs_one_better() -> None:
    assert dominates([1, 2], [1, 3]) and not dominates([1, 3], [1, 2])
    assert not dominates([1, 2], [1, 2])  # equal rows never dominate
    assert not dominates([0, 3], [1, 2])  # a trade-off


def test_to_minimize_flips_maximized_columns() -> None:
    v = to_minimize([[0.9, 100.0], [0.8, 50.0]], ["maximize", "minimize"])
    assert v.tolist() == [[-0.9, 100.0], [-0.8, 50.0]]
    assert to_minimize([0.9, 3.0], ["maximize", "maximize"]).tolist() == [-0.9, -3.0]
    with pytest.raises(ValueError, match="one column per direction"):
        to_minimize([[1.0, 2.0, 3.0]], ["minimize", "minimize"])


def test_nan_is_refused() -> None:
    with pytest.raises(ValueError, match="NaN"):
        pareto_front([[1.0, float("nan")]])


def test_empty_input() -> None:
    assert pareto_front(np.empty((0, 2))) == []
    assert nondominated_ranks(np.empty((0, 3))).tolist() == []
