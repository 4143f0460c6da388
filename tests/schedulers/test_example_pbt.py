"""examples/pbt_digits.py runs and shows what it claims: exploits happen, the lineage names
them, and the best member's replay alone gives its stored accuracy exactly (float64)."""

from __future__ import annotations

from examplesupport import load_example


def test_pbt_digits_example(capsys):
    module = load_example("pbt_digits")
    out = module.main(population=8, epochs=4)
    pbt = out["pbt"]
    assert sum(len(t.system_attrs.get("exploits") or []) for t in pbt.trials) == 2
    assert out["replay"].val_accuracy == pbt.best_value
    assert pbt.best_value > 0.85 and out["random"].best_value > 0.5
    text = capsys.readouterr().out
    assert "pbt: best validation accuracy" in text and "<- #" in text and "replay of #" in text
