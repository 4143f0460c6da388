"""examples/pbt_digits.py runs and shows what it claims: exploits happen, the lineage names
them, and the best member's replay alone gives its stored accuracy exactly (float64)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "pbt_digits.py"


def test_pbt_digits_example(capsys):
    spec = importlib.util.spec_from_file_location("example_pbt_digits", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    out = module.main(population=8, epochs=4)
    pbt = out["pbt"]
    assert sum(len(t.system_attrs.get("exploits") or []) for t in pbt.trials) == 2
    assert out["replay"].val_accuracy == pbt.best_value
    assert pbt.best_value > 0.85 and out["random"].best_value > 0.5
    text = capsys.readouterr().out
    assert "pbt: best validation accuracy" in text and "<- #" in text and "replay of #" in text
