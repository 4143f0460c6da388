"""bench/schedulers.py --quick runs (every method on both data sets, the Ray Tune PBT peer
beside caviar's PBT, the exploit overhead), so it does not rot."""

from __future__ import annotations

import pytest
from benchrun import run_quick


@pytest.mark.slow
def test_schedulers_quick() -> None:
    pytest.importorskip("torch")
    out = run_quick("schedulers.py")
    for name in ("digits", "mnist1d"):
        assert f"{name}: median best validation accuracy" in out
    for m in ("random", "pbt", "asha-promo", "asha-stop"):
        assert out.count(f"  {m} ") >= 2
    assert "faster than Ray Tune PBT" in out or "Ray Tune PBT: skipped" in out
    assert "% of the epoch" in out
