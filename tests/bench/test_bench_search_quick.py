"""bench/search.py runs in --quick mode, so it does not rot."""

from __future__ import annotations

import pytest
from benchrun import run_quick


@pytest.mark.slow
def test_search_quick() -> None:
    pytest.importorskip("optuna")
    out = run_quick("search.py")
    for word in ("branin", "hartmann6", "styblinski_tang5", "2_important_4_not",
                 "caviar coarse-to-fine", "optuna tpe", "random/hyperband", "optuna/caviar"):
        assert word in out
