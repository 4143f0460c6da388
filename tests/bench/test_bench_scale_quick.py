"""bench/scale.py --quick runs (PostgreSQL, worker counts, Ray), so it does not rot."""

from __future__ import annotations

import pytest
from benchrun import run_quick


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.ray
def test_scale_quick() -> None:
    pytest.importorskip("optuna")
    pytest.importorskip("psycopg")
    out = run_quick("scale.py")
    assert "optuna/caviar" in out and "8 workers" in out
    assert "Ray adds" in out or "Ray: not installed" in out
