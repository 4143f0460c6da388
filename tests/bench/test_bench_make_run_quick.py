"""bench/make_run.py runs in --quick mode (HEAD against HEAD, a tiny study), so it does not rot."""

from __future__ import annotations

import re
import subprocess

import pytest
from benchrun import ROOT, run_quick


@pytest.mark.slow
def test_make_run_quick() -> None:
    if subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"],
                      capture_output=True).returncode:
        pytest.skip("bench/make_run.py exports commits: needs the project's git history")
    out = run_quick("make_run.py")
    assert "old/new = " in out and "load average" in out
    # both sides ran the whole tiny study, from the exported tree
    assert len(re.findall(r": tuning median \d+\.\d+ s .*; 4 complete trials", out)) == 2
