"""bench/multiobjective.py runs in --quick mode, so it does not rot."""

from __future__ import annotations

import pytest
from benchrun import run_quick


@pytest.mark.slow
def test_multiobjective_quick() -> None:
    pytest.importorskip("optuna")
    out = run_quick("multiobjective.py")
    for word in ("zdt1", "zdt2", "dtlz2", "digits BN-MLP", "caviar nsga2", "caviar tpe",
                 "optuna nsga2", "optuna tpe", "optuna random", "optuna/caviar",
                 "caviar best"):
        assert word in out
