"""examples/multiobjective.py runs and shows a real trade-off: along the front, more
parameters buy more accuracy."""

from __future__ import annotations

import itertools

import pytest

from examplesupport import load_example

pytest.importorskip("torch")


def test_accuracy_against_size_front(capsys: pytest.CaptureFixture[str]) -> None:
    module = load_example("multiobjective")
    study = module.main(n_trials=12, epochs=3)
    front = sorted(study.best_trials, key=lambda t: (t.values[1], -t.values[0]))
    assert len(front) >= 2
    sizes = [t.values[1] for t in front]
    accs = [t.values[0] for t in front]
    # on a two-objective front sorted by size, accuracy rises (no front trial is dominated)
    assert all(a < b for a, b in itertools.pairwise(accs))
    assert all(a < b for a, b in itertools.pairwise(sizes))
    assert accs[-1] > 0.8
    out = capsys.readouterr().out
    assert f"{len(front)} trials on the front of 12" in out
