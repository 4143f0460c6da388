"""examples/multiobjective.py runs and shows a real trade-off: along the front, more
parameters buy more accuracy."""

from __future__ import annotations

import importlib.util
import itertools
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "multiobjective.py"


def test_accuracy_against_size_front(capsys: pytest.CaptureFixture[str]) -> None:
    spec = importlib.util.spec_from_file_location("example_multiobjective", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
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
