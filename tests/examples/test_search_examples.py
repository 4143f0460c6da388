"""The coarse-to-fine and pruning examples run and show what they claim."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def load(name):
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_coarse_to_fine_example_zooms_in():
    study = load("coarse_to_fine").main(100)
    boxes = [t.system_attrs["box"]["lr"] for t in study.trials if t.system_attrs["round"] >= 1]
    assert boxes[-1][1] / boxes[-1][0] < boxes[0][1] / boxes[0][0]
    assert 1e-3 < study.best_params["lr"] < 1e-2


def test_pruning_example_saves_epochs():
    study = load("pruning").main(60)
    assert study.counts()["pruned"] > 30
    assert sum(len(c) for c in study.reports().values()) < 0.5 * 27 * 60
