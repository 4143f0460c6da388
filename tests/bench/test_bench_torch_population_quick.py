"""bench/torch_population.py --quick runs (every workload, both scenarios), so it does not rot."""

from __future__ import annotations

import pytest
from benchrun import run_quick


@pytest.mark.slow
def test_torch_population_quick() -> None:
    pytest.importorskip("torch")
    out = run_quick("torch_population.py")
    for w in ("bn-mlp", "bn-cnn", "ln-mlp"):
        assert f"{w} [hp]" in out and f"{w} [hp+shape]" in out
    assert out.count("caviar.torch P=4") == 6 and "x vs (" in out
