"""caviar.hypervolume against closed forms, an exact inclusion-exclusion oracle, an exact grid
count on integer points and a Monte-Carlo estimate."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from caviar.errors import UsageError
from caviar.hypervolume import contributions, hypervolume


def inclusion_exclusion(points: np.ndarray, ref: np.ndarray) -> float:
    """The union of the boxes [p, ref], exactly: sum over subsets of (-1)^(|S|+1) times the
    volume of their intersection (the box from the subset's coordinate-wise max)."""
    pts = [p for p in points if np.all(p < ref)]
    total = 0.0
    for k in range(1, len(pts) + 1):
        for sub in itertools.combinations(pts, k):
            corner = np.max(np.asarray(sub), axis=0)
            total += (-1) ** (k + 1) * float(np.prod(np.maximum(ref - corner, 0.0)))
    return total


def grid_count(points: np.ndarray, ref: np.ndarray) -> int:
    """Integer points: the number of unit cells [c, c + 1] some point dominates (a cell is
    dominated iff some point is <= its lower corner)."""
    lo = points.min(axis=0).astype(int)
    axes = [np.arange(lo[j], int(ref[j])) for j in range(ref.size)]
    cells = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, ref.size)
    dom = np.zeros(cells.shape[0], dtype=bool)
    for p in points:
        dom |= np.all(cells >= p, axis=1)
    return int(dom.sum())


@pytest.mark.parametrize("d", [2, 3, 4, 5])
def test_matches_inclusion_exclusion_on_random_fronts(d: int) -> None:
    rng = np.random.default_rng(d)
    for _ in range(25):
        n = int(rng.integers(1, 9))
        pts = rng.random((n, d))
        ref = np.full(d, 1.1)
        assert hypervolume(pts, ref) == pytest.approx(inclusion_exclusion(pts, ref), rel=1e-12,
                                                      abs=1e-14)


@pytest.mark.parametrize("d", [2, 3, 4])
def test_matches_an_exact_grid_count_on_integer_points(d: int) -> None:
    rng = np.random.default_rng(10 + d)
    for _ in range(10):
        n = int(rng.integers(1, 30 if d < 4 else 12))
        pts = rng.integers(0, 9, size=(n, d)).astype(float)
        ref = np.full(d, 10.0)
        assert hypervolume(pts, ref) == grid_count(pts, ref)


def test_matches_monte_carlo_on_a_large_3d_front() -> None:
    rng = np.random.default_rng(3)
    pts = rng.random((60, 3))
    ref = np.array([1.0, 1.0, 1.0])
    x = rng.random((200_000, 3))
    dom = np.zeros(x.shape[0], dtype=bool)
    for p in pts:
        dom |= np.all(x >= p, axis=1)
    est, se = dom.mean(), math.sqrt(dom.mean() * (1 - dom.mean()) / x.shape[0])
    assert abs(hypervolume(pts, ref) - est) < 5 * se


def test_closed_forms() -> None:
    # one point: its box
    assert hypervolume([[1.0, 2.0, 3.0]], [2.0, 4.0, 7.0]) == 1.0 * 2.0 * 4.0
    # the staircase of (k/n, 1 - k/n) under (1, 1): the triangle 1/2 plus n steps of 1/(2 n^2)
    n = 10
    stairs = np.array([[k / n, 1 - k / n] for k in range(n + 1)])
    assert hypervolume(stairs, [1.0, 1.0]) == pytest.approx(0.5 - 1 / (2 * n))
    # dense samples of the ZDT1 / ZDT2 fronts approach 2/3 and 1/3 from below
    x = np.linspace(0, 1, 4001)
    h1 = hypervolume(np.c_[x, 1 - np.sqrt(x)], [1.0, 1.0])
    h2 = hypervolume(np.c_[x, 1 - x ** 2], [1.0, 1.0])
    assert 2 / 3 - 1e-3 < h1 < 2 / 3 and 1 / 3 - 1e-3 < h2 < 1 / 3
    # the DTLZ2 front (the positive octant of the unit sphere) under (1, 1, 1): 1 - pi/6
    t = np.linspace(0, math.pi / 2, 60)
    a, b = np.meshgrid(t, t)
    sphere = np.c_[(np.cos(a) * np.cos(b)).ravel(), (np.cos(a) * np.sin(b)).ravel(),
                   np.sin(a).ravel()]
    h3 = hypervolume(sphere, [1.0, 1.0, 1.0])
    assert 1 - math.pi / 6 - 0.03 < h3 < 1 - math.pi / 6


def test_points_outside_the_reference_and_dominated_points_add_nothing() -> None:
    base = [[0.2, 0.6], [0.5, 0.3]]
    ref = [1.0, 1.0]
    h = hypervolume(base, ref)
    assert hypervolume([*base, [0.6, 0.7], [1.0, 0.1], [0.2, 0.6], [0.1, 1.5]], ref) == h
    assert hypervolume(np.empty((0, 2)), ref) == 0.0
    assert hypervolume([[1.0, 0.0]], ref) == 0.0  # on the reference: not strictly better


def test_directions_turn_maximized_values_around() -> None:
    # maximize accuracy, minimize size; reference (accuracy 0, size 10)
    pts = [[0.9, 8.0], [0.5, 2.0]]
    h = hypervolume(pts, [0.0, 10.0], directions=["maximize", "minimize"])
    assert h == pytest.approx(hypervolume([[-0.9, 8.0], [-0.5, 2.0]], [0.0, 10.0]))
    assert h == pytest.approx(0.5 * 8 + 0.4 * 2)


@pytest.mark.parametrize("d", [2, 3, 4])
def test_contributions_are_the_loss_without_each_point(d: int) -> None:
    rng = np.random.default_rng(20 + d)
    pts = rng.random((9, d))
    pts = np.vstack([pts, pts[0], pts[1] + 0.01])  # a duplicate and a dominated row
    ref = np.full(d, 1.05)
    c = contributions(pts, ref)
    total = hypervolume(pts, ref)
    for i in range(pts.shape[0]):
        loss = total - hypervolume(np.delete(pts, i, axis=0), ref)
        assert c[i] == pytest.approx(max(loss, 0.0), abs=1e-12)
    assert c[0] == 0.0 and c[9] == 0.0 and c[10] == 0.0


def test_contributions_on_a_2d_front_take_the_sweep() -> None:
    x = np.sort(np.random.default_rng(5).random(12))
    front = np.c_[x, 1 - np.sqrt(x)]
    c = contributions(front, [1.2, 1.2])
    total = hypervolume(front, [1.2, 1.2])
    loss = [total - hypervolume(np.delete(front, i, axis=0), [1.2, 1.2]) for i in range(12)]
    assert c == pytest.approx(loss, abs=1e-12)
    assert np.all(c > 0)


def test_bad_input_names_the_rule() -> None:
    with pytest.raises(UsageError, match="reference must be finite"):
        hypervolume([[0.0, 0.0]], [1.0, math.inf])
    with pytest.raises(UsageError, match=r"rows of 2 values .* shape \(1, 3\)"):
        hypervolume([[0.0, 0.0, 0.0]], [1.0, 1.0])
    with pytest.raises(UsageError, match=r"finite, got row 1 = \[nan, 0.0\]"):
        hypervolume([[0.0, 0.0], [math.nan, 0.0]], [1.0, 1.0])
    with pytest.raises(UsageError, match=r"directions\[1\] must be 'minimize' or 'maximize'"):
        hypervolume([[0.0, 0.0]], [1.0, 1.0], directions=["minimize", "max"])
    with pytest.raises(UsageError, match="one direction per objective"):
        hypervolume([[0.0, 0.0]], [1.0, 1.0], directions=["minimize"])
